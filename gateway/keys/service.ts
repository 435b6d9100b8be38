/**
 * Connection key administration: create, list, show, activate, suspend, cancel, rotate, import.
 * The CLI and the admin API both call these, so the rules and the audit trail are the same
 * whichever way an admin works.
 *
 * Every change runs under the store's write lock, bumps revision 'keys' in the same transaction
 * (every gateway instance reloads its key cache within one refresh interval), and is recorded as
 * an admin event in the audit trail, refusals included. Neither the secret nor its hash ever
 * reaches the audit trail, a log line or a listing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely, Selectable } from 'kysely';
import type { AppContext } from '../../core/context.js';
import { OperatorError } from '../../core/errors.js';
import { withWriteLock } from '../../core/store/db.js';
import type { DB } from '../../core/store/schema.js';
import { bumpRevision } from '../../core/store/revisions.js';
import type { ConnectionKeyTable } from '../../core/store/tables/keys.js';
import { ALL_OPERATIONS, defaultOperations, normalizeKeyFields, resolveOperations, problemsText, type KeyColumns, type KeyFieldsInput } from './fields.js';
import { detectFormat, importStatus, ImportFileError, parseImportContent, type ImportRow } from './import-file.js';
import { parseDuration } from './parse.js';
import {
  derivePepper,
  formatToken,
  generateKeyId,
  generateSecret,
  hashFromDigest,
  hashSecret,
  KEY_ID_PATTERN,
  MIN_IMPORTED_SECRET_LENGTH,
  PEPPER_SETTING,
  pepperFingerprint,
} from './token.js';
import { KEY_STATUSES, type KeyStatus, type KeyView, type KeyWithSecret, type KeyLimits } from './types.js';

export type KeyRow = Selectable<ConnectionKeyTable>;

/** A refusal of an admin operation: a catalogue code (HTTP status from core/errors.ts), stable for scripts. */
export class KeyServiceError extends OperatorError {
  constructor(
    code: 'KHOA_KHONG_TON_TAI' | 'KHOA_DA_HUY' | 'THAM_SO_KHONG_HOP_LE' | 'TEP_NHAP_KHONG_HOP_LE',
    message: string,
    readonly details?: unknown,
  ) {
    super(code, message);
    this.name = 'KeyServiceError';
  }
}

const notFound = (keyId: string) => new KeyServiceError('KHOA_KHONG_TON_TAI', `Không tìm thấy mã kết nối ${keyId}`);
const cancelledRefusal = (keyId: string, what: string) =>
  new KeyServiceError('KHOA_DA_HUY', `Mã kết nối ${keyId} đã bị hủy; không thể ${what} (hủy là vĩnh viễn, hãy cấp mã mới)`);
const badInput = (message: string, details?: unknown) => new KeyServiceError('THAM_SO_KHONG_HOP_LE', message, details);

export interface CreateKeyInput extends KeyFieldsInput {
  softwareId: string;
  unitCode: string;
  vendor: string;
}

export interface ListFilter {
  status?: string;
  unit?: string;
  vendor?: string;
  software?: string;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export function toView(row: KeyRow, now = Date.now()): KeyView {
  const prevUntil = row.previous_secret_hash && row.previous_valid_until && Number(row.previous_valid_until) > now ? row.previous_valid_until : null;
  return {
    keyId: row.key_id,
    softwareId: row.software_id,
    unitCode: row.unit_code,
    vendor: row.vendor,
    encoding: row.encoding,
    operations: resolveOperations(row.operations, row.vendor),
    allOperations: row.operations === ALL_OPERATIONS,
    certSerial: row.cert_serial,
    certSubject: row.cert_subject,
    status: row.status as KeyStatus,
    statusReason: row.status_reason,
    expiresAt: iso(row.expires_at),
    expired: row.expires_at !== null && Number(row.expires_at) <= now,
    contact: { name: row.contact_name, agency: row.contact_agency, phone: row.contact_phone, email: row.contact_email },
    bodyRetention: row.body_retention,
    limits: row.limits ? (JSON.parse(row.limits) as KeyLimits) : null,
    source: row.source,
    previousSecretValidUntil: iso(prevUntil),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    lastUsedAt: iso(row.last_used_at),
    cancelledAt: iso(row.cancelled_at),
  };
}

/** The pepper of this deployment; its fingerprint is written to the store on first use so a mismatched instance can tell. */
async function pepperFor(ctx: AppContext, trx: Kysely<DB>): Promise<Buffer> {
  const pepper = derivePepper(ctx.config);
  await trx
    .insertInto('settings')
    .values({ name: PEPPER_SETTING, value: pepperFingerprint(pepper), updated_at: Date.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return pepper;
}

async function loadKey(db: Kysely<DB>, keyId: string): Promise<KeyRow | undefined> {
  return db.selectFrom('connection_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst();
}

function audit(
  ctx: AppContext,
  actor: string,
  operation: string,
  outcome: 'ok' | 'refused',
  target: string | undefined,
  details: Record<string, unknown>,
  row?: Pick<KeyRow, 'software_id' | 'unit_code'>,
  code?: string,
): void {
  ctx.audit.record({
    kind: 'admin',
    actor,
    operation,
    target,
    keyId: target,
    softwareId: row?.software_id,
    unitCode: row?.unit_code,
    outcome,
    code,
    details,
  });
}

/** Runs an admin operation; a KeyServiceError is recorded as a refusal before it propagates. */
async function audited<T>(ctx: AppContext, actor: string, operation: string, target: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KeyServiceError) {
      audit(ctx, actor, operation, 'refused', target, { reason: err.message, ...(err.details ? { problems: err.details } : {}) }, undefined, err.code);
    }
    throw err;
  }
}

export async function createKey(ctx: AppContext, input: CreateKeyInput, actor: string): Promise<KeyWithSecret> {
  return audited(ctx, actor, 'keys.create', undefined, async () => {
    const missing = (['softwareId', 'unitCode', 'vendor'] as const).filter((f) => !input[f] || !String(input[f]).trim());
    const { columns, problems } = normalizeKeyFields(input);
    for (const f of missing) problems.unshift({ field: f, message: 'Bắt buộc phải có' });
    if (problems.length) throw badInput(`Thông tin mã kết nối không hợp lệ: ${problemsText(problems)}`, problems);
    const keyId = generateKeyId();
    const secret = generateSecret();
    const now = Date.now();
    const row = await withWriteLock(ctx.store, 'keys', async (trx) => {
      const pepper = await pepperFor(ctx, trx);
      const values = {
        ...(columns as KeyColumns),
        key_id: keyId,
        secret_hash: hashSecret(pepper, secret),
        previous_secret_hash: null,
        previous_valid_until: null,
        encoding: columns.encoding ?? 'unicode',
        operations: columns.operations ?? defaultOperations(columns.vendor!),
        status: 'active',
        status_reason: null,
        source: 'local',
        created_at: now,
        updated_at: now,
        last_used_at: null,
        cancelled_at: null,
      };
      await trx.insertInto('connection_keys').values(values).execute();
      await bumpRevision(trx, 'keys');
      return (await loadKey(trx, keyId))!;
    });
    audit(ctx, actor, 'keys.create', 'ok', keyId, { vendor: row.vendor, encoding: row.encoding, operations: resolveOperations(row.operations, row.vendor), certSerial: row.cert_serial, certSubject: row.cert_subject, expiresAt: iso(row.expires_at) }, row);
    return { ...toView(row, now), secret, connectionKey: formatToken(keyId, secret) };
  });
}

export async function listKeys(ctx: AppContext, filter: ListFilter = {}): Promise<KeyView[]> {
  if (filter.status && !(KEY_STATUSES as readonly string[]).includes(filter.status)) {
    throw badInput(`Trạng thái không hợp lệ: ${filter.status} (${KEY_STATUSES.join(', ')})`);
  }
  let q = ctx.store.db.selectFrom('connection_keys').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.unit) q = q.where('unit_code', '=', filter.unit);
  if (filter.vendor) q = q.where('vendor', '=', filter.vendor);
  if (filter.software) q = q.where('software_id', '=', filter.software);
  const rows = await q.orderBy('created_at').orderBy('key_id').execute();
  const now = Date.now();
  return rows.map((r) => toView(r, now));
}

export async function showKey(ctx: AppContext, keyId: string): Promise<KeyView> {
  const row = await loadKey(ctx.store.db, keyId);
  if (!row) throw notFound(keyId);
  return toView(row);
}

type Transition = { to: KeyStatus; operation: string; verb: string };

async function changeStatus(ctx: AppContext, keyId: string, t: Transition, reason: string | undefined, actor: string): Promise<KeyView & { changed: boolean }> {
  return audited(ctx, actor, t.operation, keyId, async () => {
    const now = Date.now();
    const { row, changed } = await withWriteLock(ctx.store, 'keys', async (trx) => {
      const current = await loadKey(trx, keyId);
      if (!current) throw notFound(keyId);
      if (current.status === 'cancelled') {
        if (t.to === 'cancelled') return { row: current, changed: false }; // cancelling twice is harmless
        throw cancelledRefusal(keyId, t.verb);
      }
      if (current.status === t.to) return { row: current, changed: false };
      await trx
        .updateTable('connection_keys')
        .set({
          status: t.to,
          status_reason: t.to === 'active' ? null : (reason ?? null),
          updated_at: now,
          ...(t.to === 'cancelled' ? { cancelled_at: now, previous_secret_hash: null, previous_valid_until: null } : {}),
        })
        .where('key_id', '=', keyId)
        .execute();
      await bumpRevision(trx, 'keys');
      return { row: (await loadKey(trx, keyId))!, changed: true };
    });
    audit(ctx, actor, t.operation, 'ok', keyId, { changed, status: row.status, ...(reason ? { reason } : {}) }, row);
    return { ...toView(row, now), changed };
  });
}

export function activateKey(ctx: AppContext, keyId: string, actor: string): Promise<KeyView & { changed: boolean }> {
  return changeStatus(ctx, keyId, { to: 'active', operation: 'keys.activate', verb: 'kích hoạt lại' }, undefined, actor);
}

export function suspendKey(ctx: AppContext, keyId: string, reason: string | undefined, actor: string): Promise<KeyView & { changed: boolean }> {
  return changeStatus(ctx, keyId, { to: 'suspended', operation: 'keys.suspend', verb: 'tạm khóa' }, reason, actor);
}

/** Final: a cancelled key never works again and cannot be re-activated, rotated or re-imported as active. */
export function cancelKey(ctx: AppContext, keyId: string, reason: string | undefined, actor: string): Promise<KeyView & { changed: boolean }> {
  return changeStatus(ctx, keyId, { to: 'cancelled', operation: 'keys.cancel', verb: 'hủy' }, reason, actor);
}

/**
 * New secret; the old one keeps working until the grace period ends (default
 * config.keys.defaultRotationGraceHours; "0" ends it at once). Only one previous secret is kept:
 * rotating again during a grace period ends the older secret immediately.
 */
export async function rotateKey(ctx: AppContext, keyId: string, grace: string | number | undefined, actor: string): Promise<KeyWithSecret & { graceMs: number }> {
  return audited(ctx, actor, 'keys.rotate', keyId, async () => {
    let graceMs: number;
    if (grace === undefined || grace === '') graceMs = Math.round(ctx.config.keys.defaultRotationGraceHours * 3_600_000);
    else if (typeof grace === 'number') graceMs = grace;
    else {
      const parsed = parseDuration(grace);
      if (parsed === undefined) throw badInput(`Thời gian ân hạn không hợp lệ: ${grace} (ví dụ 24h, 30m, 7d, 0)`);
      graceMs = parsed;
    }
    if (!Number.isFinite(graceMs) || graceMs < 0 || graceMs > 90 * 86_400_000) throw badInput('Thời gian ân hạn phải từ 0 đến 90 ngày');
    const secret = generateSecret();
    const now = Date.now();
    const row = await withWriteLock(ctx.store, 'keys', async (trx) => {
      const current = await loadKey(trx, keyId);
      if (!current) throw notFound(keyId);
      if (current.status === 'cancelled') throw cancelledRefusal(keyId, 'đổi khóa bí mật');
      const pepper = await pepperFor(ctx, trx);
      await trx
        .updateTable('connection_keys')
        .set({
          secret_hash: hashSecret(pepper, secret),
          previous_secret_hash: graceMs > 0 ? current.secret_hash : null,
          previous_valid_until: graceMs > 0 ? now + graceMs : null,
          updated_at: now,
        })
        .where('key_id', '=', keyId)
        .execute();
      await bumpRevision(trx, 'keys');
      return (await loadKey(trx, keyId))!;
    });
    audit(ctx, actor, 'keys.rotate', 'ok', keyId, { graceMs, previousValidUntil: iso(row.previous_valid_until) }, row);
    return { ...toView(row, now), secret, connectionKey: formatToken(keyId, secret), graceMs };
  });
}

// ---------------------------------------------------------------------------------------------
// Import of the Ministry's list

export interface ImportSource {
  /** Path of a .csv or .json file. */
  file?: string;
  /** Or the content itself (admin API upload). */
  content?: string;
  format?: 'csv' | 'json';
  /** Compute the report without changing anything. */
  dryRun?: boolean;
  /** Apply nothing when any row has an error. Default: apply the good rows, report the bad ones. */
  strict?: boolean;
}

export interface ImportRowError {
  row: number;
  line?: number;
  keyId?: string;
  field?: string;
  message: string;
}

export interface ImportChange {
  row: number;
  keyId: string;
  action: 'created' | 'updated' | 'cancelled' | 'unchanged';
  /** Which fields changed (names only; never values of secrets). */
  fields?: string[];
  note?: string;
}

export interface ImportReport {
  file?: string;
  format: 'csv' | 'json';
  rows: number;
  created: number;
  updated: number;
  cancelled: number;
  unchanged: number;
  errors: ImportRowError[];
  changes: ImportChange[];
  dryRun: boolean;
  /** False when nothing was written (dry run, or strict with errors). */
  applied: boolean;
  /** The file carried secrets in clear: the operator should delete it safely now. */
  containsClearSecrets: boolean;
}

class Rollback extends Error {}

const COLUMN_FIELD: Record<string, string> = {
  software_id: 'softwareId',
  unit_code: 'unitCode',
  vendor: 'vendor',
  encoding: 'encoding',
  operations: 'operations',
  cert_serial: 'certSerial',
  cert_subject: 'certSubject',
  expires_at: 'expires',
  contact_name: 'contactName',
  contact_agency: 'contactAgency',
  contact_phone: 'contactPhone',
  contact_email: 'contactEmail',
  body_retention: 'bodyRetention',
  limits: 'limits',
  status: 'status',
  secret_hash: 'secret',
};

/** The stored hash a row asks for, if it gives a secret or its SHA-256. */
function rowSecretHash(row: ImportRow, pepper: Buffer): { hash?: string; problem?: string } {
  const { secret, secretSha256 } = row.values;
  if (secret !== undefined && secretSha256 !== undefined) return { problem: 'Chỉ được cho một trong hai cột secret hoặc secretSha256' };
  if (secret !== undefined) {
    const s = String(secret);
    if (s.length < MIN_IMPORTED_SECRET_LENGTH || s.length > 256 || /[\s\u0000-\u001f]/.test(s)) {
      return { problem: `Khóa bí mật phải dài ${MIN_IMPORTED_SECRET_LENGTH}–256 ký tự, không có khoảng trắng` };
    }
    return { hash: hashSecret(pepper, s) };
  }
  if (secretSha256 !== undefined) {
    const h = String(secretSha256).trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(h)) return { problem: 'secretSha256 phải là 64 ký tự hexa (SHA-256 của khóa bí mật)' };
    return { hash: hashFromDigest(pepper, Buffer.from(h, 'hex')) };
  }
  return {};
}

export async function importKeys(ctx: AppContext, source: string | ImportSource, actor: string): Promise<ImportReport> {
  const src: ImportSource = typeof source === 'string' ? { file: source } : source;
  const target = src.file ? path.basename(src.file) : undefined;
  return audited(ctx, actor, 'keys.import', target, async () => {
    let content = src.content;
    if (content === undefined) {
      if (!src.file) throw badInput('Cần tệp hoặc nội dung để nhập');
      try {
        content = await readFile(src.file, 'utf8');
      } catch (err) {
        throw new KeyServiceError('TEP_NHAP_KHONG_HOP_LE', `Không đọc được tệp ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const format = src.format ?? detectFormat(content, src.file);
    let rows: ImportRow[];
    try {
      rows = parseImportContent(content, format);
    } catch (err) {
      if (err instanceof ImportFileError) throw new KeyServiceError('TEP_NHAP_KHONG_HOP_LE', err.message);
      throw err;
    }
    const report: ImportReport = {
      ...(src.file ? { file: src.file } : {}),
      format,
      rows: rows.length,
      created: 0,
      updated: 0,
      cancelled: 0,
      unchanged: 0,
      errors: [],
      changes: [],
      dryRun: !!src.dryRun,
      applied: false,
      containsClearSecrets: rows.some((r) => r.values.secret !== undefined),
    };
    const now = Date.now();
    const touched: { keyId: string; action: string; row: Pick<KeyRow, 'software_id' | 'unit_code'>; fields?: string[] }[] = [];
    try {
      await withWriteLock(ctx.store, 'keys', async (trx) => {
        const pepper = await pepperFor(ctx, trx);
        const seen = new Map<string, number>();
        for (const row of rows) {
          const err = (message: string, field?: string, keyId?: string) =>
            report.errors.push({ row: row.row, ...(row.line ? { line: row.line } : {}), ...(keyId ? { keyId } : {}), ...(field ? { field } : {}), message });
          const keyId = row.values.keyId === undefined ? '' : String(row.values.keyId).trim();
          if (!keyId) {
            err('Thiếu keyId', 'keyId');
            continue;
          }
          if (!KEY_ID_PATTERN.test(keyId)) {
            err('keyId không hợp lệ (3–64 ký tự chữ, số, "_" hoặc "-")', 'keyId', keyId);
            continue;
          }
          if (row.extraCells) {
            err('Dòng có nhiều ô hơn tiêu đề (có dấu phân cách trong một giá trị chưa đặt trong ngoặc kép?)', undefined, keyId);
            continue;
          }
          if (seen.has(keyId)) {
            err(`keyId trùng với dòng dữ liệu ${seen.get(keyId)}`, 'keyId', keyId);
            continue;
          }
          seen.set(keyId, row.row);
          const existing = await loadKey(trx, keyId);
          // No status stated: a new key starts active, an existing one keeps its status.
          const existingStatusOrActive = (existing?.status ?? 'active') as 'active' | 'suspended' | 'cancelled';
          const stated = row.values.status !== undefined && row.values.status !== null && String(row.values.status).trim() !== '';
          const status = stated ? importStatus(row.values.status) : existingStatusOrActive;
          if (!status) {
            err(`Trạng thái không hợp lệ: ${String(row.values.status)} (activated, suspended hoặc cancelled)`, 'status', keyId);
            continue;
          }
          const { columns, problems } = normalizeKeyFields(
            {
              softwareId: row.values.softwareId as string,
              unitCode: row.values.unitCode as string,
              vendor: row.values.vendor as string,
              encoding: row.values.encoding as string,
              operations: row.values.operations as string | string[],
              certSerial: row.values.certSerial as string,
              certSubject: row.values.certSubject as string,
              expires: row.values.expires as string,
              contactName: row.values.contactName as string,
              contactAgency: row.values.contactAgency as string,
              contactPhone: row.values.contactPhone as string,
              contactEmail: row.values.contactEmail as string,
              bodyRetention: row.values.bodyRetention as string,
            },
            existing ? { vendor: existing.vendor } : undefined,
          );
          const secret = rowSecretHash(row, pepper);
          if (secret.problem) problems.push({ field: 'secret', message: secret.problem });
          if (problems.length) {
            for (const p of problems) err(p.message, p.field, keyId);
            continue;
          }

          if (!existing) {
            if (status === 'cancelled') {
              // Nothing to cancel here: the key never reached this gateway.
              report.unchanged++;
              report.changes.push({ row: row.row, keyId, action: 'unchanged', note: 'Mã đã hủy và chưa từng có trên cổng này' });
              continue;
            }
            const missing: string[] = (['softwareId', 'unitCode', 'vendor'] as const).filter((f) => row.values[f] === undefined);
            if (!secret.hash) missing.push('secret/secretSha256');
            if (missing.length) {
              err(`Thiếu thông tin để tạo mã mới: ${missing.join(', ')}`, missing[0], keyId);
              continue;
            }
            await trx
              .insertInto('connection_keys')
              .values({
                ...(columns as KeyColumns),
                key_id: keyId,
                secret_hash: secret.hash!,
                previous_secret_hash: null,
                previous_valid_until: null,
                encoding: columns.encoding ?? 'unicode',
                operations: columns.operations ?? defaultOperations(columns.vendor!),
                status,
                status_reason: null,
                source: 'import',
                created_at: now,
                updated_at: now,
                last_used_at: null,
                cancelled_at: null,
              })
              .execute();
            report.created++;
            report.changes.push({ row: row.row, keyId, action: 'created' });
            touched.push({ keyId, action: 'created', row: columns as KeyColumns });
            continue;
          }

          if (existing.status === 'cancelled') {
            if (status === 'cancelled') {
              report.unchanged++;
              report.changes.push({ row: row.row, keyId, action: 'unchanged' });
            } else {
              err('Mã kết nối đã bị hủy trên cổng; không thể kích hoạt lại (hủy là vĩnh viễn)', 'status', keyId);
            }
            continue;
          }
          if (status === 'cancelled') {
            await trx
              .updateTable('connection_keys')
              .set({ status: 'cancelled', status_reason: 'Hủy theo danh sách của Bộ Nội vụ', cancelled_at: now, updated_at: now, previous_secret_hash: null, previous_valid_until: null })
              .where('key_id', '=', keyId)
              .execute();
            report.cancelled++;
            report.changes.push({ row: row.row, keyId, action: 'cancelled' });
            touched.push({ keyId, action: 'cancelled', row: existing });
            continue;
          }
          // Update: only what the row states and differs.
          const update: Record<string, unknown> = {};
          const wanted: Record<string, unknown> = { ...columns, status };
          if (columns.vendor && columns.vendor !== existing.vendor && !columns.operations) wanted.operations = defaultOperations(columns.vendor);
          if (secret.hash) wanted.secret_hash = secret.hash;
          for (const [col, value] of Object.entries(wanted)) {
            if (value !== undefined && value !== (existing as Record<string, unknown>)[col]) update[col] = value;
          }
          if (update.status) update.status_reason = null;
          if (update.secret_hash) {
            // The Ministry replaced the secret: the old one stops now (its list is the authority).
            update.previous_secret_hash = null;
            update.previous_valid_until = null;
          }
          const fields = Object.keys(update).filter((c) => COLUMN_FIELD[c]).map((c) => COLUMN_FIELD[c]);
          if (fields.length === 0) {
            report.unchanged++;
            report.changes.push({ row: row.row, keyId, action: 'unchanged' });
            continue;
          }
          await trx
            .updateTable('connection_keys')
            .set({ ...(update as Partial<KeyRow>), updated_at: now })
            .where('key_id', '=', keyId)
            .execute();
          report.updated++;
          report.changes.push({ row: row.row, keyId, action: 'updated', fields });
          touched.push({ keyId, action: 'updated', row: existing, fields });
        }
        if (src.dryRun || (src.strict && report.errors.length)) throw new Rollback();
        if (touched.length) await bumpRevision(trx, 'keys');
      });
      report.applied = true;
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    }
    const summary = { format, rows: report.rows, created: report.created, updated: report.updated, cancelled: report.cancelled, unchanged: report.unchanged, errors: report.errors.length, dryRun: report.dryRun, applied: report.applied };
    if (report.applied) {
      for (const t of touched) audit(ctx, actor, `keys.import.${t.action}`, 'ok', t.keyId, { file: target, ...(t.fields ? { fields: t.fields } : {}) }, t.row);
    }
    audit(ctx, actor, 'keys.import', report.applied || report.dryRun ? 'ok' : 'refused', target, summary);
    return report;
  });
}
