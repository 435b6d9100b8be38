/**
 * The JSON front, for modern software that already speaks the national schema:
 *   POST /api/v1/profiles        one record (national JSON, without chuKySo)
 *   POST /api/v1/profiles:batch  {"hoSo": [ … ]}, up to the per-call limit
 * Credentials: `X-Connection-Key` (+ optional `X-Ma-Don-Vi`) or `Authorization: Bearer`.
 * The records go through the same re-mapping, validation, signing and delivery as legacy ones.
 * Answers: 200 synchronised, 202 queued, 409 stale, 422 invalid (one record); batch: 200 with
 * one result per record. Errors: RFC 9457 problem documents.
 */
import type { HoSoChuaKy } from '../national/profile.js';
import type { FieldIssue, IncomingCall, OperationResult, ParsedRecord, RecordResult, RecordStatus, RequestLimits, TextRepair, VendorFront } from '../types.js';
import type { HttpAnswer, RequestMeta } from '../../core/http.js';
import { GatewayError } from '../../core/errors.js';
import { jsonCredentials } from './credentials.js';
import { problemAnswer, jsonAnswer } from '../../core/http.js';

const SINGLE = '/api/v1/profiles';
const BATCH = '/api/v1/profiles:batch';

const STATUS_HTTP: Record<RecordStatus, number> = { SYNCED: 200, QUEUED: 202, STALE: 409, INVALID: 422, ERROR: 502 };

/**
 * Deepest nesting of objects and arrays accepted in a body. A national record nests a few levels
 * (a batch adds two); everything after parsing walks records recursively, so a body nested
 * thousands deep is refused here, as the XML fronts refuse deep documents while parsing.
 */
const MAX_JSON_DEPTH = 32;

/** Whether `value` nests objects/arrays deeper than `max` (iterative: the check itself cannot overflow the stack). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const c of Array.isArray(v) ? v : Object.values(v as object)) if (c !== null && typeof c === 'object') stack.push([c, depth + 1]);
  }
  return false;
}

/** NFC (and TCVN3 repair, when the key says so) on every string of a JSON value. */
function repairDeep(value: unknown, repair: TextRepair): unknown {
  if (typeof value === 'string') return repair(value);
  if (Array.isArray(value)) return value.map((v) => repairDeep(v, repair));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = repairDeep(v, repair);
    return out;
  }
  return value;
}

function toParsed(item: unknown, index: number, repair: TextRepair): ParsedRecord {
  const errors: FieldIssue[] = [];
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    errors.push({ pointer: '', field: `/${index}`, code: 'KHONG_HOP_LE', message: 'Mỗi hồ sơ phải là một đối tượng JSON' });
    return { recordId: String(index + 1), index, draft: {}, fields: {}, errors, warnings: [] };
  }
  // The gateway signs and states provenance itself; a caller's chuKySo or nguon is replaced.
  const { chuKySo: _sig, nguon: _src, ...rest } = repairDeep(item, repair) as Record<string, unknown>;
  const draft = rest as Partial<HoSoChuaKy>;
  return { recordId: typeof draft.soDinhDanh === 'string' ? draft.soDinhDanh : String(index + 1), index, draft, fields: {}, errors, warnings: [] };
}

function view(r: RecordResult) {
  const issue = (i: FieldIssue) => ({ truong: i.pointer ?? i.field, ma: i.code, moTa: i.message });
  return {
    maTheoDoi: r.trackingId,
    ketQua: r.status,
    thongBao: r.message,
    ...(r.errors.length ? { loi: r.errors.map(issue) } : {}),
    ...(r.warnings.length ? { canhBao: r.warnings.map(issue) } : {}),
  };
}

export const jsonFront: VendorFront = {
  id: 'json',
  // Everything, including 'read': the pass-through of the central database's read paths.
  operations: ['submitProfiles', 'upsertUnit', 'status', 'read'],
  paths: [SINGLE, BATCH],

  readRequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall {
    const type = String(meta.headers['content-type'] ?? '');
    if (!/^application\/(.+\+)?json\b/i.test(type)) throw new GatewayError('JSON_KHONG_HOP_LE', { detail: 'Content-Type phải là application/json' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch (err) {
      throw new GatewayError('JSON_KHONG_HOP_LE', { detail: (err as Error).message.slice(0, 200) });
    }
    if (parsed !== null && typeof parsed === 'object' && nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
      throw new GatewayError('JSON_KHONG_HOP_LE', { detail: `cấu trúc lồng nhau quá ${MAX_JSON_DEPTH} tầng` });
    }
    let items: unknown[];
    if (meta.path === BATCH) {
      const list = (parsed as { hoSo?: unknown })?.hoSo;
      if (!Array.isArray(list) || list.length === 0) throw new GatewayError('JSON_KHONG_HOP_LE', { detail: 'cần {"hoSo": [ … ]} với ít nhất một hồ sơ' });
      if (list.length > limits.maxRecordsPerCall) throw new GatewayError('QUA_NHIEU_BAN_GHI', { limit: limits.maxRecordsPerCall, count: list.length });
      items = list;
    } else {
      items = [parsed];
    }
    return {
      vendorOperation: meta.path === BATCH ? 'profiles:batch' : 'profiles',
      operation: 'submitProfiles',
      credentials: jsonCredentials(meta.headers),
      records: (repair) => items.map((item, i) => toParsed(item, i, repair)),
    };
  },

  renderResult(call: IncomingCall, result: OperationResult): HttpAnswer {
    if (call.vendorOperation === 'profiles') {
      const r = result.results[0];
      return jsonAnswer(STATUS_HTTP[r.status], view(r));
    }
    const count = (s: RecordStatus) => result.results.filter((r) => r.status === s).length;
    return jsonAnswer(200, {
      tongSo: result.results.length,
      daDongBo: count('SYNCED'),
      dangCho: count('QUEUED'),
      khongHopLe: count('INVALID'),
      cuHon: count('STALE'),
      loi: count('ERROR'),
      ketQua: result.results.map(view),
    });
  },

  renderError(err: GatewayError): HttpAnswer {
    return problemAnswer(err);
  },
};
