/**
 * The "correct, sufficient, clean" check before a record leaves the gateway: the national JSON
 * Schema (contract copies, compiled once at module load) plus what a schema cannot say — codes
 * exist in the code lists, the salary coefficient is a step of the rank's table and matches the
 * step number, dates are real and not in the future, work history is in order, the 12-digit
 * personal id (and, as warnings only, its structure against birth year, gender and province).
 *
 * Every issue carries a JSON Pointer into the national record, a stable machine code and a
 * Vietnamese message a clerk can act on; prepare.ts turns the pointer into the vendor's field.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import profileSchema from './contract/profile.schema.json' with { type: 'json' };
import unitSchema from './contract/unit.schema.json' with { type: 'json' };
import type { FieldIssue } from '../types.js';
import { cccdProvince, isKnownCode, rank, salaryCoefficients } from './codelists.js';

/** A FieldIssue that always points into the national record; `field` starts out as the pointer. */
export type Issue = FieldIssue & { pointer: string };

export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
}

export interface ProfileValidationOptions {
  /** Today's date in Vietnam (yyyy-MM-dd), or an instant (its +07:00 date is used). Default: now. */
  today?: string | Date;
  /** Also require and shape-check `chuKySo` (a signed record, as the central database receives it). */
  signed?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Schemas, compiled once

// ajv-formats is CommonJS: under Node's ESM interop its default import is the plugin itself.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;

// multipleOfPrecision: without it 4.98 is not a "multipleOf 0.01" in binary floating point.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, multipleOfPrecision: 6 });
addFormats(ajv);

// The unsigned record: the same schema without chuKySo among the required members.
const unsignedProfileSchema = {
  ...profileSchema,
  $id: `${profileSchema.$id}:chua-ky`,
  required: profileSchema.required.filter((r) => r !== 'chuKySo'),
};

const validateUnsigned: ValidateFunction = ajv.compile(unsignedProfileSchema);
const validateSigned: ValidateFunction = ajv.compile(profileSchema);
const validateUnitSchema: ValidateFunction = ajv.compile(unitSchema);

// ---------------------------------------------------------------------------------------------
// Vietnamese names of the fields, keyed by pointer with array indices as '*'

const PROFILE_LABELS: Record<string, string> = {
  '': 'Hồ sơ',
  '/soDinhDanh': 'Số định danh cá nhân',
  '/soHieu': 'Số hiệu cán bộ, công chức',
  '/hoVaTen': 'Họ và tên',
  '/tenGoiKhac': 'Tên gọi khác',
  '/ngaySinh': 'Ngày sinh',
  '/gioiTinh': 'Giới tính',
  '/danToc': 'Dân tộc',
  '/tonGiao': 'Tôn giáo',
  '/noiSinh': 'Nơi sinh',
  '/queQuan': 'Quê quán',
  '/noiThuongTru': 'Nơi thường trú',
  '/noiOHienNay': 'Nơi ở hiện nay',
  '/soBHXH': 'Số sổ bảo hiểm xã hội',
  '/ngayTuyenDung': 'Ngày tuyển dụng',
  '/donVi': 'Đơn vị công tác',
  '/donVi/maDinhDanh': 'Mã định danh đơn vị',
  '/donVi/ten': 'Tên đơn vị',
  '/viTriViecLam': 'Vị trí việc làm',
  '/chucVu': 'Chức vụ',
  '/chucVu/*': 'Chức vụ',
  '/chucVu/*/ten': 'Tên chức vụ',
  '/chucVu/*/kiemNhiem': 'Kiêm nhiệm',
  '/chucVu/*/heSoPhuCap': 'Hệ số phụ cấp chức vụ',
  '/chucVu/*/tuNgay': 'Ngày giữ chức vụ',
  '/ngachChucDanh': 'Ngạch, chức danh nghề nghiệp',
  '/ngachChucDanh/ma': 'Mã ngạch, chức danh nghề nghiệp',
  '/ngachChucDanh/ten': 'Tên ngạch',
  '/ngachChucDanh/ngayBoNhiem': 'Ngày bổ nhiệm ngạch',
  '/luong': 'Lương',
  '/luong/bac': 'Bậc lương',
  '/luong/heSo': 'Hệ số lương',
  '/luong/ngayHuong': 'Ngày hưởng lương',
  '/luong/phanTramVuotKhung': 'Phần trăm phụ cấp thâm niên vượt khung',
  '/trinhDo': 'Trình độ',
  '/trinhDo/giaoDucPhoThong': 'Trình độ giáo dục phổ thông',
  '/trinhDo/chuyenMonCaoNhat': 'Trình độ chuyên môn cao nhất',
  '/trinhDo/lyLuanChinhTri': 'Trình độ lý luận chính trị',
  '/trinhDo/quanLyNhaNuoc': 'Trình độ quản lý nhà nước',
  '/trinhDo/ngoaiNgu': 'Ngoại ngữ',
  '/trinhDo/ngoaiNgu/*': 'Ngoại ngữ',
  '/trinhDo/tinHoc': 'Tin học',
  '/dang': 'Thông tin Đảng',
  '/dang/ngayVaoDang': 'Ngày vào Đảng',
  '/dang/ngayChinhThuc': 'Ngày chính thức vào Đảng',
  '/quaTrinhCongTac': 'Quá trình công tác',
  '/quaTrinhCongTac/*': 'Quá trình công tác',
  '/quaTrinhCongTac/*/tuThang': 'Từ tháng',
  '/quaTrinhCongTac/*/denThang': 'Đến tháng',
  '/quaTrinhCongTac/*/noiDung': 'Nội dung công tác',
  '/quaTrinhCongTac/*/maDinhDanhDonVi': 'Mã đơn vị công tác',
  '/khenThuong': 'Khen thưởng',
  '/khenThuong/*': 'Khen thưởng',
  '/khenThuong/*/hinhThuc': 'Hình thức khen thưởng',
  '/khenThuong/*/nam': 'Năm khen thưởng',
  '/khenThuong/*/soQuyetDinh': 'Số quyết định khen thưởng',
  '/khenThuong/*/noiDung': 'Nội dung khen thưởng',
  '/kyLuat': 'Kỷ luật',
  '/kyLuat/*': 'Kỷ luật',
  '/kyLuat/*/hinhThuc': 'Hình thức kỷ luật',
  '/kyLuat/*/ngayQuyetDinh': 'Ngày quyết định kỷ luật',
  '/kyLuat/*/soQuyetDinh': 'Số quyết định kỷ luật',
  '/kyLuat/*/lyDo': 'Lý do kỷ luật',
  '/danhGia': 'Đánh giá, xếp loại',
  '/danhGia/*': 'Đánh giá, xếp loại',
  '/danhGia/*/nam': 'Năm đánh giá',
  '/danhGia/*/xepLoai': 'Xếp loại đánh giá',
  '/ngayCapNhat': 'Ngày cập nhật',
  '/nguon': 'Nguồn dữ liệu',
  '/nguon/maPhanMem': 'Mã phần mềm',
  '/nguon/maDonViGui': 'Mã đơn vị gửi',
  '/nguon/dinhDangGoc': 'Định dạng gốc',
  '/chuKySo': 'Chữ ký số',
  '/chuKySo/thuatToan': 'Thuật toán ký',
  '/chuKySo/chungThu': 'Chứng thư ký',
  '/chuKySo/giaTri': 'Giá trị chữ ký',
  '/chuKySo/thoiDiemKy': 'Thời điểm ký',
};
const ADDRESS_PARTS: Record<string, string> = { maTinh: 'mã tỉnh', maXa: 'mã xã', diaChi: 'địa chỉ' };

const UNIT_LABELS: Record<string, string> = {
  '': 'Đơn vị',
  '/maDinhDanh': 'Mã định danh đơn vị',
  '/ten': 'Tên đơn vị',
  '/maDonViCha': 'Mã đơn vị cấp trên',
  '/cap': 'Cấp đơn vị',
  '/hieuLucTu': 'Ngày hiệu lực',
  '/hieuLucDen': 'Ngày hết hiệu lực',
  '/maCu': 'Mã đơn vị cũ',
  '/maCu/*': 'Mã đơn vị cũ',
  '/ngayCapNhat': 'Ngày cập nhật',
};

function unescapeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapeToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** "Năm khen thưởng (dòng 2)" for /khenThuong/1/nam. */
function labelFor(pointer: string, labels: Record<string, string>): string {
  const tokens = pointer.split('/').slice(1);
  const rows: number[] = [];
  const generic = tokens
    .map((t) => {
      if (/^[0-9]+$/.test(t)) {
        rows.push(Number(t) + 1);
        return '*';
      }
      return unescapeToken(t);
    })
    .map((t) => `/${t}`)
    .join('');
  let label = labels[generic];
  if (!label && tokens.length === 2 && ADDRESS_PARTS[tokens[1]] && labels[`/${tokens[0]}`]) {
    label = `${labels[`/${tokens[0]}`]}: ${ADDRESS_PARTS[tokens[1]]}`;
  }
  if (!label) label = `Trường ${generic.slice(1) || '(gốc)'}`;
  return rows.length ? `${label} (dòng ${rows.join(', dòng ')})` : label;
}

// ---------------------------------------------------------------------------------------------
// ajv errors → Vietnamese issues

const TYPE_NAMES: Record<string, string> = {
  string: 'chuỗi ký tự',
  integer: 'số nguyên',
  number: 'số',
  boolean: 'giá trị đúng/sai',
  object: 'nhóm thông tin',
  array: 'danh sách',
  null: 'rỗng',
};

function shown(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value)?.slice(0, 60) ?? String(value);
}

/** What a pattern error should say, from the pattern's intent rather than its regex. */
function patternMessage(label: string, pattern: string, value: unknown): { code: string; message: string } {
  if (pattern === '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') return { code: 'NGAY_KHONG_HOP_LE', message: `${label} ${shown(value)} không phải là ngày đầy đủ (ngày/tháng/năm)` };
  if (pattern === '^[0-9]{4}-[0-9]{2}$') return { code: 'NGAY_KHONG_HOP_LE', message: `${label} ${shown(value)} không đúng dạng tháng/năm` };
  if (pattern.startsWith('^[0-9]{4}(-')) return { code: 'NGAY_KHONG_HOP_LE', message: `${label} ${shown(value)} không đúng dạng ngày/tháng/năm, tháng/năm hoặc năm` };
  if (pattern === '^[0-9]{2}$') return { code: 'SAI_DINH_DANG', message: `${label} ${shown(value)} phải là mã gồm 2 chữ số` };
  const digits = /^\^\[0-9\]\{(\d+)\}\$$/.exec(pattern);
  if (digits) return { code: 'SAI_DINH_DANG', message: `${label} phải gồm ${digits[1]} chữ số (nhận được ${shown(value)})` };
  if (pattern.startsWith('^[0-9A-Z]+')) return { code: 'SAI_DINH_DANG', message: `${label} ${shown(value)} không đúng định dạng mã định danh điện tử (các nhóm chữ số, chữ in hoa cách nhau bởi dấu chấm)` };
  if (pattern.includes('V\\.')) return { code: 'SAI_DINH_DANG', message: `${label} ${shown(value)} không đúng định dạng (NN.NNN hoặc V.NN.NN.NN)` };
  if (pattern.includes('(9|10|12)')) return { code: 'SAI_DINH_DANG', message: `${label} ${shown(value)} không đúng dạng 9/12, 10/10 hoặc 12/12` };
  return { code: 'SAI_DINH_DANG', message: `${label} ${shown(value)} không đúng định dạng` };
}

function issueFromAjv(e: ErrorObject, labels: Record<string, string>): Issue {
  const p = e.params as Record<string, unknown>;
  let pointer = e.instancePath;
  let code = 'KHONG_HOP_LE';
  let message: string;
  switch (e.keyword) {
    case 'required': {
      pointer = `${e.instancePath}/${escapeToken(String(p.missingProperty))}`;
      code = 'THIEU_TRUONG';
      message = `Thiếu thông tin bắt buộc: ${labelFor(pointer, labels)}`;
      break;
    }
    case 'additionalProperties': {
      pointer = `${e.instancePath}/${escapeToken(String(p.additionalProperty))}`;
      message = `Trường "${String(p.additionalProperty)}" không có trong mẫu dữ liệu quốc gia`;
      break;
    }
    case 'type': {
      code = 'SAI_DINH_DANG';
      const types = String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t);
      message = `${labelFor(pointer, labels)} phải là ${types.join(' hoặc ')} (nhận được ${shown(e.data)})`;
      break;
    }
    case 'pattern': {
      const m = patternMessage(labelFor(pointer, labels), String(p.pattern), e.data);
      code = m.code;
      message = m.message;
      break;
    }
    case 'format': {
      code = p.format === 'date-time' || p.format === 'date' ? 'NGAY_KHONG_HOP_LE' : 'SAI_DINH_DANG';
      message =
        p.format === 'date-time'
          ? `${labelFor(pointer, labels)} ${shown(e.data)} không phải là thời điểm hợp lệ (ngày giờ có múi giờ, RFC 3339)`
          : `${labelFor(pointer, labels)} ${shown(e.data)} không đúng định dạng ${String(p.format)}`;
      break;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      message = `${labelFor(pointer, labels)} ${shown(e.data)} không thuộc các giá trị cho phép (${allowed})`;
      break;
    }
    case 'minimum':
    case 'exclusiveMinimum':
      message = `${labelFor(pointer, labels)} ${shown(e.data)} nhỏ hơn giá trị tối thiểu ${String(p.limit)}`;
      break;
    case 'maximum':
    case 'exclusiveMaximum':
      message = `${labelFor(pointer, labels)} ${shown(e.data)} lớn hơn giá trị tối đa ${String(p.limit)}`;
      break;
    case 'multipleOf':
      message = `${labelFor(pointer, labels)} ${shown(e.data)} có quá nhiều chữ số thập phân (tối đa 2)`;
      break;
    case 'maxLength':
      message = `${labelFor(pointer, labels)} quá dài (tối đa ${String(p.limit)} ký tự)`;
      break;
    case 'minLength':
      message = p.limit === 1 ? `${labelFor(pointer, labels)} không được để trống` : `${labelFor(pointer, labels)} quá ngắn (tối thiểu ${String(p.limit)} ký tự)`;
      break;
    case 'maxItems':
      message = `${labelFor(pointer, labels)} có quá nhiều dòng (tối đa ${String(p.limit)})`;
      break;
    case 'minItems':
      message = `${labelFor(pointer, labels)} phải có ít nhất ${String(p.limit)} dòng`;
      break;
    default:
      message = `${labelFor(pointer, labels)} không hợp lệ (${e.keyword})`;
  }
  return { pointer, field: pointer, code, message };
}

/** One issue per pointer (the first ajv reports), in ajv's order. */
function schemaIssues(errors: ErrorObject[] | null | undefined, labels: Record<string, string>, skip?: (e: ErrorObject) => boolean): Issue[] {
  if (!errors) return [];
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (skip?.(e)) continue;
    const issue = issueFromAjv(e, labels);
    if (seen.has(issue.pointer)) continue;
    seen.add(issue.pointer);
    out.push(issue);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

const VN_OFFSET_MS = 7 * 3600 * 1000;

/** yyyy-MM-dd of an instant in Vietnam (UTC+7, no daylight saving). */
export function vietnamDate(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

function todayOf(option: string | Date | undefined): string {
  if (option === undefined) return vietnamDate(new Date());
  if (typeof option === 'string') return option.slice(0, 10);
  return vietnamDate(option);
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** How the clerk wrote it: 12/03/1985, 03/1985, 1985. */
function displayDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return d ? `${d}/${m}/${y}` : m ? `${m}/${y}` : y;
}

/**
 * Checks a (possibly partial) ISO date that already matched its schema pattern: real month and
 * day, not after today, not before 1900. Returns an issue or undefined.
 */
function checkDate(pointer: string, value: unknown, today: string, labels: Record<string, string>, notFuture = true): Issue | undefined {
  if (typeof value !== 'string' || !/^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$/.test(value)) return undefined;
  const y = Number(value.slice(0, 4));
  const m = value.length >= 7 ? Number(value.slice(5, 7)) : 0;
  const d = value.length === 10 ? Number(value.slice(8, 10)) : 0;
  // The label is built only for an issue: this runs for every date of every record.
  const label = () => labelFor(pointer, labels);
  if ((value.length >= 7 && (m < 1 || m > 12)) || (value.length === 10 && (d < 1 || d > daysInMonth(y, m)))) {
    return { pointer, field: pointer, code: 'NGAY_KHONG_HOP_LE', message: `${label()} ${displayDate(value)} không phải là ngày có thật` };
  }
  if (y < 1900) return { pointer, field: pointer, code: 'NGAY_KHONG_HOP_LE', message: `${label()} ${displayDate(value)} không hợp lệ (trước năm 1900)` };
  if (notFuture && value > today.slice(0, value.length)) {
    return { pointer, field: pointer, code: 'NGAY_KHONG_HOP_LE', message: `${label()} ${displayDate(value)} ở tương lai (sau ngày ${displayDate(today)})` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Business rules

/** 3.1 → "3,10": coefficients as Vietnamese documents (and vendor A's contract) write them. */
export function formatCoefficient(n: number): string {
  return n.toFixed(2).replace('.', ',');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function personalIdIssues(record: Obj, errors: Issue[], warnings: Issue[]): void {
  const id = record.soDinhDanh;
  if (typeof id !== 'string') return; // missing or wrong type: the schema said so
  const pointer = '/soDinhDanh';
  if (!/^[0-9]+$/.test(id)) {
    errors.push({ pointer, field: pointer, code: 'SAI_DINH_DANG', message: `Số định danh cá nhân chỉ được gồm chữ số (nhận được "${id}")` });
    return;
  }
  if (id.length !== 12) {
    errors.push({
      pointer,
      field: pointer,
      code: 'SAI_DINH_DANG',
      message:
        id.length === 9
          ? 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)'
          : `Số định danh cá nhân phải gồm 12 chữ số (nhận được ${id.length} chữ số)`,
    });
    return;
  }
  // Structure of Circular 07/2016/TT-BCA: PPP C YY NNNNNN. The current decree no longer fixes it,
  // so a mismatch is a warning that travels with the record, never a refusal.
  const province = id.slice(0, 3);
  if (!cccdProvince(province)) {
    warnings.push({ pointer, field: pointer, code: 'SO_DINH_DANH_KHONG_KHOP', message: `Mã tỉnh ${province} ở 3 chữ số đầu của số định danh cá nhân không có trong danh mục` });
  }
  const c = Number(id[3]);
  if (c > 5) {
    warnings.push({ pointer, field: pointer, code: 'SO_DINH_DANH_KHONG_KHOP', message: `Chữ số thứ 4 của số định danh cá nhân (${c}) không phải mã thế kỷ và giới tính thông dụng` });
    return;
  }
  const century = 1900 + Math.floor(c / 2) * 100;
  const idYear = century + Number(id.slice(4, 6));
  const idGender = c % 2 === 0 ? 1 : 2;
  const dob = record.ngaySinh;
  if (typeof dob === 'string' && /^[0-9]{4}/.test(dob) && Number(dob.slice(0, 4)) !== idYear) {
    warnings.push({
      pointer,
      field: pointer,
      code: 'SO_DINH_DANH_KHONG_KHOP',
      message: `Số định danh cá nhân cho năm sinh ${idYear}, không khớp năm sinh ${dob.slice(0, 4)} của hồ sơ`,
    });
  }
  const g = record.gioiTinh;
  if ((g === 1 || g === 2) && g !== idGender) {
    warnings.push({
      pointer,
      field: pointer,
      code: 'SO_DINH_DANH_KHONG_KHOP',
      message: `Số định danh cá nhân cho giới tính ${idGender === 1 ? 'Nam' : 'Nữ'}, không khớp giới tính ${g === 1 ? 'Nam' : 'Nữ'} của hồ sơ`,
    });
  }
}

function codeIssue(pointer: string, value: unknown, list: Parameters<typeof isKnownCode>[0], what: string, flagged: Set<string>): Issue | undefined {
  if (typeof value !== 'string' || flagged.has(pointer) || isKnownCode(list, value)) return undefined;
  return { pointer, field: pointer, code: 'MA_KHONG_TON_TAI', message: `Mã ${what} "${value}" không có trong danh mục` };
}

function salaryIssues(record: Obj, flagged: Set<string>, errors: Issue[]): void {
  const ngach = record.ngachChucDanh;
  const luong = record.luong;
  if (!isObj(ngach) || !isObj(luong) || typeof ngach.ma !== 'string') return;
  const r = rank(ngach.ma);
  if (!r) return; // unknown rank: reported by the code check
  const steps = salaryCoefficients(r.bang);
  const heSo = luong.heSo;
  const bac = luong.bac;
  if (typeof heSo !== 'number' || flagged.has('/luong/heSo') || steps.length === 0) return;
  const step = steps.findIndex((s) => Math.abs(s - heSo) < 1e-9);
  if (step < 0) {
    errors.push({
      pointer: '/luong/heSo',
      field: '/luong/heSo',
      code: 'KHONG_HOP_LE',
      message: `Hệ số ${formatCoefficient(heSo)} không thuộc bảng lương ${r.bang} của ngạch ${ngach.ma}`,
    });
    return;
  }
  if (typeof bac === 'number' && Number.isInteger(bac) && !flagged.has('/luong/bac') && bac !== step + 1) {
    errors.push({
      pointer: '/luong/bac',
      field: '/luong/bac',
      code: 'KHONG_HOP_LE',
      message:
        bac > steps.length
          ? `Bậc ${bac} vượt quá số bậc của bảng lương ${r.bang} (${steps.length} bậc)`
          : `Bậc ${bac} không khớp hệ số ${formatCoefficient(heSo)} (là bậc ${step + 1} của bảng lương ${r.bang} của ngạch ${ngach.ma})`,
    });
  }
}

let dayBeforeFor = '';
let dayBefore = '';
/**
 * False when an RFC 3339 instant certainly falls before `today` in Vietnam: its own local date is
 * at least two days earlier (offsets shift a date by one day at most). Spares a Date.parse per
 * record on the hot path.
 */
function mayBeAfter(instant: string, today: string): boolean {
  if (today !== dayBeforeFor) {
    dayBefore = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    dayBeforeFor = today;
  }
  return instant.slice(0, 10) >= dayBefore;
}

function dateIssues(record: Obj, today: string, flagged: Set<string>, errors: Issue[]): void {
  const add = (i: Issue | undefined) => {
    if (i && !flagged.has(i.pointer)) {
      errors.push(i);
      flagged.add(i.pointer);
    }
  };
  add(checkDate('/ngaySinh', record.ngaySinh, today, PROFILE_LABELS));
  add(checkDate('/ngayTuyenDung', record.ngayTuyenDung, today, PROFILE_LABELS));
  arr(record.chucVu).forEach((c, i) => isObj(c) && add(checkDate(`/chucVu/${i}/tuNgay`, c.tuNgay, today, PROFILE_LABELS)));
  if (isObj(record.ngachChucDanh)) add(checkDate('/ngachChucDanh/ngayBoNhiem', record.ngachChucDanh.ngayBoNhiem, today, PROFILE_LABELS));
  // A salary step may be decided ahead of the date it applies from: no future check.
  if (isObj(record.luong)) add(checkDate('/luong/ngayHuong', record.luong.ngayHuong, today, PROFILE_LABELS, false));
  if (isObj(record.dang)) {
    add(checkDate('/dang/ngayVaoDang', record.dang.ngayVaoDang, today, PROFILE_LABELS));
    add(checkDate('/dang/ngayChinhThuc', record.dang.ngayChinhThuc, today, PROFILE_LABELS));
    const { ngayVaoDang, ngayChinhThuc } = record.dang;
    if (typeof ngayVaoDang === 'string' && typeof ngayChinhThuc === 'string' && !flagged.has('/dang/ngayChinhThuc') && !flagged.has('/dang/ngayVaoDang') && ngayChinhThuc < ngayVaoDang) {
      add({ pointer: '/dang/ngayChinhThuc', field: '/dang/ngayChinhThuc', code: 'KHONG_HOP_LE', message: `Ngày chính thức vào Đảng ${displayDate(ngayChinhThuc)} trước ngày vào Đảng ${displayDate(ngayVaoDang)}` });
    }
  }
  arr(record.kyLuat).forEach((k, i) => isObj(k) && add(checkDate(`/kyLuat/${i}/ngayQuyetDinh`, k.ngayQuyetDinh, today, PROFILE_LABELS)));
  const year = Number(today.slice(0, 4));
  for (const [list, what] of [['khenThuong', 'khen thưởng'], ['danhGia', 'đánh giá']] as const) {
    arr(record[list]).forEach((k, i) => {
      const pointer = `/${list}/${i}/nam`;
      if (isObj(k) && typeof k.nam === 'number' && k.nam > year && !flagged.has(pointer)) {
        add({ pointer, field: pointer, code: 'NGAY_KHONG_HOP_LE', message: `Năm ${what} ${k.nam} ở tương lai (dòng ${i + 1})` });
      }
    });
  }
  // Born before being recruited.
  const dob = record.ngaySinh;
  const hired = record.ngayTuyenDung;
  if (typeof dob === 'string' && typeof hired === 'string' && !flagged.has('/ngaySinh') && !flagged.has('/ngayTuyenDung') && hired.slice(0, dob.length) < dob) {
    add({ pointer: '/ngayTuyenDung', field: '/ngayTuyenDung', code: 'KHONG_HOP_LE', message: `Ngày tuyển dụng ${displayDate(hired)} trước ngày sinh ${displayDate(dob)}` });
  }
  // ngayCapNhat: the format check already proved it a real instant; it must not lie ahead of today in Vietnam.
  if (typeof record.ngayCapNhat === 'string' && !flagged.has('/ngayCapNhat') && mayBeAfter(record.ngayCapNhat, today)) {
    const t = Date.parse(record.ngayCapNhat);
    if (Number.isFinite(t) && vietnamDate(new Date(t)) > today) {
      add({ pointer: '/ngayCapNhat', field: '/ngayCapNhat', code: 'NGAY_KHONG_HOP_LE', message: `Ngày cập nhật ${record.ngayCapNhat} ở tương lai` });
    }
  }
}

function workHistoryIssues(record: Obj, today: string, flagged: Set<string>, errors: Issue[]): void {
  let previousFrom: string | undefined;
  arr(record.quaTrinhCongTac).forEach((entry, i) => {
    if (!isObj(entry)) return;
    const fromPointer = `/quaTrinhCongTac/${i}/tuThang`;
    const toPointer = `/quaTrinhCongTac/${i}/denThang`;
    const from = typeof entry.tuThang === 'string' && !flagged.has(fromPointer) ? entry.tuThang : undefined;
    const to = typeof entry.denThang === 'string' && !flagged.has(toPointer) ? entry.denThang : undefined;
    const fromIssue = from ? checkDate(fromPointer, from, today, PROFILE_LABELS) : undefined;
    const toIssue = to ? checkDate(toPointer, to, today, PROFILE_LABELS) : undefined;
    if (fromIssue) errors.push(fromIssue);
    if (toIssue) errors.push(toIssue);
    if (from && to && !fromIssue && !toIssue && to < from) {
      errors.push({
        pointer: toPointer,
        field: toPointer,
        code: 'KHONG_HOP_LE',
        message: `Quá trình công tác dòng ${i + 1}: đến tháng ${displayDate(to)} trước từ tháng ${displayDate(from)}`,
      });
    }
    if (from && !fromIssue) {
      if (previousFrom && from < previousFrom) {
        errors.push({
          pointer: fromPointer,
          field: fromPointer,
          code: 'KHONG_HOP_LE',
          message: `Quá trình công tác không theo thứ tự thời gian: dòng ${i + 1} bắt đầu ${displayDate(from)}, trước dòng ${i} (${displayDate(previousFrom)})`,
        });
      }
      previousFrom = from;
    }
  });
}

// Issues are listed in the order of the record's fields (the schema's order, close to the
// order of the legacy forms), so a clerk reads them top to bottom.
const FIELD_ORDER = new Map(Object.keys(profileSchema.properties).map((k, i) => [k, i]));

function inRecordOrder(issues: Issue[]): Issue[] {
  const rank = (p: string) => FIELD_ORDER.get(unescapeToken(p.split('/')[1] ?? '')) ?? FIELD_ORDER.size;
  return issues
    .map((issue, i) => ({ issue, i, r: rank(issue.pointer) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.issue);
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Validates a national record. By default the record is the unsigned one (chuKySo not required,
 * as prepare.ts validates before signing); `signed: true` checks a record as sent.
 */
export function validateProfile(record: unknown, options: ProfileValidationOptions = {}): ValidationResult {
  const today = todayOf(options.today);
  const validate = options.signed ? validateSigned : validateUnsigned;
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const ok = validate(record);
  // soDinhDanh's length gets its own message (the old 9-digit id must be named as such).
  const skip = (e: ErrorObject) => e.instancePath === '/soDinhDanh' && e.keyword === 'pattern';
  if (!ok) errors.push(...schemaIssues(validate.errors, PROFILE_LABELS, skip));
  if (!isObj(record)) return { errors, warnings };
  const flagged = new Set(errors.map((e) => e.pointer));

  personalIdIssues(record, errors, warnings);
  const codeChecks: (Issue | undefined)[] = [
    codeIssue('/danToc', record.danToc, 'dan-toc', 'dân tộc', flagged),
    codeIssue('/tonGiao', record.tonGiao, 'ton-giao', 'tôn giáo', flagged),
    isObj(record.ngachChucDanh) ? codeIssue('/ngachChucDanh/ma', record.ngachChucDanh.ma, 'ngach', 'ngạch', flagged) : undefined,
  ];
  arr(record.khenThuong).forEach((k, i) => isObj(k) && codeChecks.push(codeIssue(`/khenThuong/${i}/hinhThuc`, k.hinhThuc, 'khen-thuong', 'hình thức khen thưởng', flagged)));
  arr(record.kyLuat).forEach((k, i) => isObj(k) && codeChecks.push(codeIssue(`/kyLuat/${i}/hinhThuc`, k.hinhThuc, 'ky-luat', 'hình thức kỷ luật', flagged)));
  for (const address of ['noiSinh', 'queQuan', 'noiThuongTru', 'noiOHienNay']) {
    const a = record[address];
    if (isObj(a)) codeChecks.push(codeIssue(`/${address}/maTinh`, a.maTinh, 'tinh-2025', 'tỉnh', flagged));
  }
  for (const i of codeChecks) if (i) errors.push(i);
  for (const i of errors) flagged.add(i.pointer);

  salaryIssues(record, flagged, errors);
  dateIssues(record, today, flagged, errors);
  workHistoryIssues(record, today, flagged, errors);
  return { errors: inRecordOrder(errors), warnings };
}

/** Validates one unit of the organisation tree (unit.schema.json plus consistency rules). */
export function validateUnit(unit: unknown, options: { today?: string | Date } = {}): ValidationResult {
  const today = todayOf(options.today);
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  if (!validateUnitSchema(unit)) errors.push(...schemaIssues(validateUnitSchema.errors, UNIT_LABELS));
  if (!isObj(unit)) return { errors, warnings };
  const flagged = new Set(errors.map((e) => e.pointer));
  const add = (i: Issue | undefined) => {
    if (i && !flagged.has(i.pointer)) {
      errors.push(i);
      flagged.add(i.pointer);
    }
  };
  // A unit may be created ahead of the date it takes effect: no future check on hieuLucTu.
  add(checkDate('/hieuLucTu', unit.hieuLucTu, today, UNIT_LABELS, false));
  add(checkDate('/hieuLucDen', unit.hieuLucDen, today, UNIT_LABELS, false));
  if (typeof unit.hieuLucTu === 'string' && typeof unit.hieuLucDen === 'string' && !flagged.has('/hieuLucTu') && !flagged.has('/hieuLucDen') && unit.hieuLucDen < unit.hieuLucTu) {
    add({ pointer: '/hieuLucDen', field: '/hieuLucDen', code: 'KHONG_HOP_LE', message: `Ngày hết hiệu lực ${displayDate(unit.hieuLucDen)} trước ngày hiệu lực ${displayDate(unit.hieuLucTu)}` });
  }
  if (typeof unit.cap === 'number' && !flagged.has('/cap')) {
    if (unit.cap === 1 && typeof unit.maDonViCha === 'string') {
      add({ pointer: '/maDonViCha', field: '/maDonViCha', code: 'KHONG_HOP_LE', message: 'Đơn vị cấp 1 (bộ, ngành, tỉnh) không có đơn vị cấp trên' });
    } else if (unit.cap > 1 && unit.maDonViCha === undefined) {
      add({ pointer: '/maDonViCha', field: '/maDonViCha', code: 'THIEU_TRUONG', message: `Thiếu thông tin bắt buộc: Mã đơn vị cấp trên (đơn vị cấp ${unit.cap})` });
    }
  }
  if (typeof unit.maDinhDanh === 'string') {
    if (unit.maDonViCha === unit.maDinhDanh) add({ pointer: '/maDonViCha', field: '/maDonViCha', code: 'KHONG_HOP_LE', message: 'Đơn vị không thể là đơn vị cấp trên của chính nó' });
    arr(unit.maCu).forEach((c, i) => {
      if (c === unit.maDinhDanh) add({ pointer: `/maCu/${i}`, field: `/maCu/${i}`, code: 'KHONG_HOP_LE', message: `Mã đơn vị cũ ${String(c)} trùng mã định danh hiện tại của đơn vị` });
    });
  }
  if (typeof unit.ngayCapNhat === 'string' && !flagged.has('/ngayCapNhat')) {
    const t = Date.parse(unit.ngayCapNhat);
    if (Number.isFinite(t) && vietnamDate(new Date(t)) > today) add({ pointer: '/ngayCapNhat', field: '/ngayCapNhat', code: 'NGAY_KHONG_HOP_LE', message: `Ngày cập nhật ${unit.ngayCapNhat} ở tương lai` });
  }
  return { errors, warnings };
}
