/**
 * The shared steps between a vendor front's draft and delivery: re-home unit codes to the current
 * tree, add provenance (`nguon`), validate, and sign — per record, so one bad record never affects
 * the others in its batch. Every issue names the VENDOR's field (HeSoLuong,
 * employee[2]/personal/nationalId) through the front's `parsed.fields` map: the longest pointer
 * prefix that the front registered, or the JSON Pointer itself when it registered none.
 */
import type { FieldIssue, ParsedRecord, ParsedUnit } from '../types.js';
import type { DonVi, HoSo, HoSoChuaKy } from './profile.js';
import type { RemapResult } from './remap.js';
import type { UnitScope } from './scope.js';
import { signRecordAsync, type RecordSigningIdentity } from './sign.js';
import { validateProfile, validateUnit, vietnamDate, type Issue } from './validate.js';

export interface PrepareEnv {
  /** The unit directory (createUnitDirectory), or anything with its remap(). */
  directory: { remap(code: string, pointer?: string): RemapResult };
  /**
   * The sending unit's signing identity (the gateway passes certs/signer.ts, which caches it);
   * may be async; throws (e.g. GatewayError CHUA_CO_CHUNG_THU_KY) when the unit has none.
   * Called once per record.
   */
  signer: (unitCode: string) => RecordSigningIdentity | Promise<RecordSigningIdentity>;
  /** The connection key's software id → nguon.maPhanMem. */
  softwareId: string;
  /** The sending unit as the caller presented it (often a pre-2025 code) → re-mapped nguon.maDonViGui. */
  sendingUnit: string;
  /** The front's id (vendor-a-asmx …) → nguon.dinhDangGoc. */
  front: string;
  /**
   * The connection key's scope (scope.ts unitScope): a record whose unit lies outside it is
   * refused (DON_VI_NGOAI_PHAM_VI) and never signed. Absent: no scope check (tools, tests).
   */
  scope?: Pick<UnitScope, 'check' | 'checkUnit'>;
  /** Vietnam date for "not in the future" checks (yyyy-MM-dd or an instant). Default: now. */
  today?: string | Date;
  /** Signing time. Default: now. */
  now?: Date;
}

export interface PreparedRecord {
  parsed: ParsedRecord;
  /** Present only when the record is valid and signed. */
  record?: HoSo;
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

export interface PreparedUnit {
  parsed: ParsedUnit;
  /** Present only when the unit is valid. */
  unit?: DonVi;
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Deep copy of a draft as plain JSON: members whose value is undefined are dropped (they would
 * vanish on the wire anyway) and strings are NFC (fronts repair text already; this is the last
 * guard before signing, since a later normalisation would break the signature).
 */
function cleanCopy(value: unknown): unknown {
  if (typeof value === 'string') return NON_ASCII.test(value) ? value.normalize('NFC') : value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : cleanCopy(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = cleanCopy(v);
    }
    return out;
  }
  return value;
}

/** The vendor's name for the field at `pointer`: the longest registered prefix, segment-wise. */
export function vendorField(pointer: string | undefined, fields: Record<string, string>): string {
  if (pointer === undefined) return '';
  let p = pointer;
  for (;;) {
    const f = fields[p];
    if (f !== undefined && Object.prototype.hasOwnProperty.call(fields, p)) return f;
    if (p === '') return pointer;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function withVendorField(issue: Issue, fields: Record<string, string>): FieldIssue {
  return { ...issue, field: vendorField(issue.pointer, fields) };
}

/** True when `a` is `b` or lies under it (or the reverse): issues about the same spot. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** A code's current form, or the code itself when it cannot be re-homed (validation reports it). */
function currentCode(directory: PrepareEnv['directory'], code: string): string {
  const r = directory.remap(code);
  return 'error' in r ? code : r.code;
}

/** Re-homes the unit code at obj[key] in place; collects the issue the directory may return. */
function remapInPlace(
  directory: PrepareEnv['directory'],
  obj: Record<string, unknown> | undefined,
  key: string,
  pointer: string,
  errors: Issue[],
  warnings: Issue[],
): void {
  if (!obj || typeof obj[key] !== 'string') return; // absent or mistyped: validation reports it
  const result = directory.remap(obj[key] as string, pointer);
  if ('error' in result) {
    errors.push(result.error);
    return;
  }
  obj[key] = result.code;
  if (result.warning) warnings.push(result.warning);
}

function addCheck(check: { error?: Issue; warning?: Issue }, errors: Issue[], warnings: Issue[]): void {
  if (check.error) errors.push(check.error);
  if (check.warning) warnings.push(check.warning);
}

function errorIssue(err: unknown, pointer: string, fallbackCode: string, fallbackMessage: string): Issue {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : fallbackCode;
  const message = typeof e?.message === 'string' && e.message !== '' && typeof e?.code === 'string' ? e.message : fallbackMessage;
  return { pointer, field: pointer, code, message };
}

// ---------------------------------------------------------------------------------------------
// Records

/**
 * Prepares a batch: per record `{parsed, record?, errors, warnings}` in input order. A record with
 * parse errors is never signed, but is still re-mapped and validated so the clerk sees all its
 * problems at once (validation issues on a spot the front already reported are dropped).
 */
export async function prepareRecords(parsed: ParsedRecord[], env: PrepareEnv): Promise<PreparedRecord[]> {
  const now = env.now ?? new Date();
  // Once per batch, not once per record.
  const today = typeof env.today === 'string' ? env.today : vietnamDate(env.today ?? now);

  // The sending unit is the same for the whole batch: re-map it once.
  const senderErrors: Issue[] = [];
  const senderWarnings: Issue[] = [];
  let sendingUnit: string | undefined;
  if (env.sendingUnit) {
    const r = env.directory.remap(env.sendingUnit, '/nguon/maDonViGui');
    if ('error' in r) senderErrors.push(r.error);
    else {
      sendingUnit = r.code;
      if (r.warning) senderWarnings.push(r.warning);
    }
  }

  // Validation runs synchronously record by record; the signatures then proceed in parallel on
  // the thread pool. Results keep the input order.
  const batch: BatchState = { now, today, sendingUnit, senderErrors, senderWarnings };
  return Promise.all(parsed.map((item) => prepareOne(item, env, batch)));
}

interface BatchState {
  now: Date;
  today: string;
  sendingUnit: string | undefined;
  senderErrors: Issue[];
  senderWarnings: Issue[];
}

async function prepareOne(parsed: ParsedRecord, env: PrepareEnv, batch: BatchState): Promise<PreparedRecord> {
  // The front's field map is read only to name an issue: a front may build it on demand.
  let fieldMap: Record<string, string> | undefined;
  const named = (issue: Issue): FieldIssue => withVendorField(issue, (fieldMap ??= parsed.fields ?? {}));
  try {
    const record = cleanCopy(parsed.draft ?? {}) as Record<string, unknown>;
    const errors: Issue[] = [...batch.senderErrors];
    const warnings: Issue[] = [...batch.senderWarnings];

    const donVi = record.donVi as Record<string, unknown> | undefined;
    const remapErrors = errors.length;
    remapInPlace(env.directory, donVi, 'maDinhDanh', '/donVi/maDinhDanh', errors, warnings);
    // The record's unit (once re-homed) must be the key's unit or lie below it.
    if (env.scope && errors.length === remapErrors && typeof donVi?.maDinhDanh === 'string') {
      addCheck(env.scope.check(donVi.maDinhDanh, '/donVi/maDinhDanh'), errors, warnings);
    }
    if (Array.isArray(record.quaTrinhCongTac)) {
      record.quaTrinhCongTac.forEach((entry, i) => {
        if (entry && typeof entry === 'object') remapInPlace(env.directory, entry as Record<string, unknown>, 'maDinhDanhDonVi', `/quaTrinhCongTac/${i}/maDinhDanhDonVi`, errors, warnings);
      });
    }

    const nguon: Record<string, string> = { maPhanMem: env.softwareId };
    if (batch.sendingUnit) nguon.maDonViGui = batch.sendingUnit;
    nguon.dinhDangGoc = env.front;
    record.nguon = nguon;

    const validation = validateProfile(record, { today: batch.today });
    // Issues already reported (by the front, or by re-mapping) are not repeated by validation.
    const reported = [...(parsed.errors ?? []), ...errors].map((e) => e.pointer).filter((p): p is string => p !== undefined);
    for (const e of validation.errors) if (!reported.some((p) => overlaps(p, e.pointer))) errors.push(e);
    warnings.push(...validation.warnings);

    const allErrors: FieldIssue[] = [...(parsed.errors ?? []), ...errors.map(named)];
    const allWarnings: FieldIssue[] = [...(parsed.warnings ?? []), ...warnings.map(named)];
    if (allErrors.length > 0) return { parsed, errors: allErrors, warnings: allWarnings };

    // Signed in the name of the sending unit (the record's own unit when none was presented).
    const signerUnit = batch.sendingUnit ?? ((record.donVi as { maDinhDanh: string }).maDinhDanh);
    let identity: RecordSigningIdentity;
    try {
      identity = await env.signer(signerUnit);
    } catch (err) {
      const issue = errorIssue(err, '/nguon/maDonViGui', 'CHUA_CO_CHUNG_THU_KY', `Đơn vị ${signerUnit} chưa có chứng thư ký số hợp lệ`);
      return { parsed, errors: [named(issue)], warnings: allWarnings };
    }
    const signed = await signRecordAsync(record as unknown as HoSoChuaKy, identity, batch.now);
    return { parsed, record: signed, errors: [], warnings: allWarnings };
  } catch (err) {
    // A defect must cost this record only, never its batch.
    const issue: FieldIssue = { field: '', code: 'LOI_HE_THONG', message: `Lỗi hệ thống khi xử lý hồ sơ: ${(err as Error)?.message ?? String(err)}` };
    return { parsed, errors: [...(parsed.errors ?? []), issue], warnings: parsed.warnings ?? [] };
  }
}

// ---------------------------------------------------------------------------------------------
// Units

/**
 * Prepares one unit for upsertUnit: its parent is re-homed to the current tree; its own code is
 * kept (a new unit is not in the tree yet) but refused when a rule says it was replaced; then
 * unit.schema.json and consistency checks. Units carry no signature.
 */
export async function prepareUnit(parsed: ParsedUnit, env: Pick<PrepareEnv, 'directory' | 'scope' | 'today' | 'now'>): Promise<PreparedUnit> {
  const fields = parsed.fields ?? {};
  try {
    const unit = cleanCopy(parsed.draft ?? {}) as Record<string, unknown>;
    const errors: Issue[] = [];
    const warnings: Issue[] = [];
    if (typeof unit.maDinhDanh === 'string') {
      const own = env.directory.remap(unit.maDinhDanh, '/maDinhDanh');
      if (!('error' in own) && own.ruleApplied && own.code !== unit.maDinhDanh) {
        errors.push({
          pointer: '/maDinhDanh',
          field: '/maDinhDanh',
          code: 'MA_DON_VI_DA_THAY_DOI',
          message: `Mã đơn vị ${unit.maDinhDanh} đã được thay bằng ${own.code} sau sắp xếp đơn vị; cập nhật đơn vị theo mã mới`,
        });
      }
    }
    const remapErrors = errors.length;
    remapInPlace(env.directory, unit, 'maDonViCha', '/maDonViCha', errors, warnings);
    if (env.scope && errors.length === remapErrors) {
      const code = typeof unit.maDinhDanh === 'string' ? currentCode(env.directory, unit.maDinhDanh) : undefined;
      const parent = typeof unit.maDonViCha === 'string' ? unit.maDonViCha : undefined;
      addCheck(env.scope.checkUnit(code, parent, { code: '/maDinhDanh', parent: '/maDonViCha' }), errors, warnings);
    }
    const validation = validateUnit(unit, { today: env.today ?? env.now ?? new Date() });
    const reported = [...(parsed.errors ?? []), ...errors].map((e) => e.pointer).filter((p): p is string => p !== undefined);
    for (const e of validation.errors) if (!reported.some((p) => overlaps(p, e.pointer))) errors.push(e);
    warnings.push(...validation.warnings);
    const allErrors: FieldIssue[] = [...(parsed.errors ?? []), ...errors.map((e) => withVendorField(e, fields))];
    const allWarnings: FieldIssue[] = [...(parsed.warnings ?? []), ...warnings.map((w) => withVendorField(w, fields))];
    if (allErrors.length > 0) return { parsed, errors: allErrors, warnings: allWarnings };
    return { parsed, unit: unit as unknown as DonVi, errors: [], warnings: allWarnings };
  } catch (err) {
    const issue: FieldIssue = { field: '', code: 'LOI_HE_THONG', message: `Lỗi hệ thống khi xử lý đơn vị: ${(err as Error)?.message ?? String(err)}` };
    return { parsed, errors: [...(parsed.errors ?? []), issue], warnings: parsed.warnings ?? [] };
  }
}
