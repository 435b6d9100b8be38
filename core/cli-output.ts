/**
 * How every CLI verb answers: with --json, exactly one JSON document on stdout; otherwise
 * readable text (Vietnamese column headers, times in Vietnam time). Errors go to stderr in
 * Vietnamese with their machine code; exit codes are 0 ok, 1 failure (including a missing input
 * file or an output path that cannot be written), 2 bad usage (including a destructive verb run
 * without a terminal to confirm on and without --yes).
 */
import { loadConfig, type Config } from '../config/config.js';
import { type AppContext } from './context.js';
import os from 'node:os';
import type { Command } from 'commander';

export interface CommonOptions {
  json?: boolean;
  config?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the operator can act on; printed without a stack trace, exit code 1. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export function print(options: CommonOptions, json: unknown, text: string | string[]): void {
  if (options.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write((Array.isArray(text) ? text.join('\n') : text) + '\n');
}

/**
 * Column headers an operator reads, by the row field names the verbs use (the JSON output keeps
 * the field names). A column without an entry shows its field name.
 */
const HEADERS: Record<string, string> = {
  keyId: 'Mã kết nối',
  key: 'Mã kết nối',
  status: 'Trạng thái',
  state: 'Trạng thái',
  software: 'Phần mềm',
  unit: 'Đơn vị',
  unitCode: 'Đơn vị',
  vendor: 'Giao diện',
  expires: 'Hết hạn',
  lastUsed: 'Dùng gần nhất',
  serial: 'Số sê-ri',
  kind: 'Loại',
  cn: 'Tên (CN)',
  notAfter: 'Hết hạn',
  daysLeft: 'Còn (ngày)',
  warning: 'Cảnh báo',
  subject: 'Chủ thể',
  fingerprintSha256: 'Vân tay SHA-256',
  addedBy: 'Người thêm',
  trackingId: 'Mã theo dõi',
  id: 'Định danh',
  attempts: 'Số lần gửi',
  deadSince: 'Vào hàng lỗi lúc',
  reason: 'Lý do',
  node: 'Nút',
  failures: 'Lỗi liên tiếp',
  probeAt: 'Thử lại lúc',
  lastError: 'Lỗi gần nhất',
  updated: 'Cập nhật',
  code: 'Mã',
  count: 'Số lần',
  day: 'Ngày',
  exchanges: 'Trao đổi',
  ok: 'Thành công',
  refused: 'Từ chối',
  bucketStart: 'Từ',
  delivered: 'Đã gửi',
  failed: 'Thất bại',
  avgLatencyMs: 'Trễ TB (ms)',
  maxLatencyMs: 'Trễ tối đa (ms)',
  queued: 'Vào hàng đợi',
  settled: 'Đã xong',
  backlog: 'Tồn',
  loai: 'Loại',
  maCu: 'Mã cũ',
  maMoi: 'Mã mới',
  tuNgay: 'Từ ngày',
  ghiChu: 'Ghi chú',
  ma: 'Mã',
  cap: 'Cấp',
  ten: 'Tên',
  cha: 'Đơn vị cha',
  hieuLuc: 'Hiệu lực',
  gateway: 'Tại cổng',
  centre: 'Tại trung ương',
  field: 'Trường',
  ours: 'Hồ sơ',
  register: 'CSDL dân cư',
  answeredBy: 'Trả lời bởi',
  closedBy: 'Đóng bởi',
  total: 'Tổng',
  complete: 'Đầy đủ',
  share: 'Tỉ lệ',
  error: 'Lỗi',
  seq: 'STT',
  at: 'Lúc',
  op: 'Thao tác',
  outcome: 'Kết quả',
  ids: 'Số định danh',
};

/** A plain text table for listings: Vietnamese headers, ISO timestamps shown in Vietnam time. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(không có)';
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const headers = columns.map((c) => HEADERS[c] ?? c);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return ISO_INSTANT.test(s) ? vietnamTime(s) : s;
}

const VN_OFFSET_MS = 7 * 3_600_000;

/**
 * An instant as an operator in Vietnam reads it, whatever the server's time zone:
 * `dd/MM/yyyy HH:mm:ss` in UTC+7 (Vietnam has no daylight saving time). Empty for nothing.
 */
export function vietnamTime(at: string | number | Date | null | undefined): string {
  if (at === null || at === undefined || at === '') return '';
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return String(at);
  const d = new Date(ms + VN_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** A usage problem with its own code (the default is SAI_CU_PHAP); exit 2. */
export class ConfirmationRequired extends UsageError {
  readonly code = 'CAN_XAC_NHAN';
}

/**
 * Confirms a destructive verb: `--yes` confirms; on a terminal the operator is asked and must
 * answer "có" (or "co", "y", "yes"); without a terminal and without --yes the verb is refused
 * (exit 2) rather than waiting for an answer nobody can give.
 */
export async function confirm(options: Record<string, unknown>, question: string): Promise<void> {
  if (options.yes) return;
  if (!process.stdin.isTTY) {
    throw new ConfirmationRequired(`${question} — cần xác nhận: chạy lại với --yes (không có màn hình dòng lệnh để hỏi)`);
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question}\nGõ "có" để xác nhận: `)).trim().toLowerCase();
    if (!['có', 'co', 'c', 'y', 'yes'].includes(answer)) throw new ConfirmationRequired('Đã hủy: không được xác nhận');
  } finally {
    rl.close();
  }
}

export function cliConfig(options: CommonOptions): Config {
  return loadConfig({ file: options.config });
}

/** Who is acting, for the audit trail of admin actions done from the command line. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry in some containers */
  }
  return `cli:${user}@${os.hostname()}`;
}

export type VerbOptions = CommonOptions & Record<string, unknown>;

/**
 * Runs one verb with config + store + audit trail open (gateway/cli/verbs.ts builds the
 * context). An area outside gateway/ receives it at registration, so it never imports upward.
 * `translate` turns an area's own errors into UsageError (exit 2) or CliFailure (exit 1).
 */
export type VerbRunner = (
  cmd: Command,
  fn: (ctx: AppContext, opts: VerbOptions) => Promise<void>,
  translate?: (err: unknown) => Error | undefined,
) => Promise<void>;

/**
 * What the CLI gives each area when it registers its verbs: opening the gateway's context
 * needs the audit trail's implementation (gateway/), so areas receive it instead of importing
 * it, and no area imports the CLI that imports it.
 */
export interface CliHost {
  runVerb: VerbRunner;
  /** Opens config + store + audit trail for one verb, and always closes them. */
  withContext<T>(options: CommonOptions, fn: (ctx: AppContext) => Promise<T>): Promise<T>;
}
