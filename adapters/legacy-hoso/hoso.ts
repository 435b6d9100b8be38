/**
 * The HoSo dialect's record: vendor A's `HoSo` (and vendor C's `HoSoCanBo`, which uses the same
 * element names and forms) → a draft national record, per the quirk table of vendor A's README. Elements are matched by
 * local name, so the same code reads vendor A's qualified elements and vendor C's unqualified ones.
 *
 * A value that cannot be converted is left out of the draft and reported with its national
 * pointer and its vendor field (`HeSoLuong`); array items keep their positions, so pointer
 * `/quaTrinhCongTac/1` is always the second `CongTac`.
 */
import {
  awardCode,
  disciplineCode,
  ethnicCode,
  genderCode,
  politicalTheory,
  rank,
  religionCode,
} from '../national/codelists.js';
import { looksLikeTcvn3 } from '../text/index.js';
import type { HoSoChuaKy } from '../national/profile.js';
import type { ParsedRecord, TextRepair } from '../types.js';
import { IssueCollector, quote } from '../xml/issues.js';
import type { XmlElement } from '../xml/parse.js';
import { child, children } from '../xml/tree.js';
import { decimalComma, integer, legacyDate, legacyLocalDateTime, legacyMonth } from './legacy-forms.js';

type CongTac = NonNullable<HoSoChuaKy['quaTrinhCongTac']>[number];
type KhenThuong = NonNullable<HoSoChuaKy['khenThuong']>[number];
type KyLuat = NonNullable<HoSoChuaKy['kyLuat']>[number];

/** National pointer → vendor A field, for the record's scalar members. */
export const HOSO_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  '/soHieu': 'SoHieuCanBo',
  '/hoVaTen': 'HoTen',
  '/tenGoiKhac': 'TenGoiKhac',
  '/ngaySinh': 'NgaySinh',
  '/gioiTinh': 'GioiTinh',
  '/soDinhDanh': 'SoCMND',
  '/danToc': 'DanToc',
  '/tonGiao': 'TonGiao',
  '/noiSinh': 'NoiSinh',
  '/queQuan': 'QueQuan',
  '/noiOHienNay': 'NoiOHienNay',
  '/donVi': 'MaDonVi',
  '/donVi/maDinhDanh': 'MaDonVi',
  '/donVi/ten': 'TenDonVi',
  '/chucVu': 'ChucVu',
  '/ngachChucDanh': 'MaNgach',
  '/ngachChucDanh/ma': 'MaNgach',
  '/luong': 'HeSoLuong',
  '/luong/bac': 'BacLuong',
  '/luong/heSo': 'HeSoLuong',
  '/luong/ngayHuong': 'NgayHuongLuong',
  '/ngayTuyenDung': 'NgayTuyenDung',
  '/dang': 'NgayVaoDang',
  '/dang/ngayVaoDang': 'NgayVaoDang',
  '/trinhDo': 'TrinhDoChuyenMon',
  '/trinhDo/giaoDucPhoThong': 'TrinhDoPhoThong',
  '/trinhDo/chuyenMonCaoNhat': 'TrinhDoChuyenMon',
  '/trinhDo/lyLuanChinhTri': 'LyLuanChinhTri',
  '/quaTrinhCongTac': 'QuaTrinhCongTac',
  '/khenThuong': 'KhenThuong',
  '/kyLuat': 'KyLuat',
  '/ngayCapNhat': 'NgayCapNhat',
});

/**
 * Reads one HoSo element. `index` is the 0-based position in the request; `sendingUnitField`
 * names where the front found the sending unit (vendor A's SOAP header, vendor C's HTTP header),
 * so a problem with the re-mapped sending unit (`/nguon/maDonViGui`) points there.
 */
export function mapHoSo(el: XmlElement, index: number, repair: TextRepair, sendingUnitField = 'XacThuc/MaDonVi'): ParsedRecord {
  const issues = new IssueCollector();
  const fields: Record<string, string> = { ...HOSO_FIELDS, '/nguon/maDonViGui': sendingUnitField };
  const draft: Partial<HoSoChuaKy> = {};

  const text = (parent: XmlElement, name: string): string | undefined => {
    const c = child(parent, name);
    if (!c) return undefined;
    const v = repair(c.text).trim();
    return v.length === 0 ? undefined : v;
  };
  const get = (name: string) => text(el, name);

  /** A date member; partial dates only where the national field allows them. */
  const date = (raw: string | undefined, pointer: string, field: string, label: string, partial = false): string | undefined => {
    if (raw === undefined) return undefined;
    const r = legacyDate(raw, partial);
    if ('value' in r) return r.value;
    issues.error(pointer, field, 'SAI_DINH_DANG', `${label} ${r.reason}`);
    return undefined;
  };

  const soHieu = get('SoHieuCanBo');
  if (soHieu !== undefined) draft.soHieu = soHieu;
  const hoTen = get('HoTen');
  if (hoTen !== undefined) draft.hoVaTen = hoTen;
  const tenKhac = get('TenGoiKhac');
  if (tenKhac !== undefined) draft.tenGoiKhac = tenKhac;

  const ngaySinh = date(get('NgaySinh'), '/ngaySinh', 'NgaySinh', 'Ngày sinh', true);
  if (ngaySinh !== undefined) draft.ngaySinh = ngaySinh;

  const gioiTinh = get('GioiTinh');
  if (gioiTinh !== undefined) {
    const g = genderCode(gioiTinh);
    if (g === undefined) issues.error('/gioiTinh', 'GioiTinh', 'KHONG_HOP_LE', `Giới tính phải là «Nam» hoặc «Nữ» (nhận được ${quote(gioiTinh)})`);
    else draft.gioiTinh = g;
  }

  const cmnd = get('SoCMND');
  if (cmnd !== undefined) {
    if (/^\d{12}$/.test(cmnd)) draft.soDinhDanh = cmnd;
    else if (/^\d+$/.test(cmnd)) {
      issues.error('/soDinhDanh', 'SoCMND', 'KHONG_HOP_LE', `Số định danh cá nhân phải gồm 12 chữ số (nhận được ${cmnd.length} chữ số)`);
    } else {
      issues.error('/soDinhDanh', 'SoCMND', 'SAI_DINH_DANG', `Số định danh cá nhân chỉ gồm 12 chữ số (nhận được ${quote(cmnd)})`);
    }
  }

  const danToc = get('DanToc');
  if (danToc !== undefined) {
    const code = ethnicCode(danToc);
    if (code === undefined) issues.error('/danToc', 'DanToc', 'MA_KHONG_TON_TAI', `Không tìm thấy dân tộc ${quote(danToc)} trong danh mục dân tộc`);
    else draft.danToc = code;
  }
  const tonGiao = get('TonGiao');
  if (tonGiao !== undefined) {
    const code = religionCode(tonGiao);
    if (code === undefined) issues.error('/tonGiao', 'TonGiao', 'MA_KHONG_TON_TAI', `Không tìm thấy tôn giáo ${quote(tonGiao)} trong danh mục tôn giáo`);
    else draft.tonGiao = code;
  }

  const noiSinh = get('NoiSinh');
  if (noiSinh !== undefined) draft.noiSinh = { diaChi: noiSinh };
  const queQuan = get('QueQuan');
  if (queQuan !== undefined) draft.queQuan = { diaChi: queQuan };
  const noiO = get('NoiOHienNay');
  if (noiO !== undefined) draft.noiOHienNay = { diaChi: noiO };

  const maDonVi = get('MaDonVi');
  const tenDonVi = get('TenDonVi');
  // Without MaDonVi there is no donVi at all: the shared validation reports the required member.
  if (maDonVi !== undefined) draft.donVi = tenDonVi !== undefined ? { maDinhDanh: maDonVi, ten: tenDonVi } : { maDinhDanh: maDonVi };

  const chucVu = get('ChucVu');
  if (chucVu !== undefined) draft.chucVu = [{ ten: chucVu, kiemNhiem: false }];

  const maNgach = get('MaNgach');
  if (maNgach !== undefined) {
    const known = rank(maNgach);
    draft.ngachChucDanh = known ? { ma: maNgach, ten: known.ten } : { ma: maNgach };
  }

  const luong: Partial<HoSoChuaKy['luong']> = {};
  const bac = get('BacLuong');
  if (bac !== undefined) {
    const r = integer(bac, 2);
    if ('value' in r) luong.bac = r.value;
    else issues.error('/luong/bac', 'BacLuong', 'SAI_DINH_DANG', `Bậc lương ${r.reason}`);
  }
  const heSo = get('HeSoLuong');
  if (heSo !== undefined) {
    const r = decimalComma(heSo);
    if ('value' in r) luong.heSo = r.value;
    else issues.error('/luong/heSo', 'HeSoLuong', 'SAI_DINH_DANG', `Hệ số lương ${r.reason}`);
  }
  const ngayHuong = date(get('NgayHuongLuong'), '/luong/ngayHuong', 'NgayHuongLuong', 'Ngày hưởng lương');
  if (ngayHuong !== undefined) luong.ngayHuong = ngayHuong;
  if (Object.keys(luong).length > 0) draft.luong = luong as HoSoChuaKy['luong'];

  const ngayTuyenDung = date(get('NgayTuyenDung'), '/ngayTuyenDung', 'NgayTuyenDung', 'Ngày tuyển dụng');
  if (ngayTuyenDung !== undefined) draft.ngayTuyenDung = ngayTuyenDung;
  const ngayVaoDang = date(get('NgayVaoDang'), '/dang/ngayVaoDang', 'NgayVaoDang', 'Ngày vào Đảng');
  if (ngayVaoDang !== undefined) draft.dang = { ngayVaoDang };

  const trinhDo: NonNullable<HoSoChuaKy['trinhDo']> = {};
  const phoThong = get('TrinhDoPhoThong');
  if (phoThong !== undefined) trinhDo.giaoDucPhoThong = phoThong;
  const chuyenMon = get('TrinhDoChuyenMon');
  if (chuyenMon !== undefined) trinhDo.chuyenMonCaoNhat = chuyenMon;
  const llct = get('LyLuanChinhTri');
  if (llct !== undefined) {
    const v = politicalTheory(llct);
    if (v === undefined) {
      issues.error('/trinhDo/lyLuanChinhTri', 'LyLuanChinhTri', 'KHONG_HOP_LE', `Trình độ lý luận chính trị phải là Sơ cấp, Trung cấp, Cao cấp hoặc Cử nhân (nhận được ${quote(llct)})`);
    } else trinhDo.lyLuanChinhTri = v;
  }
  if (Object.keys(trinhDo).length > 0) draft.trinhDo = trinhDo;

  // Work history: MM/yyyy months, an empty DenThang means "to date" and is omitted.
  const congTacList = child(el, 'QuaTrinhCongTac');
  if (congTacList) {
    const items: NonNullable<HoSoChuaKy['quaTrinhCongTac']> = [];
    children(congTacList, 'CongTac').forEach((ct, i) => {
      const p = `/quaTrinhCongTac/${i}`;
      const f = `QuaTrinhCongTac/CongTac[${i + 1}]`;
      fields[p] = f;
      fields[`${p}/tuThang`] = `${f}/TuThang`;
      fields[`${p}/denThang`] = `${f}/DenThang`;
      fields[`${p}/noiDung`] = `${f}/NoiDung`;
      const item: Partial<CongTac> = {};
      const tu = text(ct, 'TuThang');
      if (tu === undefined) issues.error(`${p}/tuThang`, `${f}/TuThang`, 'THIEU_TRUONG', 'Thiếu tháng bắt đầu (TuThang) của quá trình công tác');
      else {
        const r = legacyMonth(tu);
        if ('value' in r) item.tuThang = r.value;
        else issues.error(`${p}/tuThang`, `${f}/TuThang`, 'SAI_DINH_DANG', `Từ tháng ${r.reason}`);
      }
      const den = text(ct, 'DenThang');
      if (den !== undefined) {
        const r = legacyMonth(den);
        if ('value' in r) item.denThang = r.value;
        else issues.error(`${p}/denThang`, `${f}/DenThang`, 'SAI_DINH_DANG', `Đến tháng ${r.reason}`);
      }
      const noiDung = text(ct, 'NoiDung');
      if (noiDung !== undefined) item.noiDung = noiDung;
      else issues.error(`${p}/noiDung`, `${f}/NoiDung`, 'THIEU_TRUONG', 'Thiếu nội dung (NoiDung) của quá trình công tác');
      items.push(item as never); // members that failed are absent; their errors carry the pointer
    });
    if (items.length > 0) draft.quaTrinhCongTac = items;
  }

  const khenThuongList = child(el, 'KhenThuong');
  if (khenThuongList) {
    const items: NonNullable<HoSoChuaKy['khenThuong']> = [];
    children(khenThuongList, 'KhenThuong').forEach((kt, i) => {
      const p = `/khenThuong/${i}`;
      const f = `KhenThuong/KhenThuong[${i + 1}]`;
      fields[p] = f;
      fields[`${p}/hinhThuc`] = `${f}/HinhThuc`;
      fields[`${p}/nam`] = `${f}/Nam`;
      fields[`${p}/soQuyetDinh`] = `${f}/SoQuyetDinh`;
      const item: Partial<KhenThuong> = {};
      const hinhThuc = text(kt, 'HinhThuc');
      if (hinhThuc === undefined) issues.error(`${p}/hinhThuc`, `${f}/HinhThuc`, 'THIEU_TRUONG', 'Thiếu hình thức khen thưởng');
      else {
        const code = awardCode(hinhThuc);
        if (code === undefined) issues.error(`${p}/hinhThuc`, `${f}/HinhThuc`, 'MA_KHONG_TON_TAI', `Không tìm thấy hình thức khen thưởng ${quote(hinhThuc)} trong danh mục`);
        else item.hinhThuc = code;
      }
      const nam = text(kt, 'Nam');
      if (nam === undefined) issues.error(`${p}/nam`, `${f}/Nam`, 'THIEU_TRUONG', 'Thiếu năm khen thưởng');
      else {
        const r = integer(nam, 4);
        if ('value' in r) item.nam = r.value;
        else issues.error(`${p}/nam`, `${f}/Nam`, 'SAI_DINH_DANG', `Năm khen thưởng ${r.reason}`);
      }
      const soQd = text(kt, 'SoQuyetDinh');
      if (soQd !== undefined) item.soQuyetDinh = soQd;
      items.push(item as never); // members that failed are absent; their errors carry the pointer
    });
    if (items.length > 0) draft.khenThuong = items;
  }

  const kyLuatList = child(el, 'KyLuat');
  if (kyLuatList) {
    const items: NonNullable<HoSoChuaKy['kyLuat']> = [];
    children(kyLuatList, 'KyLuat').forEach((kl, i) => {
      const p = `/kyLuat/${i}`;
      const f = `KyLuat/KyLuat[${i + 1}]`;
      fields[p] = f;
      fields[`${p}/hinhThuc`] = `${f}/HinhThuc`;
      fields[`${p}/ngayQuyetDinh`] = `${f}/NgayQuyetDinh`;
      fields[`${p}/soQuyetDinh`] = `${f}/SoQuyetDinh`;
      fields[`${p}/lyDo`] = `${f}/LyDo`;
      const item: Partial<KyLuat> = {};
      const hinhThuc = text(kl, 'HinhThuc');
      if (hinhThuc === undefined) issues.error(`${p}/hinhThuc`, `${f}/HinhThuc`, 'THIEU_TRUONG', 'Thiếu hình thức kỷ luật');
      else {
        const code = disciplineCode(hinhThuc);
        if (code === undefined) issues.error(`${p}/hinhThuc`, `${f}/HinhThuc`, 'MA_KHONG_TON_TAI', `Không tìm thấy hình thức kỷ luật ${quote(hinhThuc)} trong danh mục`);
        else item.hinhThuc = code;
      }
      const ngayQd = text(kl, 'NgayQuyetDinh');
      if (ngayQd === undefined) issues.error(`${p}/ngayQuyetDinh`, `${f}/NgayQuyetDinh`, 'THIEU_TRUONG', 'Thiếu ngày quyết định kỷ luật');
      else {
        const d = date(ngayQd, `${p}/ngayQuyetDinh`, `${f}/NgayQuyetDinh`, 'Ngày quyết định kỷ luật');
        if (d !== undefined) item.ngayQuyetDinh = d;
      }
      const soQd = text(kl, 'SoQuyetDinh');
      if (soQd !== undefined) item.soQuyetDinh = soQd;
      const lyDo = text(kl, 'LyDo');
      if (lyDo !== undefined) item.lyDo = lyDo;
      items.push(item as never); // members that failed are absent; their errors carry the pointer
    });
    if (items.length > 0) draft.kyLuat = items;
  }

  // Bonus check, never a replacement for the key's encoding setting: text that still looks like
  // TCVN3 after repair means the key says Unicode but the installation types in .VnTime fonts.
  const prose = [hoTen, get('NoiSinh'), get('QueQuan'), get('TenDonVi'), get('ChucVu')].filter(Boolean).join(' ');
  if (looksLikeTcvn3(prose)) {
    issues.warning(
      '/hoVaTen',
      'HoTen',
      'NGHI_BANG_MA_TCVN3',
      `Văn bản ${quote(hoTen ?? prose)} có vẻ được gõ bằng bảng mã TCVN3 (ABC) trong khi mã kết nối khai báo Unicode; đề nghị quản trị viên cổng kết nối kiểm tra thiết lập bảng mã của phần mềm`,
    );
  }

  const capNhat = get('NgayCapNhat');
  if (capNhat !== undefined) {
    const r = legacyLocalDateTime(capNhat);
    if ('value' in r) draft.ngayCapNhat = r.value;
    else issues.error('/ngayCapNhat', 'NgayCapNhat', 'SAI_DINH_DANG', `Ngày cập nhật ${r.reason}`);
  }

  return {
    recordId: soHieu ?? `HoSo[${index + 1}]`,
    index,
    draft,
    fields,
    errors: issues.errors,
    warnings: issues.warnings,
  };
}
