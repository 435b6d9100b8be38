/**
 * The console's only way to the gateway: the admin REST API under /api/v1/admin, on the same
 * origin, authenticated by the browser's admin client certificate (no tokens, no login). Every
 * failure becomes an ApiError carrying the API's own Vietnamese message and machine code, so
 * pages show what the gateway said instead of guessing; the console never re-implements the
 * rules the API enforces.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface CallOptions {
  query?: Query;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is with this content type. */
  text?: { body: string; type: string };
  /** Accept non-2xx answers whose body the caller wants to read (e.g. an import report with 422). */
  acceptStatus?: number[];
}

const BASE = '/api/v1/admin';

export function url(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${BASE}${path}${s ? `?${s}` : ''}`;
}

async function send(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.text) {
    headers['content-type'] = options.text.type;
    body = options.text.body;
  }
  let res: Response;
  try {
    res = await fetch(url(path, options.query), { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'KHONG_KET_NOI_CONG_QUAN_TRI', `Không kết nối được tới cổng quản trị (${(err as Error).message}). Kiểm tra mạng và chứng thư số quản trị trong trình duyệt.`);
  }
  if (!res.ok && !options.acceptStatus?.includes(res.status)) throw await problemOf(res);
  return res;
}

async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let doc: { title?: string; code?: string; detail?: string } | undefined;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (doc && (doc.title || doc.code)) return new ApiError(res.status, doc.code ?? `HTTP_${res.status}`, doc.title ?? doc.detail ?? `Lỗi HTTP ${res.status}`, doc);
  const fallback: Record<number, string> = {
    401: 'Trình duyệt chưa xuất trình chứng thư số quản trị hợp lệ',
    403: 'Vai trò của bạn không được phép thực hiện thao tác này',
    404: 'Không tìm thấy',
    413: 'Tệp gửi lên quá lớn',
    502: 'Cổng quản trị không trả lời',
    503: 'Dịch vụ tạm thời không sẵn sàng',
  };
  return new ApiError(res.status, `HTTP_${res.status}`, fallback[res.status] ?? `Lỗi HTTP ${res.status}`);
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return (await send('GET', path, { query })).json() as Promise<T>;
}

export async function post<T>(path: string, options: CallOptions = {}): Promise<T> {
  const res = await send('POST', path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function put<T>(path: string, json: unknown): Promise<T> {
  return (await send('PUT', path, { json })).json() as Promise<T>;
}

export async function del<T>(path: string): Promise<T | undefined> {
  const res = await send('DELETE', path);
  return res.status === 204 ? undefined : ((await res.json()) as T);
}

/** A file the API answers with (CRL, audit bundle, CSV): fetched, then saved by the browser. */
export async function fetchFile(path: string, query?: Query, fallbackName = 'tai-ve'): Promise<{ blob: Blob; name: string; sha256?: string }> {
  const res = await send('GET', path, { query });
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  return { blob: await res.blob(), name: decodeURIComponent(name), sha256: res.headers.get('x-noi-dung-sha256') ?? undefined };
}

/** The OpenAPI document: the console reads enumerations (vendors, statuses, reasons) from it. */
export async function openApi(): Promise<Record<string, unknown>> {
  const res = await fetch('/openapi.json', { credentials: 'same-origin' });
  if (!res.ok) throw await problemOf(res);
  return res.json();
}
