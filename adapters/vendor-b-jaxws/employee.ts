/**
 * Vendor B's `<employee>` (samples/records.payload.xml) → a draft national record, per the quirk
 * table of vendor B's README. Field names in issues are paths inside the payload, 1-based like
 * XPath: `employee[2]/personal/nationalId`, `employee[1]/employment/salary/@coefficient`.
 *
 * Birth place province: the national `noiSinh.maTinh` is a code of the post-2025 province list.
 * Vendor B's @province is its own (pre-2025) code. Provinces that survived the 2025 merger kept
 * their codes, so a code that is in the post-2025 list is carried over; any other code (a merged
 * province) cannot be translated without guessing, so only the address text is kept and the
 * record gets a warning saying so (the record is not blocked for it).
 */
import { ethnicCode, evaluationGrade, genderCode, isKnownCode, politicalTheory, rank, religionCode } from '../national/codelists.js';
import type { HoSoChuaKy } from '../national/profile.js';
import type { ParsedRecord, TextRepair } from '../types.js';
import { echoPreview, MAX_CALLER_ID_LENGTH } from '../../core/ids.js';
import { IssueCollector, quote } from '../xml/issues.js';
import type { XmlElement } from '../xml/parse.js';
import { attr, child, children } from '../xml/tree.js';

type Member<K extends keyof HoSoChuaKy> = NonNullable<HoSoChuaKy[K]>;

const DATE_OR_PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const MONTH = /^(\d{4})-(\d{2})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^\d{1,3}(?:[.,]\d{1,4})?$/;
const INT = /^\d{1,4}$/;

/**
 * Days in month `mo` (1-12) of `year`, as new Date(Date.UTC(year, mo, 0)).getUTCDate() gave them
 * (years 0-99 are 1900-1999 there) without building a Date: that was a third of mapping a record.
 */
function daysInMonth(year: number, mo: number): number {
  const y = year >= 0 && year <= 99 ? 1900 + year : year;
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

function checkDate(raw: string, partial: boolean): string | undefined {
  const m = DATE_OR_PARTIAL.exec(raw);
  if (!m) return `phải có dạng yyyy-MM-dd (nhận được ${quote(raw)})`;
  if (m[3] === undefined && !partial) return `phải là ngày đầy đủ yyyy-MM-dd (nhận được ${quote(raw)})`;
  if (m[2] !== undefined) {
    const mo = Number(m[2]);
    if (mo < 1 || mo > 12) return `có tháng không hợp lệ (${quote(raw)})`;
    if (m[3] !== undefined) {
      const d = Number(m[3]);
      const days = daysInMonth(Number(m[1]), mo);
      if (d < 1 || d > days) return `là ngày không tồn tại (${quote(raw)})`;
    }
  }
  return undefined;
}

/** Maps one employee element; `index` is its 0-based position in the payload. */
export function mapEmployee(el: XmlElement, index: number, repair: TextRepair): ParsedRecord {
  const issues = new IssueCollector();
  const at = `employee[${index + 1}]`;
  // JSON Pointer → this employee's field, as pairs: the map of full paths (`fields`) is written
  // only when something asks for it (an issue to name), not for every record.
  const pairs: string[] = [];
  const full = (field: string) => `${at}/${field}`;
  const draft: Partial<HoSoChuaKy> = {};

  const clean = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    const r = repair(v).trim();
    return r.length ? r : undefined;
  };
  const textOf = (parent: XmlElement | undefined, name: string) => {
    const c = parent ? child(parent, name) : undefined;
    return c ? clean(c.text) : undefined;
  };
  const attrOf = (e: XmlElement | undefined, name: string) => (e ? clean(attr(e, name)) : undefined);

  /** Registers pointer → field; returns the field (relative to the employee: full() names it in an issue). */
  const f = (pointer: string, field: string) => {
    pairs.push(pointer, field);
    return field;
  };
  const date = (raw: string | undefined, pointer: string, field: string, label: string, partial = false): string | undefined => {
    const name = f(pointer, field);
    if (raw === undefined) return undefined;
    const problem = checkDate(raw, partial);
    if (problem === undefined) return raw;
    issues.error(pointer, full(name), 'SAI_DINH_DANG', `${label} ${problem}`);
    return undefined;
  };
  const month = (raw: string | undefined, pointer: string, field: string, label: string): string | undefined => {
    const name = f(pointer, field);
    if (raw === undefined) return undefined;
    const m = MONTH.exec(raw);
    if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return raw;
    issues.error(pointer, full(name), 'SAI_DINH_DANG', `${label} phải có dạng yyyy-MM (nhận được ${quote(raw)})`);
    return undefined;
  };
  const decimal = (raw: string | undefined, pointer: string, field: string, label: string): number | undefined => {
    const name = f(pointer, field);
    if (raw === undefined) return undefined;
    if (DECIMAL.test(raw)) return Number(raw.replace(',', '.'));
    issues.error(pointer, full(name), 'SAI_DINH_DANG', `${label} phải là số thập phân (nhận được ${quote(raw)})`);
    return undefined;
  };
  const int = (raw: string | undefined, pointer: string, field: string, label: string): number | undefined => {
    const name = f(pointer, field);
    if (raw === undefined) return undefined;
    if (INT.test(raw)) return Number(raw);
    issues.error(pointer, full(name), 'SAI_DINH_DANG', `${label} phải là số nguyên (nhận được ${quote(raw)})`);
    return undefined;
  };

  // personal
  const personal = child(el, 'personal');
  f('/hoVaTen', 'personal/fullName');
  const fullName = textOf(personal, 'fullName');
  if (fullName !== undefined) draft.hoVaTen = fullName;

  const dob = date(textOf(personal, 'dob'), '/ngaySinh', 'personal/dob', 'Ngày sinh', true);
  if (dob !== undefined) draft.ngaySinh = dob;

  const sexField = f('/gioiTinh', 'personal/sex');
  const sex = textOf(personal, 'sex');
  if (sex !== undefined) {
    const g = /^[MFU]$/i.test(sex) ? genderCode(sex) : undefined;
    if (g === undefined) issues.error('/gioiTinh', full(sexField), 'KHONG_HOP_LE', `Giới tính phải là M, F hoặc U (nhận được ${quote(sex)})`);
    else draft.gioiTinh = g;
  }

  const idField = f('/soDinhDanh', 'personal/nationalId');
  const nationalId = textOf(personal, 'nationalId');
  if (nationalId !== undefined) {
    if (/^\d{12}$/.test(nationalId)) draft.soDinhDanh = nationalId;
    else if (/^\d+$/.test(nationalId)) {
      issues.error('/soDinhDanh', full(idField), 'KHONG_HOP_LE', `Số định danh cá nhân phải gồm 12 chữ số (nhận được ${nationalId.length} chữ số)`);
    } else {
      issues.error('/soDinhDanh', full(idField), 'SAI_DINH_DANG', `Số định danh cá nhân chỉ gồm 12 chữ số (nhận được ${quote(nationalId)})`);
    }
  }

  const ethField = f('/danToc', 'personal/ethnicity/@code');
  const eth = attrOf(personal && child(personal, 'ethnicity'), 'code');
  if (eth !== undefined) {
    const code = ethnicCode(eth);
    if (code === undefined) issues.error('/danToc', full(ethField), 'MA_KHONG_TON_TAI', `Mã dân tộc ${quote(eth)} không có trong danh mục dân tộc`);
    else draft.danToc = code;
  }
  const relField = f('/tonGiao', 'personal/religion/@code');
  const rel = attrOf(personal && child(personal, 'religion'), 'code');
  if (rel !== undefined) {
    const code = religionCode(rel);
    if (code === undefined) issues.error('/tonGiao', full(relField), 'MA_KHONG_TON_TAI', `Mã tôn giáo ${quote(rel)} không có trong danh mục tôn giáo`);
    else draft.tonGiao = code;
  }

  const birthPlace = personal ? child(personal, 'birthPlace') : undefined;
  f('/noiSinh', 'personal/birthPlace');
  f('/noiSinh/diaChi', 'personal/birthPlace');
  const provinceField = f('/noiSinh/maTinh', 'personal/birthPlace/@province');
  if (birthPlace) {
    const noiSinh: Member<'noiSinh'> = {};
    const province = attrOf(birthPlace, 'province');
    if (province !== undefined) {
      if (isKnownCode('tinh-2025', province)) noiSinh.maTinh = province;
      else {
        issues.warning(
          '/noiSinh/maTinh',
          full(provinceField),
          'MA_TINH_CU',
          `Mã tỉnh nơi sinh ${quote(province)} không thuộc danh mục tỉnh từ 01/7/2025; chỉ giữ địa chỉ nơi sinh`,
        );
      }
    }
    const address = clean(birthPlace.text);
    if (address !== undefined) noiSinh.diaChi = address;
    if (Object.keys(noiSinh).length > 0) draft.noiSinh = noiSinh;
  }

  f('/soBHXH', 'personal/socialInsuranceNo');
  const bhxh = textOf(personal, 'socialInsuranceNo');
  if (bhxh !== undefined) draft.soBHXH = bhxh;

  // employment
  const employment = child(el, 'employment');
  f('/donVi', 'employment/orgUnit');
  f('/donVi/maDinhDanh', 'employment/orgUnit');
  const orgUnit = textOf(employment, 'orgUnit');
  if (orgUnit !== undefined) draft.donVi = { maDinhDanh: orgUnit };

  const recruited = date(textOf(employment, 'recruitedOn'), '/ngayTuyenDung', 'employment/recruitedOn', 'Ngày tuyển dụng');
  if (recruited !== undefined) draft.ngayTuyenDung = recruited;

  const rankEl = employment ? child(employment, 'rank') : undefined;
  f('/ngachChucDanh', 'employment/rank/@code');
  f('/ngachChucDanh/ma', 'employment/rank/@code');
  if (rankEl) {
    const code = attrOf(rankEl, 'code');
    const appointed = date(attrOf(rankEl, 'appointedOn'), '/ngachChucDanh/ngayBoNhiem', 'employment/rank/@appointedOn', 'Ngày bổ nhiệm ngạch');
    if (code !== undefined) {
      const ngach: Member<'ngachChucDanh'> = { ma: code };
      const known = rank(code);
      if (known) ngach.ten = known.ten;
      if (appointed !== undefined) ngach.ngayBoNhiem = appointed;
      draft.ngachChucDanh = ngach;
    }
  }

  const salary = employment ? child(employment, 'salary') : undefined;
  f('/luong', 'employment/salary');
  const luong: Partial<Member<'luong'>> = {};
  const step = int(attrOf(salary, 'step'), '/luong/bac', 'employment/salary/@step', 'Bậc lương');
  if (step !== undefined) luong.bac = step;
  const coefficient = decimal(attrOf(salary, 'coefficient'), '/luong/heSo', 'employment/salary/@coefficient', 'Hệ số lương');
  if (coefficient !== undefined) luong.heSo = coefficient;
  const since = date(attrOf(salary, 'since'), '/luong/ngayHuong', 'employment/salary/@since', 'Ngày hưởng lương');
  if (since !== undefined) luong.ngayHuong = since;
  const extra = int(attrOf(salary, 'extraPercent'), '/luong/phanTramVuotKhung', 'employment/salary/@extraPercent', 'Phần trăm vượt khung');
  if (extra !== undefined) luong.phanTramVuotKhung = extra;
  if (Object.keys(luong).length > 0) draft.luong = luong as Member<'luong'>;

  const positions = employment ? child(employment, 'positions') : undefined;
  f('/chucVu', 'employment/positions');
  if (positions) {
    const list: Member<'chucVu'> = [];
    children(positions, 'position').forEach((p, i) => {
      const base = `employment/positions/position[${i + 1}]`;
      const ptr = `/chucVu/${i}`;
      f(ptr, base);
      const titleField = f(`${ptr}/ten`, `${base}/@title`);
      const item: Partial<Member<'chucVu'>[number]> = {};
      const title = attrOf(p, 'title');
      if (title === undefined) issues.error(`${ptr}/ten`, full(titleField), 'THIEU_TRUONG', 'Thiếu tên chức vụ (@title)');
      else item.ten = title;
      const concurrentField = f(`${ptr}/kiemNhiem`, `${base}/@concurrent`);
      const concurrent = attrOf(p, 'concurrent');
      if (concurrent === undefined || concurrent === 'false' || concurrent === '0') item.kiemNhiem = false;
      else if (concurrent === 'true' || concurrent === '1') item.kiemNhiem = true;
      else issues.error(`${ptr}/kiemNhiem`, full(concurrentField), 'KHONG_HOP_LE', `@concurrent phải là true hoặc false (nhận được ${quote(concurrent)})`);
      const allowance = decimal(attrOf(p, 'allowance'), `${ptr}/heSoPhuCap`, `${base}/@allowance`, 'Hệ số phụ cấp chức vụ');
      if (allowance !== undefined) item.heSoPhuCap = allowance;
      const from = date(attrOf(p, 'since'), `${ptr}/tuNgay`, `${base}/@since`, 'Ngày giữ chức vụ');
      if (from !== undefined) item.tuNgay = from;
      list.push(item as Member<'chucVu'>[number]);
    });
    if (list.length > 0) draft.chucVu = list;
  }

  // education
  const education = child(el, 'education');
  f('/trinhDo', 'education');
  f('/trinhDo/giaoDucPhoThong', 'education/@generalLevel');
  f('/trinhDo/chuyenMonCaoNhat', 'education/@highest');
  const theoryField = f('/trinhDo/lyLuanChinhTri', 'education/@politicalTheory');
  f('/trinhDo/ngoaiNgu', 'education/@languages');
  f('/trinhDo/tinHoc', 'education/@it');
  if (education) {
    const trinhDo: Member<'trinhDo'> = {};
    const general = attrOf(education, 'generalLevel');
    if (general !== undefined) trinhDo.giaoDucPhoThong = general;
    const highest = attrOf(education, 'highest');
    if (highest !== undefined) trinhDo.chuyenMonCaoNhat = highest;
    const theory = attrOf(education, 'politicalTheory');
    if (theory !== undefined) {
      const v = politicalTheory(theory);
      if (v === undefined) issues.error('/trinhDo/lyLuanChinhTri', full(theoryField), 'KHONG_HOP_LE', `Trình độ lý luận chính trị ${quote(theory)} không thuộc SO_CAP, TRUNG_CAP, CAO_CAP, CU_NHAN`);
      else trinhDo.lyLuanChinhTri = v;
    }
    const languages = attrOf(education, 'languages');
    if (languages !== undefined) {
      const list = languages.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
      if (list.length > 0) trinhDo.ngoaiNgu = list;
    }
    const it = attrOf(education, 'it');
    if (it !== undefined) trinhDo.tinHoc = it;
    if (Object.keys(trinhDo).length > 0) draft.trinhDo = trinhDo;
  }

  // party
  const party = child(el, 'party');
  f('/dang', 'party');
  const joined = date(attrOf(party, 'joined'), '/dang/ngayVaoDang', 'party/@joined', 'Ngày vào Đảng');
  const official = date(attrOf(party, 'official'), '/dang/ngayChinhThuc', 'party/@official', 'Ngày chính thức vào Đảng');
  if (joined !== undefined || official !== undefined) {
    const dang: Member<'dang'> = {};
    if (joined !== undefined) dang.ngayVaoDang = joined;
    if (official !== undefined) dang.ngayChinhThuc = official;
    draft.dang = dang;
  }

  // history
  const history = child(el, 'history');
  f('/quaTrinhCongTac', 'history');
  if (history) {
    const list: Member<'quaTrinhCongTac'> = [];
    children(history, 'entry').forEach((e, i) => {
      const base = `history/entry[${i + 1}]`;
      const ptr = `/quaTrinhCongTac/${i}`;
      f(ptr, base);
      const item: Partial<Member<'quaTrinhCongTac'>[number]> = {};
      const fromField = f(`${ptr}/tuThang`, `${base}/@from`);
      const from = attrOf(e, 'from');
      if (from === undefined) issues.error(`${ptr}/tuThang`, full(fromField), 'THIEU_TRUONG', 'Thiếu tháng bắt đầu (@from) của quá trình công tác');
      else {
        const v = month(from, `${ptr}/tuThang`, `${base}/@from`, 'Tháng bắt đầu');
        if (v !== undefined) item.tuThang = v;
      }
      const to = month(attrOf(e, 'to'), `${ptr}/denThang`, `${base}/@to`, 'Tháng kết thúc');
      if (to !== undefined) item.denThang = to;
      f(`${ptr}/maDinhDanhDonVi`, `${base}/@unit`);
      const unit = attrOf(e, 'unit');
      if (unit !== undefined) item.maDinhDanhDonVi = unit;
      const contentField = f(`${ptr}/noiDung`, base);
      const content = clean(e.text);
      if (content === undefined) issues.error(`${ptr}/noiDung`, full(contentField), 'THIEU_TRUONG', 'Thiếu nội dung quá trình công tác');
      else item.noiDung = content;
      list.push(item as Member<'quaTrinhCongTac'>[number]);
    });
    if (list.length > 0) draft.quaTrinhCongTac = list;
  }

  // evaluations
  const evaluations = child(el, 'evaluations');
  f('/danhGia', 'evaluations');
  if (evaluations) {
    const list: Member<'danhGia'> = [];
    children(evaluations, 'evaluation').forEach((e, i) => {
      const base = `evaluations/evaluation[${i + 1}]`;
      const ptr = `/danhGia/${i}`;
      f(ptr, base);
      const item: Partial<Member<'danhGia'>[number]> = {};
      const year = int(attrOf(e, 'year'), `${ptr}/nam`, `${base}/@year`, 'Năm đánh giá');
      if (year !== undefined) item.nam = year;
      const gradeField = f(`${ptr}/xepLoai`, `${base}/@grade`);
      const grade = attrOf(e, 'grade');
      if (grade !== undefined) {
        const g = evaluationGrade(grade);
        if (g === undefined) issues.error(`${ptr}/xepLoai`, full(gradeField), 'KHONG_HOP_LE', `Xếp loại ${quote(grade)} không thuộc HTXSNV, HTTNV, HTNV, KHTNV`);
        else item.xepLoai = g;
      }
      list.push(item as Member<'danhGia'>[number]);
    });
    if (list.length > 0) draft.danhGia = list;
  }

  const modifiedField = f('/ngayCapNhat', 'modified');
  const modified = textOf(el, 'modified');
  if (modified !== undefined) {
    if (RFC3339.test(modified) && !Number.isNaN(Date.parse(modified))) draft.ngayCapNhat = modified;
    else issues.error('/ngayCapNhat', full(modifiedField), 'SAI_DINH_DANG', `Thời điểm cập nhật phải theo RFC 3339, ví dụ 2025-08-21T07:45:12+07:00 (nhận được ${quote(modified)})`);
  }

  // The vendor's id is echoed in the answer and kept with the record: bounded like every caller id.
  const id = clean(attr(el, 'id'));
  if (id !== undefined && id.length > MAX_CALLER_ID_LENGTH) {
    issues.error(undefined, `${at}/@id`, 'KHONG_HOP_LE', `Mã hồ sơ (id) dài quá ${MAX_CALLER_ID_LENGTH} ký tự (nhận được ${quote(id)})`);
  }
  let fields: Record<string, string> | undefined;
  return {
    recordId: id === undefined ? at : echoPreview(id, MAX_CALLER_ID_LENGTH),
    index,
    draft,
    get fields() {
      if (fields === undefined) {
        // The sending unit is the call's orgCode: a problem with it is reported there, not per employee path.
        fields = { '/nguon/maDonViGui': 'orgCode' };
        for (let k = 0; k < pairs.length; k += 2) fields[pairs[k]] = full(pairs[k + 1]);
      }
      return fields;
    },
    errors: issues.errors,
    warnings: issues.warnings,
  };
}
