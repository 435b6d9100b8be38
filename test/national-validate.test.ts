import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACTS } from './helpers/env.js';
import ngach from '../adapters/national/contract/codelists/ngach.json' with { type: 'json' };
import { salaryCoefficients } from '../adapters/national/codelists.js';
import { formatCoefficient, validateProfile, validateUnit, vietnamDate } from '../adapters/national/validate.js';

const TODAY = '2025-09-01';

function expectedRecord(): Record<string, any> {
  const r = JSON.parse(readFileSync(path.join(CONTRACTS, 'vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'), 'utf8'));
  delete r.chuKySo;
  r.nguon.maPhanMem = 'QLCB-A-2012';
  return r;
}

const codes = (r: { errors: { code: string }[] }) => r.errors.map((e) => e.code);

describe('validateProfile', () => {
  it('accepts the contract sample, without warnings', () => {
    expect(validateProfile(expectedRecord(), { today: TODAY })).toEqual({ errors: [], warnings: [] });
  });

  it('reports the contract messages for a 9-digit id and an off-table coefficient', () => {
    const r = expectedRecord();
    r.soDinhDanh = '121234567';
    r.luong.heSo = 3.1;
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors).toEqual([
      { pointer: '/soDinhDanh', field: '/soDinhDanh', code: 'SAI_DINH_DANG', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' },
      { pointer: '/luong/heSo', field: '/luong/heSo', code: 'KHONG_HOP_LE', message: 'Hệ số 3,10 không thuộc bảng lương A1 của ngạch 01.003' },
    ]);
  });

  it('requires the personal id and other required fields', () => {
    const r = expectedRecord();
    delete r.soDinhDanh;
    delete r.hoVaTen;
    delete r.luong.bac;
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/soDinhDanh', 'THIEU_TRUONG'],
      ['/hoVaTen', 'THIEU_TRUONG'],
      ['/luong/bac', 'THIEU_TRUONG'],
    ]);
    expect(errors[0].message).toBe('Thiếu thông tin bắt buộc: Số định danh cá nhân');
  });

  it('rejects non-digit ids and other lengths with the count', () => {
    const r = expectedRecord();
    r.soDinhDanh = '02408500123';
    expect(validateProfile(r, { today: TODAY }).errors[0].message).toBe('Số định danh cá nhân phải gồm 12 chữ số (nhận được 11 chữ số)');
    r.soDinhDanh = '02408500123X';
    expect(validateProfile(r, { today: TODAY }).errors[0].code).toBe('SAI_DINH_DANG');
  });

  it('matches the salary step to the step number', () => {
    const r = expectedRecord();
    r.luong.bac = 4;
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ pointer: '/luong/bac', code: 'KHONG_HOP_LE' });
    expect(errors[0].message).toBe('Bậc 4 không khớp hệ số 3,00 (là bậc 3 của bảng lương A1 của ngạch 01.003)');
    r.luong = { bac: 9, heSo: 4.98 };
    expect(validateProfile(r, { today: TODAY }).errors).toEqual([]);
    r.luong = { bac: 3, heSo: 3.004 };
    expect(codes(validateProfile(r, { today: TODAY }))).toEqual(['KHONG_HOP_LE']); // multipleOf 0.01
  });

  it('accepts every step of every rank salary table', () => {
    const r = expectedRecord();
    for (const [ma, { bang }] of Object.entries(ngach.codes as Record<string, { bang: string }>)) {
      salaryCoefficients(bang).forEach((heSo, i) => {
        r.ngachChucDanh = { ma };
        r.luong = { bac: i + 1, heSo };
        expect(validateProfile(r, { today: TODAY }).errors, `${ma} bậc ${i + 1}`).toEqual([]);
      });
    }
  });

  it('checks codes against the code lists', () => {
    const r = expectedRecord();
    r.danToc = '77';
    r.tonGiao = '42';
    r.khenThuong[0].hinhThuc = '09';
    r.kyLuat = [{ hinhThuc: '08', ngayQuyetDinh: '2020-01-01' }];
    r.ngachChucDanh.ma = '99.999';
    r.noiSinh.maTinh = '02';
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/danToc', 'MA_KHONG_TON_TAI'],
      ['/tonGiao', 'MA_KHONG_TON_TAI'],
      ['/noiSinh/maTinh', 'MA_KHONG_TON_TAI'],
      ['/ngachChucDanh/ma', 'MA_KHONG_TON_TAI'],
      ['/khenThuong/0/hinhThuc', 'MA_KHONG_TON_TAI'],
      ['/kyLuat/0/hinhThuc', 'MA_KHONG_TON_TAI'],
    ]);
    expect(errors[0].message).toBe('Mã dân tộc "77" không có trong danh mục');
  });

  it('rejects impossible and future dates', () => {
    const r = expectedRecord();
    r.ngaySinh = '1985-02-29';
    r.ngayTuyenDung = '2030-01-01';
    r.dang.ngayVaoDang = '2012-13-03';
    r.ngayCapNhat = '2025-02-30T10:15:00+07:00';
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/ngaySinh', 'NGAY_KHONG_HOP_LE'],
      ['/ngayTuyenDung', 'NGAY_KHONG_HOP_LE'],
      ['/dang/ngayVaoDang', 'NGAY_KHONG_HOP_LE'],
      ['/ngayCapNhat', 'NGAY_KHONG_HOP_LE'],
    ]);
    expect(errors[0].message).toBe('Ngày sinh 29/02/1985 không phải là ngày có thật');
    expect(errors[1].message).toBe('Ngày tuyển dụng 01/01/2030 ở tương lai (sau ngày 01/09/2025)');
  });

  it('accepts partial birth dates and leap days', () => {
    const r = expectedRecord();
    r.ngaySinh = '1984-02-29';
    r.soDinhDanh = '024084001234';
    expect(validateProfile(r, { today: TODAY }).errors).toEqual([]);
    r.ngaySinh = '1984';
    expect(validateProfile(r, { today: TODAY }).errors).toEqual([]);
    r.ngaySinh = '1984-00';
    expect(codes(validateProfile(r, { today: TODAY }))).toEqual(['NGAY_KHONG_HOP_LE']);
  });

  it('rejects a last update ahead of today in Vietnam', () => {
    const r = expectedRecord();
    r.ngayCapNhat = '2025-09-02T00:30:00+07:00';
    expect(codes(validateProfile(r, { today: TODAY }))).toEqual(['NGAY_KHONG_HOP_LE']);
    // The same instant counted from a Date: 2025-09-01T17:30Z is already 2 September in Vietnam.
    expect(vietnamDate(new Date('2025-09-01T17:30:00Z'))).toBe('2025-09-02');
    expect(validateProfile(r, { today: new Date('2025-09-01T17:30:00Z') }).errors).toEqual([]);
  });

  it('requires ordered work history', () => {
    const r = expectedRecord();
    r.quaTrinhCongTac = [
      { tuThang: '2010-09', denThang: '2008-12', noiDung: 'A' },
      { tuThang: '2019-01', noiDung: 'B' },
      { tuThang: '2015-01', denThang: '2016-01', noiDung: 'C' },
      { tuThang: '2019-13', noiDung: 'D' },
    ];
    const { errors } = validateProfile(r, { today: TODAY });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/quaTrinhCongTac/0/denThang', 'KHONG_HOP_LE'],
      ['/quaTrinhCongTac/2/tuThang', 'KHONG_HOP_LE'],
      ['/quaTrinhCongTac/3/tuThang', 'NGAY_KHONG_HOP_LE'],
    ]);
    expect(errors[0].message).toBe('Quá trình công tác dòng 1: đến tháng 12/2008 trước từ tháng 09/2010');
    expect(errors[1].message).toBe('Quá trình công tác không theo thứ tự thời gian: dòng 3 bắt đầu 01/2015, trước dòng 2 (01/2019)');
    expect(errors[2].message).toBe('Từ tháng (dòng 4) 13/2019 không phải là ngày có thật');
  });

  it('warns (only) when the id structure contradicts birth year, gender or province', () => {
    const r = expectedRecord();
    r.soDinhDanh = '999186001234'; // unknown province, female, 1986
    const { errors, warnings } = validateProfile(r, { today: TODAY });
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(['SO_DINH_DANH_KHONG_KHOP', 'SO_DINH_DANH_KHONG_KHOP', 'SO_DINH_DANH_KHONG_KHOP']);
    expect(warnings.map((w) => w.message)).toEqual([
      'Mã tỉnh 999 ở 3 chữ số đầu của số định danh cá nhân không có trong danh mục',
      'Số định danh cá nhân cho năm sinh 1986, không khớp năm sinh 1985 của hồ sơ',
      'Số định danh cá nhân cho giới tính Nữ, không khớp giới tính Nam của hồ sơ',
    ]);
    r.soDinhDanh = '001305001234';
    r.ngaySinh = '2005-01-01';
    r.gioiTinh = 2;
    r.ngayTuyenDung = '2024-01-01';
    r.quaTrinhCongTac = [];
    expect(validateProfile(r, { today: TODAY }).warnings).toEqual([]);
  });

  it('maps schema errors to Vietnamese with pointers', () => {
    const r = expectedRecord();
    r.gioiTinh = 'Nam';
    r.hoVaTen = 'A';
    r.extra = 1;
    r.trinhDo.lyLuanChinhTri = 'Trung cấp';
    r.donVi.maDinhDanh = '000.05.31.h06';
    r.chucVu[0].heSoPhuCap = 3;
    const { errors } = validateProfile(r, { today: TODAY });
    const byPointer = Object.fromEntries(errors.map((e) => [e.pointer, e]));
    expect(byPointer['/gioiTinh']).toMatchObject({ code: 'SAI_DINH_DANG', message: 'Giới tính phải là số nguyên (nhận được "Nam")' });
    expect(byPointer['/hoVaTen']).toMatchObject({ code: 'KHONG_HOP_LE', message: 'Họ và tên quá ngắn (tối thiểu 2 ký tự)' });
    expect(byPointer['/extra']).toMatchObject({ code: 'KHONG_HOP_LE', message: 'Trường "extra" không có trong mẫu dữ liệu quốc gia' });
    expect(byPointer['/trinhDo/lyLuanChinhTri'].message).toBe('Trình độ lý luận chính trị "Trung cấp" không thuộc các giá trị cho phép (SO_CAP, TRUNG_CAP, CAO_CAP, CU_NHAN)');
    expect(byPointer['/donVi/maDinhDanh'].code).toBe('SAI_DINH_DANG');
    expect(byPointer['/chucVu/0/heSoPhuCap'].message).toBe('Hệ số phụ cấp chức vụ (dòng 1) 3 lớn hơn giá trị tối đa 2');
  });

  it('checks chuKySo when asked for a signed record', () => {
    const r = expectedRecord();
    expect(codes(validateProfile(r, { today: TODAY, signed: true }))).toEqual(['THIEU_TRUONG']);
    r.chuKySo = { thuatToan: 'HS256', chungThu: 'AA==', giaTri: 'AA==' };
    expect(validateProfile(r, { today: TODAY, signed: true }).errors[0].pointer).toBe('/chuKySo/thuatToan');
  });

  it('never throws on garbage', () => {
    for (const v of [null, 42, 'x', [], { luong: 'x', quaTrinhCongTac: 'y', khenThuong: [null] }]) {
      const res = validateProfile(v, { today: TODAY });
      expect(res.errors.length).toBeGreaterThan(0);
    }
  });
});

describe('validateUnit', () => {
  const unit = { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ tỉnh Bắc Ninh', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['000.05.31.H03'] };

  it('accepts a valid unit', () => {
    expect(validateUnit(unit, { today: TODAY })).toEqual({ errors: [], warnings: [] });
  });

  it('reports schema and consistency errors', () => {
    const { errors } = validateUnit({ ...unit, cap: 1, hieuLucDen: '2025-06-31', maCu: ['000.05.31.H06'], ten: undefined }, { today: TODAY });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/ten', 'THIEU_TRUONG'],
      ['/hieuLucDen', 'NGAY_KHONG_HOP_LE'],
      ['/maDonViCha', 'KHONG_HOP_LE'],
      ['/maCu/0', 'KHONG_HOP_LE'],
    ]);
    expect(validateUnit({ ...unit, maDonViCha: undefined }).errors[0]).toMatchObject({ pointer: '/maDonViCha', code: 'THIEU_TRUONG' });
  });
});

describe('formatCoefficient', () => {
  it('writes two decimals with a comma', () => {
    expect(formatCoefficient(3.1)).toBe('3,10');
    expect(formatCoefficient(3)).toBe('3,00');
    expect(formatCoefficient(2.345)).toBe('2,35');
  });
});
