/**
 * The whole path, over real sockets: a legacy client with a certificate from the gateway's CA
 * and a connection key calls the real data plane (mutual TLS); the record is translated,
 * re-mapped, validated, signed and delivered to the real central simulator, and the answer comes
 * back in the vendor's own protocol. The simulator's store is the proof of what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACTS, cleanup } from './helpers/env.js';
import { sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { callOptions, vendorAClient, vendorBClient, faultOf } from './vendor-soap-clients.js';
import { verifyRecord } from '../adapters/national/sign.js';
import { publicUrl } from '../config/config.js';
import { searchAudit } from '../gateway/audit/search.js';
import { verifyChain } from '../gateway/audit/verify.js';

let h: Harness;
let a: LegacyClient;
let aTcvn3: LegacyClient;
let b: LegacyClient;
let c: LegacyClient;
let j: LegacyClient;

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8' };
const action = (op: string) => ({ ...SOAP11, soapaction: `"http://qlcb.vendor-a.vn/${op}"` });

function vendorARequest(file: string, key: string, replace: [string, string][] = []): string {
  let xml = sample(`vendors/vendor-a-asmx/samples/${file}`).replace('{{CONNECTION_KEY}}', key);
  for (const [from, to] of replace) xml = xml.replace(from, to);
  return xml;
}

async function stored(id: string): Promise<any> {
  const res = await a.request(`${h.url}/api/v1/profiles/${id}`, { headers: { 'x-connection-key': j.connectionKey } });
  return res.status === 200 ? res.json() : undefined;
}

beforeAll(async () => {
  h = await startHarness();
  await h.signingCertFor('000.00.00.H06');
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
  aTcvn3 = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A-VNTIME', encoding: 'tcvn3' });
  b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-B' });
  c = await h.legacyClient({ vendor: 'vendor-c-xmlpost', softwareId: 'VB6-C' });
  j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
}, 120_000);

afterAll(cleanup);

describe('vendor A (SOAP 1.1) through the gateway', () => {
  it('serves the WSDL with soap:address pointing at the gateway', async () => {
    for (const q of ['WSDL', 'wsdl']) {
      const res = await a.request(`${h.url}/QLCBService.asmx?${q}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`location="${publicUrl(h.ctx.config, h.node.dataPlane!.port)}/QLCBService.asmx"`);
    }
  });

  it('synchronises the sample record: MaKetQua 0, and the central database holds exactly the expected record, signed', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: vendorARequest('DongBoHoSo.request.xml', a.connectionKey) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    expect(res.text).toContain('<ThongBao>Đồng bộ thành công</ThongBao>');
    expect(res.text).toMatch(/<MaTheoDoi>TD[0-9A-Z]+<\/MaTheoDoi>/);

    const expected = JSON.parse(sample('vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'));
    expected.nguon.maPhanMem = 'QLCB-A';
    const record = await stored('024085001234');
    const { chuKySo, ...rest } = record;
    const { chuKySo: _placeholder, ...want } = expected;
    expect(rest).toEqual(want);
    expect(chuKySo.thuatToan).toMatch(/^(RS256|ES256)$/);
    expect(verifyRecord(record, { trustedCaPems: [h.ca] })).toMatchObject({ ok: true });
  });

  it('the TCVN3 twin, sent by an installation whose key says tcvn3, produces the identical record (an unchanged version)', async () => {
    const before = h.sim.stats().applied;
    const res = await aTcvn3.request(`${h.url}/QLCBService.asmx`, {
      headers: action('DongBoHoSo'),
      body: vendorARequest('DongBoHoSo.tcvn3.request.xml', aTcvn3.connectionKey),
    });
    expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    // Same soDinhDanh and ngayCapNhat as the Unicode sample: the central database answers KHONG_DOI.
    expect(h.sim.stats().applied).toBe(before);
    const record = await stored('024085001234');
    expect(record.hoVaTen).toBe('Nguyễn Văn Đức');
    expect(record.chucVu).toEqual([{ ten: 'Phó Trưởng phòng', kiemNhiem: false }]);
  });

  it('refuses invalid data with the contract answer (MaKetQua 2, vendor field names, Vietnamese) and sends nothing', async () => {
    const applied = h.sim.stats().applied;
    const body = vendorARequest('DongBoHoSo.request.xml', a.connectionKey, [
      ['<SoCMND>024085001234</SoCMND>', '<SoCMND>024085001</SoCMND>'],
      ['<HeSoLuong>3,00</HeSoLuong>', '<HeSoLuong>3,10</HeSoLuong>'],
    ]);
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<MaKetQua>2</MaKetQua>');
    expect(res.text).toContain('<ThongBao>Dữ liệu không hợp lệ: 2 lỗi</ThongBao>');
    expect(res.text).toContain('<Loi><Truong>SoCMND</Truong><MoTa>Số định danh cá nhân phải gồm 12 chữ số (nhận được 9 chữ số)</MoTa></Loi>');
    expect(res.text).toContain('<Loi><Truong>HeSoLuong</Truong><MoTa>Hệ số 3,10 không thuộc bảng lương A1 của ngạch 01.003</MoTa></Loi>');
    expect(h.sim.stats().applied).toBe(applied);
    // The tracking id of an invalid record answers TraCuuTrangThai with the same errors.
    const id = /<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(res.text)![1];
    const status = await a.request(`${h.url}/QLCBService.asmx`, {
      headers: action('TraCuuTrangThai'),
      body: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${a.connectionKey}</MaKetNoi></XacThuc></soap:Header><soap:Body><TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi>${id}</maTheoDoi></TraCuuTrangThai></soap:Body></soap:Envelope>`,
    });
    expect(status.text).toContain('<MaKetQua>2</MaKetQua>');
    expect(status.text).toContain('<Truong>SoCMND</Truong>');
  });

  it('a unit without a signing certificate is a gateway error (MaKetQua 9) telling the operator what to do, not a data error', async () => {
    // The department's own installation (a key may only send for its own unit): its records are
    // signed in its name, and it has no signing certificate.
    const dept = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A-SNV', unitCode: '000.05.31.H06' });
    const body = vendorARequest('DongBoHoSo.request.xml', dept.connectionKey, [['<MaDonVi>000.00.00.H03</MaDonVi>', '<MaDonVi>000.05.31.H06</MaDonVi>']]);
    const res = await dept.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body });
    expect(res.text).toContain('<MaKetQua>9</MaKetQua>');
    expect(res.text).toContain('ndxp certs issue-signing --unit 000.05.31.H06');
  });

  it('answers a wrong key with the contract SOAP 1.1 fault (HTTP 500), never revealing whether the key exists', async () => {
    for (const key of ['KNDOESNOTEXIST.secret', `${a.keyId}.wrong-secret`, 'garbage']) {
      const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: vendorARequest('DongBoHoSo.request.xml', key) });
      expect(res.status).toBe(500);
      expect(res.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(res.text).toContain('<faultstring>Mã kết nối không hợp lệ hoặc đã bị thu hồi (KHOA_KET_NOI_KHONG_HOP_LE)</faultstring>');
      expect(res.text).toContain('<MaLoi xmlns="urn:ndxp-gateway:loi">KHOA_KET_NOI_KHONG_HOP_LE</MaLoi>');
    }
  });

  it('refuses a key issued for another front (vendor B key on vendor A) with the same fault', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: vendorARequest('DongBoHoSo.request.xml', b.connectionKey) });
    expect(res.status).toBe(500);
    expect(res.text).toContain('KHOA_KET_NOI_KHONG_HOP_LE');
  });

  it('works for a client generated from the WSDL the gateway serves (soap package), over mutual TLS', async () => {
    const agent = new https.Agent({ cert: a.cert.certPem, key: a.cert.keyPem, ca: h.ca });
    const o = { wsdlUrl: `${h.url}/QLCBService.asmx?WSDL`, httpsAgent: agent };
    const client = await vendorAClient({ ...o, key: a.connectionKey, unitCode: '000.00.00.H03' });
    const [result] = await client.TraCuuTrangThaiAsync({ maTheoDoi: 'TD-KHONG-CO' }, callOptions(o));
    expect(result.TraCuuTrangThaiResult.MaKetQua).toBe(9);
    const bad = await vendorAClient({ ...o, key: 'KNX.bad', unitCode: '000.00.00.H03' });
    const fault = await faultOf(bad.DongBoHoSoAsync({ hoSo: { HoTen: 'X', BacLuong: 1 } }, callOptions(o)));
    expect(fault.status).toBe(500);
    expect(fault.fault?.faultstring).toContain('KHOA_KET_NOI_KHONG_HOP_LE');
    agent.destroy();
  });
});

describe('vendor B (SOAP 1.2, WS-Security) through the gateway', () => {
  it('submits the sample payload with a generated client: both records synchronised, in input order', async () => {
    const agent = new https.Agent({ cert: b.cert.certPem, key: b.cert.keyPem, ca: h.ca });
    const o = { wsdlUrl: `${h.url}/hrm/sync/v2?wsdl`, httpsAgent: agent };
    const client = await vendorBClient({ ...o, key: b.connectionKey, softwareId: 'HRM-B' });
    await h.signingCertFor('000.00.00.H06');
    const payload = sample('vendors/vendor-b-jaxws/samples/records.payload.xml');
    const [result] = await client.submitRecordsAsync({ batchId: 'B-1', orgCode: '000.00.00.H03', payload }, callOptions(o));
    expect(result.batchId).toBe('B-1');
    expect(result.result.map((r: any) => [r.recordId, r.status])).toEqual([
      ['E-77001', 'SYNCED'],
      ['E-77002', 'SYNCED'],
    ]);
    const huong = await stored('001190004567');
    expect(huong.hoVaTen).toBe('Trần Thị Hương'.normalize('NFC'));
    expect(huong.donVi.maDinhDanh).toBe('000.05.31.H06');
    expect(huong.nguon).toMatchObject({ maPhanMem: 'HRM-B', maDonViGui: '000.00.00.H06', dinhDangGoc: 'vendor-b-jaxws' });
    const [status] = await client.getStatusAsync({ trackingId: [result.result[0].trackingId] }, callOptions(o));
    expect([status.result].flat()[0].status).toBe('SYNCED');
    agent.destroy();
  });

  it('refuses a wrong password with a SOAP 1.2 Sender fault (HTTP 400) carrying SyncFault/code', async () => {
    const agent = new https.Agent({ cert: b.cert.certPem, key: b.cert.keyPem, ca: h.ca });
    const o = { endpoint: `${h.url}/hrm/sync/v2`, httpsAgent: agent };
    const client = await vendorBClient({ ...o, key: `${b.keyId}.wrong`, softwareId: 'HRM-B' });
    const fault = await faultOf(client.getStatusAsync({ trackingId: ['x'] }, callOptions(o)));
    expect(fault.status).toBe(400);
    expect(JSON.stringify(fault.fault)).toContain('KHOA_KET_NOI_KHONG_HOP_LE');
    agent.destroy();
  });
});

describe('vendor C (Windows-1258 XML) through the gateway', () => {
  it('decodes the sample by its declared encoding, synchronises it and answers in its XML', async () => {
    // The sample's bytes are Windows-1258, as the VB6 program sends them.
    const raw = readFileSync(path.join(CONTRACTS, 'vendors/vendor-c-xmlpost/samples/hoso.request.xml'));
    const res = await c.request(`${h.url}/vendor-c/hoso`, {
      headers: { 'content-type': 'text/xml', 'x-connection-key': c.connectionKey, 'x-ma-don-vi': '000.12.00.H03' },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Ma>0</Ma>');
    const record = await stored('038179000321');
    expect(record.hoVaTen).toBe('Phạm Thị Thủy');
    expect(record.ngaySinh).toBe('1979');
    expect(record.donVi.maDinhDanh).toBe('000.00.00.H06');
  });

  it('answers a missing key with HTTP 401 and its own XML', async () => {
    const res = await c.request(`${h.url}/vendor-c/hoso`, { headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0"?><HoSoCanBo/>' });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/<KetQua><Ma>401<\/Ma><ThongBao>[^<]*KHOA_KET_NOI_KHONG_HOP_LE/);
  });
});

describe('JSON clients', () => {
  it('whoami tells the caller what the gateway knows of its certificate and key', async () => {
    const res = await a.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': a.connectionKey } });
    expect(res.status).toBe(200);
    const me = res.json();
    expect(me).toMatchObject({ phanMem: 'QLCB-A', donVi: '000.00.00.H03', donViHienHanh: '000.00.00.H06', maKetNoi: { keyId: a.keyId, giaoDien: 'vendor-a-asmx' } });
    expect(me.chungThu.serial).toBe(a.cert.serial);
    expect(JSON.stringify(me)).not.toContain(a.connectionKey.split('.')[1]);
  });

  it('POST /token issues a bearer token accepted wherever a key is; suspending the key ends it', async () => {
    const [id, secret] = j.connectionKey.split('.');
    const tok = await j.request(`${h.url}/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(tok.status).toBe(200);
    const { access_token, token_type } = tok.json();
    expect(token_type).toBe('Bearer');
    const profile = await j.request(`${h.url}/api/v1/profiles/024085001234`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(profile.status).toBe(200);
    expect(profile.json().soDinhDanh).toBe('024085001234');
    const bad = await j.request(`${h.url}/token`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${id}&client_secret=nope` });
    expect(bad.status).toBe(401);
    expect(bad.json().error).toBe('invalid_client');
  });

  it('a read from a caller that closes its connection after each request reuses the gateway\'s own connection to the centre', async () => {
    const before = h.sim.stats().requests.tlsConnections;
    for (let i = 0; i < 5; i++) {
      const res = await j.request(`${h.url}/api/v1/profiles/024085001234`, { headers: { 'x-connection-key': j.connectionKey, connection: 'close' } });
      expect(res.status, res.text).toBe(200); // the record the vendor A test above synchronised
    }
    // Connection is hop-by-hop: forwarded, it closed the pooled upstream connection after every answer.
    expect(h.sim.stats().requests.tlsConnections - before).toBeLessThanOrEqual(1);
  });

  it('POST /api/v1/profiles: a national JSON record from a modern client is validated, signed and delivered', async () => {
    const record = JSON.parse(sample('vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'));
    delete record.chuKySo;
    delete record.nguon;
    record.soDinhDanh = '001085009999';
    record.hoVaTen = 'Nguyễn Văn Mới';
    const res = await j.request(`${h.url}/api/v1/profiles`, { headers: { 'content-type': 'application/json', 'x-connection-key': j.connectionKey }, body: JSON.stringify(record) });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ ketQua: 'SYNCED' });
    expect((await stored('001085009999')).nguon).toMatchObject({ maPhanMem: 'MODERN-J', dinhDangGoc: 'json' });
    const invalid = await j.request(`${h.url}/api/v1/profiles`, { headers: { 'content-type': 'application/json', 'x-connection-key': j.connectionKey }, body: JSON.stringify({ ...record, soDinhDanh: '123' }) });
    expect(invalid.status).toBe(422);
    expect(invalid.json().loi[0]).toMatchObject({ truong: '/soDinhDanh' });
  });
});

describe('the audit trail of these exchanges', () => {
  it('records who sent what through which key and certificate, masks personal ids, and verifies', async () => {
    await h.ctx.audit.flush();
    const found = await searchAudit(h.ctx.store, h.ctx.config, { personalId: '024085001234', front: 'vendor-a-asmx', kind: 'exchange' });
    expect(found.items.length).toBeGreaterThan(0);
    const entry = found.items[0];
    expect(entry).toMatchObject({ keyId: a.keyId, softwareId: 'QLCB-A', certSerial: a.cert.serial, operation: 'DongBoHoSo' });
    expect(entry.personalIds).toEqual(['********1234']);
    expect(entry.requestSha256).toMatch(/^[0-9a-f]{64}$/);
    // Refusals are there too, with their machine code.
    const refused = await searchAudit(h.ctx.store, h.ctx.config, { code: 'KHOA_KET_NOI_KHONG_HOP_LE', front: 'vendor-a-asmx' });
    expect(refused.items.length).toBeGreaterThanOrEqual(3);
    // Delivery attempts are linked to the exchange by tracking id.
    const deliveries = await searchAudit(h.ctx.store, h.ctx.config, { kind: 'delivery', trackingId: entry.trackingIds[0] });
    expect(deliveries.items.length).toBeGreaterThan(0);
    const verified = await verifyChain(h.ctx.store);
    expect(verified.ok).toBe(true);
  });
});
