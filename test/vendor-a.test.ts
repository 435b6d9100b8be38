import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { vendorA } from '../adapters/vendor-a-asmx/index.js';
import { textRepair } from '../adapters/text/index.js';
import { GatewayError } from '../core/errors.js';
import type { IncomingCall, RecordResult } from '../adapters/types.js';
import { VENDORS, fillPlaceholders, limits, meta, sample, xmlShape } from './vendor-helpers.js';

const A = 'vendor-a-asmx';
const PATH = '/QLCBService.asmx';
const action = (op: string) => ({ soapaction: `"http://qlcb.vendor-a.vn/${op}"`, 'content-type': 'text/xml; charset=utf-8' });

function envelope(body: string, header = '<XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>k1.secret</MaKetNoi><MaDonVi>000.00.00.H03</MaDonVi></XacThuc>'): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`,
  );
}

function hoSo(fields: string): string {
  return `<DongBoHoSo xmlns="http://qlcb.vendor-a.vn/"><hoSo>${fields}</hoSo></DongBoHoSo>`;
}

function read(body: Buffer, op = 'DongBoHoSo'): IncomingCall {
  return vendorA.readRequest(body, meta(PATH, action(op)), limits());
}

function gwError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a GatewayError');
}

/** The expected national record before re-mapping, nguon and signing (those are added by the shared preparation). */
function expectedDraft(): Record<string, unknown> {
  const expected = JSON.parse(readFileSync(path.join(VENDORS, A, 'samples/DongBoHoSo.expected.json'), 'utf8'));
  delete expected.nguon;
  delete expected.chuKySo;
  // The sample's unit codes assume the re-mapping table; the front hands over the codes it received.
  expected.donVi.maDinhDanh = '000.05.31.H03';
  return expected;
}

describe('vendor A: golden mapping of the samples', () => {
  it('maps the Unicode sample to DongBoHoSo.expected.json (before re-mapping, nguon and signature)', () => {
    const call = read(sample(A, 'samples/DongBoHoSo.request.xml'));
    expect(call.vendorOperation).toBe('DongBoHoSo');
    expect(call.operation).toBe('submitProfiles');
    expect(call.credentials).toEqual({ key: '{{CONNECTION_KEY}}', unitCode: '000.00.00.H03' });
    const [rec] = call.records!(textRepair('unicode'));
    expect(rec.errors).toEqual([]);
    expect(rec.warnings).toEqual([]);
    expect(rec.recordId).toBe('BG-001234');
    expect(rec.index).toBe(0);
    expect(rec.draft).toEqual(expectedDraft());
    expect(rec.fields['/luong/heSo']).toBe('HeSoLuong');
    expect(rec.fields['/soDinhDanh']).toBe('SoCMND');
    expect(rec.fields['/nguon/maDonViGui']).toBe('XacThuc/MaDonVi');
    expect(rec.fields['/quaTrinhCongTac/1/tuThang']).toBe('QuaTrinhCongTac/CongTac[2]/TuThang');
  });

  it('maps the TCVN3 twin to the identical record when the key says tcvn3', () => {
    const unicode = read(sample(A, 'samples/DongBoHoSo.request.xml')).records!(textRepair('unicode'))[0];
    const tcvn3 = read(sample(A, 'samples/DongBoHoSo.tcvn3.request.xml')).records!(textRepair('tcvn3'))[0];
    expect(tcvn3.errors).toEqual([]);
    expect(tcvn3.draft).toEqual(unicode.draft);
    expect(tcvn3.draft).toEqual(expectedDraft());
    // Every string is NFC.
    const strings = JSON.stringify(tcvn3.draft);
    expect(strings).toBe(strings.normalize('NFC'));
  });

  it('warns (without blocking) when TCVN3 text arrives on a key set to Unicode', () => {
    const rec = read(sample(A, 'samples/DongBoHoSo.tcvn3.request.xml')).records!(textRepair('unicode'))[0];
    // The mangled names cannot be looked up (errors), and the warning tells the operator why.
    expect(rec.errors.map((e) => e.field)).toEqual(['TonGiao', 'LyLuanChinhTri', 'KhenThuong/KhenThuong[1]/HinhThuc']);
    expect(rec.warnings).toEqual([expect.objectContaining({ field: 'HoTen', code: 'NGHI_BANG_MA_TCVN3' })]);
  });

  it('answers a synchronised record exactly like samples/DongBoHoSo.response.xml', () => {
    const call = read(sample(A, 'samples/DongBoHoSo.request.xml'));
    const r: RecordResult = { recordId: 'BG-001234', index: 0, status: 'SYNCED', trackingId: 'TD-1', errors: [], warnings: [], message: 'Đồng bộ thành công' };
    const answer = vendorA.renderResult(call, { operation: 'submitProfiles', results: [r] });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/xml; charset=utf-8');
    const actual = xmlShape(answer.body as string);
    expect(actual).toEqual(fillPlaceholders(xmlShape(sample(A, 'samples/DongBoHoSo.response.xml')), actual));
    expect(answer.body).toContain('<MaTheoDoi>TD-1</MaTheoDoi>');
  });

  it('answers an invalid record exactly like samples/DongBoHoSo.invalid.response.xml', () => {
    const call = read(sample(A, 'samples/DongBoHoSo.request.xml'));
    const r: RecordResult = {
      recordId: 'BG-001234',
      index: 0,
      status: 'INVALID',
      trackingId: 'TD-2',
      errors: [
        { pointer: '/soDinhDanh', field: 'SoCMND', code: 'KHONG_HOP_LE', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' },
        { pointer: '/luong/heSo', field: 'HeSoLuong', code: 'KHONG_HOP_LE', message: 'Hệ số 3,10 không thuộc bảng lương A1 của ngạch 01.003' },
      ],
      warnings: [],
    };
    const answer = vendorA.renderResult(call, { operation: 'submitProfiles', results: [r] });
    const actual = xmlShape(answer.body as string);
    expect(actual).toEqual(fillPlaceholders(xmlShape(sample(A, 'samples/DongBoHoSo.invalid.response.xml')), actual));
  });

  it('renders a refused key exactly like samples/auth-failure.response.xml, with HTTP 500', () => {
    const answer = vendorA.renderError(new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, 'unknown key id'));
    expect(answer.status).toBe(500);
    expect(xmlShape(answer.body as string)).toEqual(xmlShape(sample(A, 'samples/auth-failure.response.xml')));
    expect(answer.body).not.toContain('unknown key id');
  });
});

describe('vendor A: quirks', () => {
  const base = '<SoHieuCanBo>X-1</SoHieuCanBo><HoTen>Lê Thị Nữ</HoTen><SoCMND>038179000321</SoCMND><MaDonVi>000.00.00.H03</MaDonVi><MaNgach>01.003</MaNgach><BacLuong>1</BacLuong><HeSoLuong>2,34</HeSoLuong>';
  const map = (extra: string, repair = textRepair('unicode')) => read(envelope(hoSo(base + extra))).records!(repair)[0];

  it('turns 00 date parts into partial dates and Nữ into 2', () => {
    expect(map('<NgaySinh>00/00/1979</NgaySinh><GioiTinh>Nữ</GioiTinh>').draft).toMatchObject({ ngaySinh: '1979', gioiTinh: 2 });
    expect(map('<NgaySinh>00/05/1979</NgaySinh>').draft.ngaySinh).toBe('1979-05');
    expect(map('<NgaySinh>5/6/1979</NgaySinh>').draft.ngaySinh).toBe('1979-06-05');
  });

  it('maps ethnic group, religion and award names with variants to codes', () => {
    expect(map('<DanToc>Khơ-me</DanToc>').draft.danToc).toBe('05');
    expect(map('<DanToc>Khmer</DanToc>').draft.danToc).toBe('05');
    expect(map("<DanToc>H'Mông</DanToc>").draft.danToc).toBe('08');
    expect(map('<DanToc>Mông</DanToc>').draft.danToc).toBe('08');
    expect(map('<TonGiao>Công giáo</TonGiao>').draft.tonGiao).toBe('02');
    expect(map('<KhenThuong><KhenThuong><HinhThuc>Giấy khen</HinhThuc><Nam>2020</Nam></KhenThuong></KhenThuong>').draft.khenThuong).toEqual([{ hinhThuc: '06', nam: 2020 }]);
  });

  it('reports an unknown ethnic group against DanToc', () => {
    const r = map('<DanToc>Sao Hỏa</DanToc>');
    expect(r.draft.danToc).toBeUndefined();
    expect(r.errors).toEqual([expect.objectContaining({ pointer: '/danToc', field: 'DanToc', code: 'MA_KHONG_TON_TAI' })]);
    expect(r.errors[0].message).toContain('Sao Hỏa');
  });

  it('refuses the old 9-digit SoCMND with an error naming SoCMND', () => {
    const r = read(envelope(hoSo(base.replace('038179000321', '038179000')))).records!(textRepair('unicode'))[0];
    expect(r.errors).toEqual([
      { pointer: '/soDinhDanh', field: 'SoCMND', code: 'KHONG_HOP_LE', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' },
    ]);
  });

  it('reports unparseable values in the vendor’s terms and keeps the rest of the record', () => {
    const r = map('<NgaySinh>31/02/1980</NgaySinh><NgayTuyenDung>00/09/2010</NgayTuyenDung><GioiTinh>Khác</GioiTinh><LyLuanChinhTri>Tiến sĩ</LyLuanChinhTri><NgayCapNhat>hôm qua</NgayCapNhat>');
    expect(r.errors.map((e) => e.field)).toEqual(['NgaySinh', 'GioiTinh', 'NgayTuyenDung', 'LyLuanChinhTri', 'NgayCapNhat']);
    expect(r.draft.hoVaTen).toBe('Lê Thị Nữ');
    expect(r.draft.luong).toEqual({ bac: 1, heSo: 2.34 });
    for (const e of r.errors) expect(e.message).toMatch(/[ạ-ỹàáâãèéêìíòóôõùúýăđơư]/i);
  });

  it('maps political theory names, months, local times and decimal commas', () => {
    const r = map(
      '<LyLuanChinhTri>Cao cấp</LyLuanChinhTri><QuaTrinhCongTac><CongTac><TuThang>9/2010</TuThang><DenThang/><NoiDung>x</NoiDung></CongTac></QuaTrinhCongTac><NgayCapNhat>01/02/2025 07:05:09</NgayCapNhat>',
    );
    expect(r.errors).toEqual([]);
    expect(r.draft.trinhDo).toEqual({ lyLuanChinhTri: 'CAO_CAP' });
    expect(r.draft.quaTrinhCongTac).toEqual([{ tuThang: '2010-09', noiDung: 'x' }]);
    expect(r.draft.ngayCapNhat).toBe('2025-02-01T07:05:09+07:00');
    expect(r.draft.ngachChucDanh).toEqual({ ma: '01.003', ten: 'Chuyên viên' });
  });

  it('maps discipline entries with their decision dates', () => {
    const r = map('<KyLuat><KyLuat><HinhThuc>Khiển trách</HinhThuc><NgayQuyetDinh>02/03/2020</NgayQuyetDinh><SoQuyetDinh>12/QĐ</SoQuyetDinh><LyDo>Đi muộn</LyDo></KyLuat></KyLuat>');
    expect(r.errors).toEqual([]);
    expect(r.draft.kyLuat).toEqual([{ hinhThuc: expect.stringMatching(/^\d{2}$/), ngayQuyetDinh: '2020-03-02', soQuyetDinh: '12/QĐ', lyDo: 'Đi muộn' }]);
  });
});

describe('vendor A: operations', () => {
  it('DongBoDanhSachHoSo maps every HoSo in order and answers one KetQuaDongBo per record', () => {
    const items = ['A-1', 'A-2', 'A-3'].map((id) => `<HoSo><SoHieuCanBo>${id}</SoHieuCanBo><HoTen>Tên ${id}</HoTen></HoSo>`).join('');
    const call = read(envelope(`<DongBoDanhSachHoSo xmlns="http://qlcb.vendor-a.vn/"><danhSach>${items}</danhSach></DongBoDanhSachHoSo>`), 'DongBoDanhSachHoSo');
    const recs = call.records!(textRepair('unicode'));
    expect(recs.map((r) => [r.recordId, r.index])).toEqual([['A-1', 0], ['A-2', 1], ['A-3', 2]]);
    const results: RecordResult[] = [
      { recordId: 'A-3', index: 2, status: 'STALE', trackingId: 't3', errors: [], warnings: [] },
      { recordId: 'A-1', index: 0, status: 'SYNCED', trackingId: 't1', errors: [], warnings: [{ field: 'SoCMND', code: 'CANH_BAO', message: 'Năm sinh không khớp' }] },
      { recordId: 'A-2', index: 1, status: 'QUEUED', trackingId: 't2', errors: [], warnings: [] },
    ];
    const answer = vendorA.renderResult(call, { operation: 'submitProfiles', results });
    const s = xmlShape(answer.body as string);
    const list = s.children[0].children[0].children[0];
    expect(list.name).toBe('DongBoDanhSachHoSoResult');
    expect(list.children.map((k) => k.children[0].text)).toEqual(['0', '1', '3']);
    expect(answer.body).toContain('<Loi><Truong>SoCMND</Truong><MoTa>Cảnh báo: Năm sinh không khớp</MoTa></Loi>');
  });

  it('refuses more records than maxRecordsPerCall', () => {
    const items = '<HoSo><HoTen>x</HoTen></HoSo>'.repeat(3);
    const err = gwError(() =>
      vendorA.readRequest(envelope(`<DongBoDanhSachHoSo xmlns="http://qlcb.vendor-a.vn/"><danhSach>${items}</danhSach></DongBoDanhSachHoSo>`), meta(PATH, action('DongBoDanhSachHoSo')), limits({ maxRecordsPerCall: 2 })),
    );
    expect(err.code).toBe('QUA_NHIEU_BAN_GHI');
  });

  it('CapNhatDonVi hands over a unit, TraCuuTrangThai a tracking id', () => {
    const unitCall = read(
      envelope('<CapNhatDonVi xmlns="http://qlcb.vendor-a.vn/"><donVi><MaDonVi>000.05.31.H03</MaDonVi><TenDonVi>Phòng Tổ chức</TenDonVi><MaDonViCha>000.00.00.H03</MaDonViCha><Cap>3</Cap><NgayHieuLuc>01/07/2025</NgayHieuLuc></donVi></CapNhatDonVi>'),
      'CapNhatDonVi',
    );
    expect(unitCall.operation).toBe('upsertUnit');
    expect(unitCall.unit!(textRepair('unicode'))).toMatchObject({
      recordId: '000.05.31.H03',
      draft: { maDinhDanh: '000.05.31.H03', ten: 'Phòng Tổ chức', maDonViCha: '000.00.00.H03', cap: 3, hieuLucTu: '2025-07-01' },
      errors: [],
    });
    const statusCall = read(envelope('<TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi> TD-9 </maTheoDoi></TraCuuTrangThai>'), 'TraCuuTrangThai');
    expect(statusCall.operation).toBe('status');
    expect(statusCall.trackingIds).toEqual(['TD-9']);
    const answer = vendorA.renderResult(statusCall, { operation: 'status', results: [{ recordId: 'TD-9', index: 0, status: 'QUEUED', trackingId: 'TD-9', errors: [], warnings: [] }] });
    expect(answer.body).toContain('<TraCuuTrangThaiResponse xmlns="http://qlcb.vendor-a.vn/"><TraCuuTrangThaiResult><MaKetQua>1</MaKetQua>');
  });

  it('refuses a SOAPAction naming an unknown operation, and one contradicting the body', () => {
    const body = sample(A, 'samples/DongBoHoSo.request.xml');
    expect(gwError(() => vendorA.readRequest(body, meta(PATH, { soapaction: '"http://qlcb.vendor-a.vn/XoaHoSo"' }), limits())).code).toBe('THAO_TAC_KHONG_TON_TAI');
    expect(gwError(() => vendorA.readRequest(body, meta(PATH, action('TraCuuTrangThai')), limits())).code).toBe('SOAP_KHONG_HOP_LE');
    // An empty SOAPAction routes on the body element, as ASMX does with RequestElement routing.
    expect(vendorA.readRequest(body, meta(PATH, { soapaction: '""' }), limits()).vendorOperation).toBe('DongBoHoSo');
  });

  it('refuses a call without XacThuc as a key error', () => {
    const err = gwError(() => read(Buffer.from('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' + hoSo('<HoTen>x</HoTen>') + '</soap:Body></soap:Envelope>')));
    expect(err.code).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
    expect(vendorA.renderError(err).status).toBe(500);
  });

  it('serves its WSDL on ?WSDL and ?wsdl with soap:address at the gateway', () => {
    for (const q of ['WSDL', 'wsdl']) {
      const doc = vendorA.describe!(meta(PATH, {}, 'GET', q), 'https://gw.tinh.gov.vn:8443');
      expect(doc?.status).toBe(200);
      expect(doc?.body).toContain('<soap:address location="https://gw.tinh.gov.vn:8443/QLCBService.asmx"/>');
      expect(doc?.body).toContain('<wsdl:operation name="TraCuuTrangThai">');
    }
    expect(vendorA.describe!(meta(PATH, {}, 'GET', ''), 'https://x')).toBeUndefined();
  });
});
