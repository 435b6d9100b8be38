/**
 * The gateway's client for the central database's write API (contract:
 * shared/contracts/national/central-api.openapi.yaml). Mutual TLS with the gateway's own client
 * identity, kept-alive connections, a timeout per attempt, and a classification of every answer
 * exactly as the contract's retry rules say:
 *   200/201                → delivered (DA_TAO, DA_CAP_NHAT, KHONG_DOI)
 *   409 PHIEN_BAN_CU       → stale (final: an equal or newer version is stored)
 *   400/401/403/422, other 4xx → rejected (final, never retried)
 *   429/503                → retry, honouring Retry-After
 *   other 5xx, network errors, timeouts → retry with the same Idempotency-Key
 */
import { Pool } from 'undici';
import type { KetQua } from '../../adapters/national/profile.js';

export interface CentralIdentity {
  key: string;
  cert: string;
  ca: string | string[];
}

export interface CentralClientOptions {
  url: string;
  /** Sent as `Authorization: Bearer …`; omitted when unset. */
  token?: string;
  /** Client certificate for mTLS (required for https:// in production; http:// only in tests). */
  identity?: CentralIdentity;
  /** Per-attempt timeout (connect + headers + body). */
  timeoutMs: number;
  /** Parallel connections to the central database. */
  connections?: number;
}

export interface CallHeaders {
  idempotencyKey: string;
  unitCode: string;
  softwareId?: string | null;
  requestId?: string | null;
}

export type Classified =
  | { outcome: 'delivered'; status: number; answer: KetQua; replay?: boolean }
  | { outcome: 'stale'; status: number; answer: KetQua; code: string; message: string }
  | { outcome: 'rejected'; status: number; answer?: KetQua; code: string; message: string }
  | { outcome: 'retry'; status?: number; code: string; message: string; retryAfterMs?: number; network?: boolean };

export type BatchClassified = { perRecord: Classified[] } | { whole: Classified };

export interface CentralClient {
  upsertProfile(body: string, headers: CallHeaders): Promise<Classified>;
  /** `bodies` are the records' JSON texts, sent as `{"hoSo":[…]}`; per-record answers come back in order. */
  upsertProfiles(bodies: string[], headers: CallHeaders): Promise<BatchClassified>;
  upsertUnit(maDinhDanh: string, body: string, headers: CallHeaders): Promise<Classified>;
  close(): Promise<void>;
}

interface LoiBody {
  ma?: string;
  moTa?: string;
  loi?: KetQua['loi'];
  trangThai?: KetQua['trangThai'];
  ketQua?: unknown;
}

/** Retry-After: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Classifies one per-record KetQua (single answer body or one element of a batch answer). */
export function classifyKetQua(status: number, answer: KetQua): Classified {
  switch (answer?.trangThai) {
    case 'DA_TAO':
    case 'DA_CAP_NHAT':
    case 'KHONG_DOI':
      return { outcome: 'delivered', status, answer };
    case 'PHIEN_BAN_CU':
      return { outcome: 'stale', status, answer, code: 'PHIEN_BAN_CU', message: describe(answer) ?? 'Phiên bản cũ hơn bản đã lưu' };
    case 'KHONG_HOP_LE':
      return { outcome: 'rejected', status, answer, code: answer.loi?.[0]?.ma ?? 'KHONG_HOP_LE', message: describe(answer) ?? 'Hồ sơ không hợp lệ' };
    default:
      // A 2xx without a readable result: the write may have happened; resending with the same
      // Idempotency-Key is safe and gets the stored answer.
      return { outcome: 'retry', status, code: 'TRA_LOI_KHONG_HOP_LE', message: 'Câu trả lời của CSDL quốc gia không đọc được' };
  }
}

function describe(body: LoiBody | KetQua | undefined): string | undefined {
  if (!body) return undefined;
  const b = body as LoiBody;
  const parts = [b.moTa, ...(b.loi ?? []).map((l) => `${l.truong ? l.truong + ': ' : ''}${l.moTa} (${l.ma})`)].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

/** Classifies a whole-call answer (status + parsed body) by the contract's rules. */
export function classifyResponse(status: number, body: LoiBody | undefined, retryAfter?: string | string[]): Classified {
  if (status === 200 || status === 201) return classifyKetQua(status, body as KetQua);
  const code = body?.ma ?? `HTTP_${status}`;
  const message = describe(body) ?? `CSDL quốc gia trả lời HTTP ${status}`;
  const answer: KetQua | undefined = body?.ma ? { trangThai: code === 'PHIEN_BAN_CU' ? 'PHIEN_BAN_CU' : 'KHONG_HOP_LE', loi: body.loi ?? [{ ma: code, moTa: body.moTa ?? '' }] } : undefined;
  if (status === 409) {
    if (code === 'PHIEN_BAN_CU' || !body?.ma) return { outcome: 'stale', status, answer: answer ?? { trangThai: 'PHIEN_BAN_CU' }, code: 'PHIEN_BAN_CU', message };
    return { outcome: 'rejected', status, answer, code, message };
  }
  if (status === 429 || status === 503) return { outcome: 'retry', status, code, message, retryAfterMs: parseRetryAfter(retryAfter) };
  if (status >= 500) return { outcome: 'retry', status, code, message };
  // The contract lists 400/401/403/409/422 as final; any other 4xx is equally a refusal that a
  // resend of the same bytes cannot change.
  if (status >= 400) return { outcome: 'rejected', status, answer, code, message };
  // 1xx/3xx are not answers of the central API (a proxy or misconfiguration in between): keep
  // the record and retry, so an operator can fix the path and nothing is lost.
  return { outcome: 'retry', status, code: 'TRA_LOI_KHONG_MONG_DOI', message: `Câu trả lời không mong đợi HTTP ${status}` };
}

export function classifyNetworkError(err: unknown): Classified {
  const e = err as NodeJS.ErrnoException & { name?: string; cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code ?? e?.name ?? 'LOI_MANG';
  const timeout = e?.name === 'TimeoutError' || e?.name === 'AbortError' || /TIMEOUT/i.test(String(code));
  return {
    outcome: 'retry',
    code: timeout ? 'HET_THOI_GIAN' : String(code),
    // The code is not repeated here: every reader writes `${message} (${code})`.
    message: timeout ? 'CSDL quốc gia không trả lời trong thời hạn' : 'Không kết nối được CSDL quốc gia',
    network: true,
  };
}

/** The connection pool to the central database (mTLS with the gateway's identity) and the path prefix of its API; shared by every client of the central API. */
export function openCentralPool(options: CentralClientOptions): { pool: Pool; basePath: string } {
  const url = new URL(options.url);
  const basePath = url.pathname.replace(/\/$/, '');
  const origin = `${url.protocol}//${url.host}`;
  const tls = url.protocol === 'https:' && options.identity ? { key: options.identity.key, cert: options.identity.cert, ca: options.identity.ca } : undefined;
  const pool = new Pool(origin, {
    connections: options.connections ?? 16,
    keepAliveTimeout: 30_000,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: tls ? { ...tls, rejectUnauthorized: true } : undefined,
  });
  return { pool, basePath };
}

export function createCentralClient(options: CentralClientOptions): CentralClient {
  const { pool, basePath } = openCentralPool(options);

  async function call(method: 'POST' | 'PUT', path: string, body: string, h: CallHeaders): Promise<{ status: number; json: unknown; retryAfter?: string | string[] } | { error: unknown }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
      'idempotency-key': h.idempotencyKey,
      'x-ma-don-vi': h.unitCode,
    };
    if (h.softwareId) headers['x-ma-phan-mem'] = h.softwareId;
    if (h.requestId) headers['x-request-id'] = h.requestId;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    try {
      const res = await pool.request({ method, path: basePath + path, headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, retryAfter: res.headers['retry-after'] };
    } catch (error) {
      return { error };
    }
  }

  return {
    async upsertProfile(body, h) {
      const r = await call('POST', '/api/v1/profiles', body, h);
      if ('error' in r) return classifyNetworkError(r.error);
      return classifyResponse(r.status, r.json as LoiBody, r.retryAfter);
    },
    async upsertProfiles(bodies, h) {
      const r = await call('POST', '/api/v1/profiles:batch', `{"hoSo":[${bodies.join(',')}]}`, h);
      if ('error' in r) return { whole: classifyNetworkError(r.error) };
      if (r.status === 200 || r.status === 201) {
        const list = (r.json as { ketQua?: KetQua[] } | undefined)?.ketQua;
        if (!Array.isArray(list) || list.length !== bodies.length) {
          return { whole: { outcome: 'retry', status: r.status, code: 'TRA_LOI_KHONG_HOP_LE', message: 'Kết quả theo lô không khớp số hồ sơ đã gửi' } };
        }
        return { perRecord: list.map((k) => classifyKetQua(r.status, k)) };
      }
      return { whole: classifyResponse(r.status, r.json as LoiBody, r.retryAfter) };
    },
    async upsertUnit(maDinhDanh, body, h) {
      const r = await call('PUT', `/api/v1/units/${encodeURIComponent(maDinhDanh)}`, body, h);
      if ('error' in r) return classifyNetworkError(r.error);
      return classifyResponse(r.status, r.json as LoiBody, r.retryAfter);
    },
    async close() {
      await pool.close().catch(() => pool.destroy());
    },
  };
}
