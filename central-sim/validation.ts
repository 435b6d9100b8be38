/**
 * Schema validation as the central database does it: the contract's JSON Schemas (2020-12),
 * compiled once per process, with every problem reported as a `ChiTietLoi` whose `truong` is the
 * JSON Pointer of the offending field. The simulator carries its own copies of the schemas
 * (central-sim/contract/) because it stands in for an outside party and must not read ../shared
 * at run time.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import profileSchema from './contract/profile.schema.json' with { type: 'json' };
import unitSchema from './contract/unit.schema.json' with { type: 'json' };
import type { ChiTietLoi } from './messages.js';

// ajv-formats is CommonJS with `module.exports = plugin`; under NodeNext the default import is
// that function at run time even though its typings describe `{default}`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

interface Validators {
  /** Stops at the first problem: the hot path, where nearly every record conforms. */
  fast: ValidateFunction;
  /** Collects every problem: run only for a record already known to be invalid. */
  all: ValidateFunction;
}

let compiled: { profile: Validators; unit: Validators } | undefined;

function validators(): { profile: Validators; unit: Validators } {
  if (!compiled) {
    // multipleOfPrecision: in binary floating point 4.98 is not a multiple of 0.01; a decimal
    // coefficient with two places must pass, as the national database's own check would let it.
    const fast = new Ajv2020({ allErrors: false, strict: false, multipleOfPrecision: 6 });
    // allErrors: a sender fixing a record wants every problem at once, not one per round trip.
    const all = new Ajv2020({ allErrors: true, strict: false, multipleOfPrecision: 6 });
    addFormats(fast);
    addFormats(all);
    compiled = {
      profile: { fast: fast.compile(profileSchema), all: all.compile(profileSchema) },
      unit: { fast: fast.compile(unitSchema), all: all.compile(unitSchema) },
    };
  }
  return compiled;
}

function check(v: Validators, value: unknown): ChiTietLoi[] {
  if (v.fast(value)) return [];
  v.all(value);
  return toDetails(v.all.errors ?? v.fast.errors ?? []);
}

/** Problems of one profile record against profile.schema.json; empty when it conforms. */
export function profileSchemaErrors(record: unknown): ChiTietLoi[] {
  return check(validators().profile, record);
}

/** Problems of one unit against unit.schema.json; empty when it conforms. */
export function unitSchemaErrors(unit: unknown): ChiTietLoi[] {
  return check(validators().unit, unit);
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function toDetails(errors: ErrorObject[]): ChiTietLoi[] {
  const out: ChiTietLoi[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const detail = describe(e);
    if (!detail) continue;
    const key = `${detail.truong}|${detail.ma}|${detail.moTa}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(detail);
  }
  return out;
}

function describe(e: ErrorObject): ChiTietLoi | undefined {
  const at = e.instancePath || '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        truong: `${at}/${escapePointer(String(p.missingProperty))}`,
        ma: 'THIEU_TRUONG',
        moTa: `Thiếu trường bắt buộc ${String(p.missingProperty)}`,
      };
    case 'additionalProperties':
      return {
        truong: `${at}/${escapePointer(String(p.additionalProperty))}`,
        ma: 'KHONG_HOP_LE',
        moTa: `Trường ${String(p.additionalProperty)} không có trong cấu trúc quy định`,
      };
    case 'type':
      return { truong: at || '/', ma: 'KHONG_HOP_LE', moTa: `Sai kiểu dữ liệu, phải là ${typeName(String(p.type))}` };
    case 'pattern':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị không đúng định dạng (${String(p.pattern)})` };
    case 'format':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị không đúng định dạng ${formatName(String(p.format))}` };
    case 'enum':
      return {
        truong: at,
        ma: 'KHONG_HOP_LE',
        moTa: `Giá trị không thuộc danh sách cho phép: ${(p.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'minLength':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Quá ngắn, cần ít nhất ${String(p.limit)} ký tự` };
    case 'maxLength':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Quá dài, tối đa ${String(p.limit)} ký tự` };
    case 'minimum':
    case 'exclusiveMinimum':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị phải ${e.keyword === 'minimum' ? 'từ' : 'lớn hơn'} ${String(p.limit)} trở lên` };
    case 'maximum':
    case 'exclusiveMaximum':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị không được vượt quá ${String(p.limit)}` };
    case 'multipleOf':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị phải là bội số của ${String(p.multipleOf)}` };
    case 'minItems':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Cần ít nhất ${String(p.limit)} phần tử` };
    case 'maxItems':
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Tối đa ${String(p.limit)} phần tử` };
    default:
      return { truong: at, ma: 'KHONG_HOP_LE', moTa: `Giá trị không hợp lệ (${e.keyword})` };
  }
}

function typeName(t: string): string {
  const names: Record<string, string> = {
    string: 'chuỗi ký tự',
    integer: 'số nguyên',
    number: 'số',
    boolean: 'đúng/sai',
    object: 'đối tượng',
    array: 'danh sách',
  };
  return t.split(',').map((x) => names[x] ?? x).join(' hoặc ');
}

function formatName(f: string): string {
  return f === 'date-time' ? 'ngày giờ RFC 3339 có múi giờ (ví dụ 2025-08-20T10:15:00+07:00)' : f;
}
