/**
 * Checks and normalises the descriptive fields of a key (everything but the secret), as typed
 * by an admin (CLI, admin API) or read from the Ministry's import file. One set of rules for all
 * three entry points, with Vietnamese messages naming the field.
 */
import type { Operation } from '../../adapters/types.js';
import { operationsOf, vendorIds } from '../../adapters/registry.js';
import type { ConnectionKeyTable } from '../../core/store/tables/keys.js';
import { normalizeSubject, parseExpiry } from './parse.js';
import { normalizeSerial } from '../../core/serial.js';
import {
  BODY_RETENTIONS,
  ENCODINGS,
  LIMIT_FIELDS,
  OPERATIONS,
  type KeyLimits,
} from './types.js';

/** What an admin may set on a key. Strings as typed; arrays/objects accepted where natural. */
export interface KeyFieldsInput {
  softwareId?: string;
  unitCode?: string;
  vendor?: string;
  encoding?: string;
  /** Array, or comma/space/pipe-separated text. */
  operations?: string | string[];
  certSerial?: string;
  certSubject?: string;
  /** 2026-12-31 (valid through that day, Vietnam time), 31/12/2026, or an ISO instant; epoch ms also accepted. */
  expires?: string | number;
  contactName?: string;
  contactAgency?: string;
  contactPhone?: string;
  contactEmail?: string;
  bodyRetention?: string;
  /** Object, or its JSON text. */
  limits?: string | KeyLimits;
}

export type KeyColumns = Pick<
  ConnectionKeyTable,
  | 'software_id'
  | 'unit_code'
  | 'vendor'
  | 'encoding'
  | 'operations'
  | 'cert_serial'
  | 'cert_subject'
  | 'expires_at'
  | 'contact_name'
  | 'contact_agency'
  | 'contact_phone'
  | 'contact_email'
  | 'body_retention'
  | 'limits'
>;

export interface FieldProblem {
  field: string;
  message: string;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/**
 * Normalises the fields that are present. `base` is the key's current vendor (for updates) so
 * operations can be checked against the vendor. Problems are collected, not thrown.
 */
export function normalizeKeyFields(input: KeyFieldsInput, base?: { vendor?: string }): { columns: Partial<KeyColumns>; problems: FieldProblem[] } {
  const columns: Partial<KeyColumns> = {};
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ field, message });

  if (present(input.softwareId)) {
    const v = String(input.softwareId).trim();
    if (!/^[^\s\u0000-\u001f]{1,128}$/u.test(v)) bad('softwareId', 'Mã phần mềm không hợp lệ (1–128 ký tự, không có khoảng trắng)');
    else columns.software_id = v;
  }
  if (present(input.unitCode)) {
    const v = String(input.unitCode).trim();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) bad('unitCode', 'Mã đơn vị không hợp lệ (chữ, số, dấu chấm, gạch ngang; tối đa 64 ký tự)');
    else columns.unit_code = v;
  }
  if (present(input.vendor)) {
    const v = String(input.vendor).trim().toLowerCase();
    // The registered fronts (adapters/registry.ts): a new front folder needs no change here.
    if (!vendorIds.includes(v)) bad('vendor', `Giao diện kết nối không hợp lệ: ${input.vendor} (chọn một trong ${vendorIds.join(', ')})`);
    else columns.vendor = v;
  }
  if (present(input.encoding)) {
    const v = String(input.encoding).trim().toLowerCase();
    if (!(ENCODINGS as readonly string[]).includes(v)) bad('encoding', `Bảng mã không hợp lệ: ${input.encoding} (unicode hoặc tcvn3)`);
    else columns.encoding = v;
  }
  if (present(input.operations)) {
    const list = (Array.isArray(input.operations) ? input.operations : String(input.operations).split(/[\s,|;]+/))
      .map((s) => String(s).trim())
      .filter(Boolean);
    const vendor = columns.vendor ?? base?.vendor;
    const allowed: readonly string[] = (vendor && operationsOf(vendor)) || OPERATIONS;
    const unknown = list.filter((op) => !allowed.includes(op));
    if (list.length === 0) bad('operations', 'Danh sách thao tác được phép không được để trống');
    else if (unknown.length) bad('operations', `Thao tác không hợp lệ cho giao diện ${vendor ?? ''}: ${unknown.join(', ')} (cho phép: ${allowed.join(', ')})`);
    else columns.operations = JSON.stringify(OPERATIONS.filter((op) => list.includes(op)));
  }
  if (present(input.certSerial)) {
    const v = normalizeSerial(String(input.certSerial));
    if (!v) bad('certSerial', 'Số hiệu chứng thư số không hợp lệ (chuỗi hexa)');
    else columns.cert_serial = v;
  }
  if (present(input.certSubject)) {
    const v = normalizeSubject(String(input.certSubject));
    if (!v) bad('certSubject', 'Chủ thể chứng thư số không hợp lệ (dạng CN=…,O=…)');
    else columns.cert_subject = v;
  }
  if (present(input.expires)) {
    const v = typeof input.expires === 'number' ? input.expires : parseExpiry(String(input.expires));
    if (v === undefined || !Number.isFinite(v)) bad('expires', `Ngày hết hạn không hợp lệ: ${input.expires} (dạng 2026-12-31 hoặc 31/12/2026)`);
    else columns.expires_at = v;
  }
  const text = (field: keyof KeyFieldsInput, column: keyof KeyColumns, max: number, pattern?: RegExp, message?: string) => {
    if (!present(input[field])) return;
    const v = String(input[field]).trim().normalize('NFC');
    if (v.length > max || (pattern && !pattern.test(v))) bad(field, message ?? `Giá trị quá dài (tối đa ${max} ký tự)`);
    else (columns as Record<string, unknown>)[column] = v;
  };
  text('contactName', 'contact_name', 200);
  text('contactAgency', 'contact_agency', 300);
  text('contactPhone', 'contact_phone', 30, /^\+?[0-9 ().-]{6,30}$/, 'Số điện thoại liên hệ không hợp lệ');
  text('contactEmail', 'contact_email', 254, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'Thư điện tử liên hệ không hợp lệ');
  if (present(input.bodyRetention)) {
    const v = String(input.bodyRetention).trim().toLowerCase();
    if (!(BODY_RETENTIONS as readonly string[]).includes(v)) bad('bodyRetention', 'Chế độ lưu nội dung không hợp lệ (off, metadata hoặc full)');
    else columns.body_retention = v;
  }
  if (present(input.limits)) {
    let obj: unknown = input.limits;
    if (typeof obj === 'string') {
      try {
        obj = JSON.parse(obj);
      } catch {
        obj = undefined;
      }
    }
    const limits = normalizeLimits(obj);
    if (!limits) bad('limits', `Hạn mức không hợp lệ: phải là đối tượng JSON với các trường ${LIMIT_FIELDS.join(', ')} (số dương)`);
    else columns.limits = Object.keys(limits).length ? JSON.stringify(limits) : null;
  }
  return { columns, problems };
}

function normalizeLimits(value: unknown): KeyLimits | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(LIMIT_FIELDS as readonly string[]).includes(k)) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
    if (k === 'concurrentPerKey' && !Number.isInteger(v)) return undefined;
    out[k] = v;
  }
  // Stable key order so equal limits compare equal as text (idempotent imports).
  return Object.fromEntries(LIMIT_FIELDS.filter((k) => k in out).map((k) => [k, out[k]])) as KeyLimits;
}

/**
 * Stored value meaning "every operation of the key's vendor", resolved when read: an operation
 * added to a vendor later (as 'read' was for JSON clients) then applies to existing keys too,
 * while a list an admin narrowed stays exactly as chosen.
 */
export const ALL_OPERATIONS = '"*"';

export function defaultOperations(_vendor: string): string {
  return ALL_OPERATIONS;
}

/** The operations a stored value allows for this vendor. */
export function resolveOperations(text: string, vendor: string): Operation[] {
  if (text === ALL_OPERATIONS) return [...(operationsOf(vendor) ?? OPERATIONS)];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v.filter((x) => typeof x === 'string') as Operation[]) : [];
  } catch {
    return [];
  }
}

export function problemsText(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
