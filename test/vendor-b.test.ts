import { describe, expect, it } from 'vitest';
import { vendorB } from '../adapters/vendor-b-jaxws/index.js';
import { textRepair } from '../adapters/text/index.js';
import { GatewayError } from '../core/errors.js';
import type { IncomingCall, RecordResult } from '../adapters/types.js';
import { limits, meta, sample, xmlShape } from './vendor-helpers.js';

const B = 'vendor-b-jaxws';
const PATH = '/hrm/sync/v2';
const NOW = new Date('2025-08-21T01:00:00Z');
const CT = { 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:submitRecords"' };
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

function sampleRequest(created = iso(0), expires = iso(5 * 60_000)): string {
  return sample(B, 'samples/submitRecords.request.xml')
    .toString('utf8')
    .replace('{{NOW}}', created)
    .replace('{{NOW+5min}}', expires)
    .replace('{{SOFTWARE_ID}}', 'HRM-B-01')
    .replace('{{CONNECTION_KEY}}', 'k9.secret');
}

function read(xml: string | Buffer, headers: Record<string, string> = CT, over = {}): IncomingCall {
  return vendorB.readRequest(Buffer.isBuffer(xml) ? xml : Buffer.from(xml), meta(PATH, headers), limits({ now: () => NOW, ...over }));
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

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A request carrying `payload` (raw string, escaped here unless cdata). */
function withPayload(payload: string, cdata = false): string {
  const req = sampleRequest();
  const start = req.indexOf('<payload>') + '<payload>'.length;
  const end = req.indexOf('</payload>');
  return req.slice(0, start) + (cdata ? `<![CDATA[${payload}]]>` : escapeXml(payload)) + req.slice(end);
}

const employee = (id: string, inner: string) => `<employee id="${id}">${inner}</employee>`;
const records = (...employees: string[]) => `<records xmlns="http://ws.vendor-b.vn/hrm/records/v2">${employees.join('')}</records>`;

describe('vendor B: the sample', () => {
  it('reads credentials, batch and both employees, mapped per the quirk table', () => {
    const call = read(sampleRequest());
    expect(call.vendorOperation).toBe('submitRecords');
    expect(call.operation).toBe('submitProfiles');
    expect(call.credentials).toEqual({ key: 'k9.secret', softwareId: 'HRM-B-01', unitCode: '000.00.00.H03' });
    expect(call.correlation).toEqual({ batchId: 'B-20250821-0001' });
    const recs = call.records!(textRepair('unicode'));
    expect(recs.map((r) => [r.recordId, r.index, r.errors])).toEqual([['E-77001', 0, []], ['E-77002', 1, []]]);
    expect(recs[0].draft).toEqual({
      hoVaTen: 'Trần Thị Hương',
      ngaySinh: '1990-07-05',
      gioiTinh: 2,
      soDinhDanh: '001190004567',
      danToc: '01',
      tonGiao: '00',
      noiSinh: { maTinh: '01', diaChi: 'Phường Hàng Bài, quận Hoàn Kiếm, Hà Nội' },
      soBHXH: '0112345678',
      donVi: { maDinhDanh: '000.05.31.H03' },
      ngayTuyenDung: '2014-03-01',
      ngachChucDanh: { ma: '01.002', ten: 'Chuyên viên chính', ngayBoNhiem: '2020-06-01' },
      luong: { bac: 2, heSo: 4.74, ngayHuong: '2022-06-01', phanTramVuotKhung: 0 },
      chucVu: [
        { ten: 'Trưởng phòng', kiemNhiem: false, heSoPhuCap: 0.4, tuNgay: '2021-01-01' },
        { ten: 'Chi ủy viên', kiemNhiem: true },
      ],
      trinhDo: {
        giaoDucPhoThong: '12/12',
        chuyenMonCaoNhat: 'Thạc sĩ Quản lý công',
        lyLuanChinhTri: 'CAO_CAP',
        ngoaiNgu: ['Tiếng Anh B2', 'Tiếng Pháp A2'],
        tinHoc: 'Ứng dụng CNTT cơ bản',
      },
      dang: { ngayVaoDang: '2015-05-19', ngayChinhThuc: '2016-05-19' },
      quaTrinhCongTac: [
        { tuThang: '2014-03', denThang: '2020-05', maDinhDanhDonVi: '000.05.31.H03', noiDung: 'Chuyên viên Phòng Công chức, viên chức' },
        { tuThang: '2020-06', noiDung: 'Trưởng phòng Công chức, viên chức' },
      ],
      danhGia: [
        { nam: 2023, xepLoai: 'HTXSNV' },
        { nam: 2024, xepLoai: 'HTTNV' },
      ],
      ngayCapNhat: '2025-08-21T07:45:12+07:00',
    });
    expect(recs[1].draft).toEqual({
      hoVaTen: 'Lò Văn Pánh',
      ngaySinh: '1988',
      gioiTinh: 1,
      soDinhDanh: '014088009876',
      danToc: '03',
      tonGiao: '00',
      donVi: { maDinhDanh: '000.00.00.H03' },
      ngachChucDanh: { ma: '01.003', ten: 'Chuyên viên' },
      luong: { bac: 4, heSo: 3.33, ngayHuong: '2024-01-01' },
      ngayCapNhat: '2025-08-20T16:02:00+07:00',
    });
    expect(recs[1].fields['/soDinhDanh']).toBe('employee[2]/personal/nationalId');
    expect(recs[1].fields['/nguon/maDonViGui']).toBe('orgCode');
    expect(recs[0].fields['/luong/heSo']).toBe('employee[1]/employment/salary/@coefficient');
    expect(recs[0].fields['/quaTrinhCongTac/0/maDinhDanhDonVi']).toBe('employee[1]/history/entry[1]/@unit');
  });

  it('composes decomposed (NFD) text to NFC', () => {
    const nfd = records(employee('N-1', '<personal><fullName>Trần Thị Hương</fullName></personal><employment><positions><position title="Trưởng phòng"/></positions></employment>'.normalize('NFD')));
    const rec = read(withPayload(nfd)).records!(textRepair('unicode'))[0];
    expect(rec.draft.hoVaTen).toBe('Trần Thị Hương'.normalize('NFC'));
    expect(rec.draft.hoVaTen).not.toBe('Trần Thị Hương'.normalize('NFD'));
    expect(rec.draft.chucVu?.[0].ten).toBe('Trưởng phòng'.normalize('NFC'));
  });

  it('reads a CDATA payload like an escaped one', () => {
    const payload = sample(B, 'samples/records.payload.xml').toString('utf8');
    const viaCdata = read(withPayload(payload, true)).records!(textRepair('unicode'));
    const viaEscape = read(sampleRequest()).records!(textRepair('unicode'));
    expect(viaCdata.map((r) => r.draft)).toEqual(viaEscape.map((r) => r.draft));
  });

  it('names the payload path of a bad field, 1-based', () => {
    const p = records(
      employee('OK', '<personal><nationalId>001190004567</nationalId></personal>'),
      employee('BAD', '<personal><nationalId>014088009</nationalId><sex>X</sex><dob>1988-13</dob></personal><employment><salary coefficient="3,3x"/></employment><evaluations><evaluation year="2024" grade="GIOI"/></evaluations>'),
    );
    const recs = read(withPayload(p)).records!(textRepair('unicode'));
    expect(recs[0].errors).toEqual([]);
    expect(recs[1].errors.map((e) => [e.field, e.code])).toEqual([
      ['employee[2]/personal/dob', 'SAI_DINH_DANG'],
      ['employee[2]/personal/sex', 'KHONG_HOP_LE'],
      ['employee[2]/personal/nationalId', 'KHONG_HOP_LE'],
      ['employee[2]/employment/salary/@coefficient', 'SAI_DINH_DANG'],
      ['employee[2]/evaluations/evaluation[1]/@grade', 'KHONG_HOP_LE'],
    ]);
    expect(recs[1].errors[2].message).toBe('Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)');
  });

  it('keeps a birth province only when it is in the post-2025 list, and warns otherwise', () => {
    const p = records(employee('P', '<personal><birthPlace province="02">Hà Giang</birthPlace></personal>'));
    const rec = read(withPayload(p)).records!(textRepair('unicode'))[0];
    expect(rec.draft.noiSinh).toEqual({ diaChi: 'Hà Giang' });
    expect(rec.errors).toEqual([]);
    expect(rec.warnings).toEqual([expect.objectContaining({ pointer: '/noiSinh/maTinh', field: 'employee[1]/personal/birthPlace/@province', code: 'MA_TINH_CU' })]);
  });
});

describe('vendor B: envelope and WS-Security', () => {
  it('refuses a message whose Expires has passed or whose Created lies too far ahead', () => {
    expect(gwError(() => read(sampleRequest(iso(-10 * 60_000), iso(-5 * 60_000)))).code).toBe('THOI_HAN_THONG_DIEP');
    expect(gwError(() => read(sampleRequest(iso(6 * 60_000), iso(11 * 60_000)))).code).toBe('THOI_HAN_THONG_DIEP');
    // Within the skew is fine.
    expect(read(sampleRequest(iso(4 * 60_000), iso(9 * 60_000))).vendorOperation).toBe('submitRecords');
    expect(gwError(() => read(sampleRequest('yesterday', iso(60_000)))).code).toBe('THOI_HAN_THONG_DIEP');
    // Without Expires, an old Created is a replay.
    const noExpires = (created: string) => sampleRequest(created).replace(/<wsu:Expires>[^<]*<\/wsu:Expires>/, '');
    expect(read(noExpires(iso(-60_000))).vendorOperation).toBe('submitRecords');
    expect(gwError(() => read(noExpires(iso(-60 * 60_000)))).code).toBe('THOI_HAN_THONG_DIEP');
  });

  it('refuses a missing Security header, a missing timestamp and PasswordDigest', () => {
    const noSecurity = sampleRequest().replace(/<wsse:Security[\s\S]*<\/wsse:Security>/, '');
    expect(gwError(() => read(noSecurity)).code).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
    const noTimestamp = sampleRequest().replace(/<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/, '');
    expect(gwError(() => read(noTimestamp)).code).toBe('THOI_HAN_THONG_DIEP');
    const digest = sampleRequest().replace('#PasswordText', '#PasswordDigest');
    const err = gwError(() => read(digest));
    expect(err.code).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
    expect(err.internalReason).toContain('password type');
  });

  it('understands mustUnderstand on Security but not on an unknown header block', () => {
    expect(read(sampleRequest()).credentials.key).toBe('k9.secret');
    const extra = sampleRequest().replace('<soap:Header>', '<soap:Header><x:Trace xmlns:x="urn:x" soap:mustUnderstand="true">1</x:Trace>');
    expect(gwError(() => read(extra)).code).toBe('SOAP_KHONG_HOP_LE');
  });

  it('refuses a SOAP 1.1 envelope with SAI_PHIEN_BAN_SOAP, as a VersionMismatch its SOAP 1.1 sender can read', () => {
    const v11 = sampleRequest().replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/');
    const err = gwError(() => read(v11, { 'content-type': 'text/xml; charset=utf-8' }));
    expect(err.code).toBe('SAI_PHIEN_BAN_SOAP');
    // SOAP 1.2 part 1 appendix A: a SOAP 1.1 fault over the SOAP 1.1 HTTP binding, with env:Upgrade.
    const fault = vendorB.renderError(err);
    expect(fault.status).toBe(500);
    expect(fault.headers['content-type']).toMatch(/^text\/xml/);
    expect(fault.body).toContain('<faultcode>soap:VersionMismatch</faultcode>');
    expect(fault.body).toContain('<upg:SupportedEnvelope qname="ns1:Envelope" xmlns:ns1="http://www.w3.org/2003/05/soap-envelope"/>');
    expect(fault.body).toContain('SOAP 1.2');
  });

  it('refuses an action naming an unknown operation, and one contradicting the body', () => {
    expect(gwError(() => read(sampleRequest(), { 'content-type': 'application/soap+xml; action="urn:deleteRecords"' })).code).toBe('THAO_TAC_KHONG_TON_TAI');
    expect(gwError(() => read(sampleRequest(), { 'content-type': 'application/soap+xml; action="urn:getStatus"' })).code).toBe('SOAP_KHONG_HOP_LE');
    expect(read(sampleRequest(), { 'content-type': 'application/soap+xml; charset=UTF-8' }).vendorOperation).toBe('submitRecords');
  });

  it('refuses more employees than maxRecordsPerCall, and a DOCTYPE inside the payload', () => {
    const three = records(employee('1', ''), employee('2', ''), employee('3', ''));
    expect(gwError(() => read(withPayload(three), CT, { maxRecordsPerCall: 2 })).code).toBe('QUA_NHIEU_BAN_GHI');
    const xxe = '<?xml version="1.0"?><!DOCTYPE records [<!ENTITY x SYSTEM "file:///etc/passwd">]><records><employee id="1"><personal><fullName>&x;</fullName></personal></employee></records>';
    const err = gwError(() => read(withPayload(xxe)));
    expect(err.code).toBe('XML_BI_TU_CHOI');
    expect(err.message).toContain('payload');
    expect(gwError(() => read(withPayload(xxe, true))).code).toBe('XML_BI_TU_CHOI');
  });

  it('reads getStatus tracking ids', () => {
    const req = sampleRequest().replace(/<v2:submitRecords>[\s\S]*<\/v2:submitRecords>/, '<v2:getStatus><trackingId>T-1</trackingId><trackingId>T-2</trackingId></v2:getStatus>');
    const call = read(req, { 'content-type': 'application/soap+xml; action="urn:getStatus"' });
    expect(call.operation).toBe('status');
    expect(call.trackingIds).toEqual(['T-1', 'T-2']);
  });
});

describe('vendor B: answers and faults', () => {
  it('answers submitRecordsResponse with one result per record in input order', () => {
    const call = read(sampleRequest());
    const results: RecordResult[] = [
      { recordId: 'E-77002', index: 1, status: 'INVALID', trackingId: 't2', errors: [{ field: 'employee[2]/personal/nationalId', code: 'KHONG_HOP_LE', message: 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)' }], warnings: [] },
      { recordId: 'E-77001', index: 0, status: 'SYNCED', trackingId: 't1', errors: [], warnings: [] },
    ];
    const answer = vendorB.renderResult(call, { operation: 'submitProfiles', results, correlation: call.correlation });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/soap\+xml/);
    const s = xmlShape(answer.body as string);
    const resp = s.children[0].children[0];
    expect(resp).toMatchObject({ name: 'submitRecordsResponse', uri: 'http://ws.vendor-b.vn/hrm/sync/v2' });
    expect(resp.children.slice(0, 3).map((c) => [c.name, c.uri, c.text])).toEqual([
      ['batchId', '', 'B-20250821-0001'],
      ['accepted', '', '1'],
      ['rejected', '', '1'],
    ]);
    const r = resp.children.slice(3);
    expect(r.map((x) => x.children[0].text)).toEqual(['E-77001', 'E-77002']);
    expect(r[1].children.map((c) => c.name)).toEqual(['recordId', 'status', 'trackingId', 'error']);
    expect(r[1].children[3].children.map((c) => [c.name, c.text])).toEqual([
      ['field', 'employee[2]/personal/nationalId'],
      ['message', 'Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)'],
    ]);
  });

  it('renders SOAP 1.2 faults: 400 for Sender, 500 for Receiver (a rate limit is a Receiver fault), SyncFault detail', () => {
    const limited = vendorB.renderError(new GatewayError('VUOT_HAN_MUC', { retryAfterSeconds: 7 }));
    expect(limited.status).toBe(500);
    expect(limited.headers['retry-after']).toBe('7');
    const s = xmlShape(limited.body as string);
    const fault = s.children[0].children[0];
    expect(fault.name).toBe('Fault');
    expect(fault.children.map((c) => c.name)).toEqual(['Code', 'Reason', 'Detail']);
    expect(fault.children[0].children[0].text).toBe('soap:Receiver');
    expect(fault.children[1].children[0].attrs['{http://www.w3.org/XML/1998/namespace}lang']).toBe('vi');
    expect(fault.children[1].children[0].text).toBe('Vượt hạn mức gửi dữ liệu; vui lòng thử lại sau 7 giây (VUOT_HAN_MUC)');
    expect(fault.children[2].children[0]).toEqual({
      name: 'SyncFault',
      uri: 'http://ws.vendor-b.vn/hrm/sync/v2',
      attrs: {},
      children: [
        { name: 'code', uri: '', attrs: {}, text: 'VUOT_HAN_MUC', children: [] },
        { name: 'retryAfterSeconds', uri: '', attrs: {}, text: '7', children: [] },
      ],
    });
    const down = vendorB.renderError(new GatewayError('CSDL_TRUNG_UONG_KHONG_SAN_SANG'));
    expect(down.status).toBe(500);
    expect(down.body).toContain('<soap:Value>soap:Receiver</soap:Value>');
    expect(down.body).not.toContain('retryAfterSeconds');
  });

  it('serves its WSDL on ?wsdl with soap12:address at the gateway', () => {
    const doc = vendorB.describe!(meta(PATH, {}, 'GET', 'wsdl'), 'https://gw.bo.gov.vn');
    expect(doc?.body).toContain('<soap12:address location="https://gw.bo.gov.vn/hrm/sync/v2"/>');
  });
});
