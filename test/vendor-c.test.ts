import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { vendorC } from '../adapters/vendor-c-xmlpost/index.js';
import { textRepair } from '../adapters/text/index.js';
import { GatewayError } from '../core/errors.js';
import type { IncomingCall } from '../adapters/types.js';
import { limits, meta, sample, xmlShape } from './vendor-helpers.js';

const PATH = '/vendor-c/hoso';
const HEADERS = { 'content-type': 'text/xml', 'x-connection-key': 'kc.secret', 'x-ma-don-vi': '000.12.00.H03' };

function read(body: Buffer, headers: Record<string, string> = HEADERS): IncomingCall {
  return vendorC.readRequest(body, meta(PATH, headers), limits());
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

const EXPECTED = {
  soHieu: 'TH-0042',
  hoVaTen: 'Phạm Thị Thủy',
  ngaySinh: '1979',
  gioiTinh: 2,
  soDinhDanh: '038179000321',
  danToc: '06',
  tonGiao: '02',
  noiSinh: { diaChi: 'Xã Quảng Thịnh, huyện Quảng Xương, Thanh Hóa' },
  donVi: { maDinhDanh: '000.12.00.H03' },
  chucVu: [{ ten: 'Văn thư', kiemNhiem: false }],
  ngachChucDanh: { ma: '02.007', ten: 'Văn thư viên' },
  luong: { bac: 5, heSo: 3.66, ngayHuong: '2024-07-01' },
  ngayCapNhat: '2025-08-19T14:30:00+07:00',
};

describe('vendor C', () => {
  it('decodes the Windows-1258 sample by its declared encoding and maps it with vendor A’s rules', () => {
    const body = sample('vendor-c-xmlpost', 'samples/hoso.request.xml');
    expect(body.includes(Buffer.from('Phạm', 'utf8'))).toBe(false); // really not UTF-8
    const call = read(body);
    expect(call).toMatchObject({ vendorOperation: 'hoso', operation: 'submitProfiles', credentials: { key: 'kc.secret', unitCode: '000.12.00.H03' } });
    const [rec] = call.records!(textRepair('unicode'));
    expect(rec.errors).toEqual([]);
    expect(rec.recordId).toBe('TH-0042');
    expect(rec.fields['/nguon/maDonViGui']).toBe('X-Ma-Don-Vi');
    expect(rec.draft).toEqual(EXPECTED);
    expect(rec.draft.hoVaTen).toBe(rec.draft.hoVaTen!.normalize('NFC'));
  });

  it('reads the same record sent in UTF-8', () => {
    const win = sample('vendor-c-xmlpost', 'samples/hoso.request.xml');
    const utf8 = Buffer.from(iconv.decode(win, 'windows-1258').normalize('NFC').replace('windows-1258', 'utf-8'), 'utf8');
    expect(read(utf8).records!(textRepair('unicode'))[0].draft).toEqual(EXPECTED);
  });

  it('uses the Content-Type charset only when the document declares no encoding', () => {
    const win = sample('vendor-c-xmlpost', 'samples/hoso.request.xml');
    const undeclared = Buffer.from(win.toString('latin1').replace(' encoding="windows-1258"', ''), 'latin1');
    expect(read(undeclared, { ...HEADERS, 'content-type': 'text/xml; charset=windows-1258' }).records!(textRepair('unicode'))[0].draft).toEqual(EXPECTED);
    // Without either, the bytes are taken as UTF-8 and refused as invalid UTF-8.
    expect(gwError(() => read(undeclared)).code).toBe('XML_KHONG_HOP_LE');
    // The declaration wins over a wrong header.
    expect(read(win, { ...HEADERS, 'content-type': 'text/xml; charset=utf-8' }).records!(textRepair('unicode'))[0].draft).toEqual(EXPECTED);
  });

  it('refuses bytes the declared code page does not define, and a missing key', () => {
    const bad = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1258"?><HoSoCanBo><HoTen>'), Buffer.from([0x81]), Buffer.from('</HoTen></HoSoCanBo>')]);
    expect(gwError(() => read(bad)).code).toBe('XML_KHONG_HOP_LE');
    const { 'x-connection-key': _, ...noKey } = HEADERS;
    expect(gwError(() => read(sample('vendor-c-xmlpost', 'samples/hoso.request.xml'), noKey)).code).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
    expect(gwError(() => read(Buffer.from('<HoSo/>'))).code).toBe('XML_KHONG_HOP_LE');
  });

  it('answers KetQua in UTF-8 with Loi children for invalid data', () => {
    const call = read(sample('vendor-c-xmlpost', 'samples/hoso.request.xml'));
    const ok = vendorC.renderResult(call, { operation: 'submitProfiles', results: [{ recordId: 'TH-0042', index: 0, status: 'SYNCED', trackingId: 'T1', errors: [], warnings: [] }] });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('<?xml version="1.0" encoding="utf-8"?><KetQua><Ma>0</Ma><ThongBao>Đồng bộ thành công</ThongBao><MaTheoDoi>T1</MaTheoDoi></KetQua>');
    const bad = vendorC.renderResult(call, {
      operation: 'submitProfiles',
      results: [{ recordId: 'TH-0042', index: 0, status: 'INVALID', trackingId: 'T2', errors: [{ field: 'SoCMND', code: 'KHONG_HOP_LE', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' }], warnings: [] }],
    });
    expect(xmlShape(bad.body as string)).toEqual({
      name: 'KetQua',
      uri: '',
      attrs: {},
      children: [
        { name: 'Ma', uri: '', attrs: {}, text: '2', children: [] },
        { name: 'ThongBao', uri: '', attrs: {}, text: 'Dữ liệu không hợp lệ: 1 lỗi', children: [] },
        { name: 'MaTheoDoi', uri: '', attrs: {}, text: 'T2', children: [] },
        { name: 'Loi', uri: '', attrs: { '{}truong': 'SoCMND' }, text: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)', children: [] },
      ],
    });
  });

  it('answers refusals in its own XML: 401 for keys, 429 with the wait, Ma 9 otherwise', () => {
    const auth = vendorC.renderError(new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE'));
    expect(auth.status).toBe(401);
    expect(auth.body).toBe('<?xml version="1.0" encoding="utf-8"?><KetQua><Ma>401</Ma><ThongBao>Mã kết nối không hợp lệ hoặc đã bị thu hồi (KHOA_KET_NOI_KHONG_HOP_LE)</ThongBao></KetQua>');
    const limited = vendorC.renderError(new GatewayError('VUOT_HAN_MUC', { retryAfterSeconds: 12 }));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('12');
    expect(limited.body).toContain('<Ma>429</Ma><ThongBao>Vượt hạn mức gửi dữ liệu; vui lòng thử lại sau 12 giây (VUOT_HAN_MUC)</ThongBao>');
    const big = vendorC.renderError(new GatewayError('DU_LIEU_QUA_LON', { limit: '10 MB' }));
    expect(big.status).toBe(413);
    expect(big.body).toContain('<Ma>9</Ma>');
    const down = vendorC.renderError(new GatewayError('LOI_HE_THONG', { requestId: 'r-1' }));
    expect(down.status).toBe(500);
    expect(down.body).toContain('mã yêu cầu r-1');
  });
});
