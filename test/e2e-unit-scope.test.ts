/**
 * A connection key acts for its own unit only, on every front, over real mutual TLS through the
 * real data plane to the real central simulator: a sending unit named by the caller must be the
 * key's unit (or a pre-2025 code of it), each record's unit must lie in the key's unit's subtree
 * (by the loaded unit tree; without one, by the province part of the code, with a warning), and a
 * status lookup answers for the key's own unit's tracking ids only, another unit's id looking
 * exactly like an unknown one. The simulator's store is the proof of what was (not) sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { cleanup } from './helpers/env.js';
import { SAMPLE_TREE, sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { callOptions, vendorBClient } from './vendor-soap-clients.js';
import { searchAudit } from '../gateway/audit/search.js';
import { registry } from '../core/metrics.js';
import { newTrackingId } from '../core/ids.js';

/** A well-formed tracking id that no record has: what an unknown id looks like. */
const UNKNOWN_ID = newTrackingId();

/** The sample tree plus another province (H12) with a department, so H12 codes are valid units. */
const TREE = [
  ...SAMPLE_TREE,
  { maDinhDanh: '000.00.00.H12', ten: 'UBND tỉnh khác', cap: 1, hieuLucTu: '2025-07-01' },
  { maDinhDanh: '000.05.31.H12', ten: 'Sở Nội vụ tỉnh khác', maDonViCha: '000.00.00.H12', cap: 2, hieuLucTu: '2025-07-01' },
];

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8' };
const actionA = (op: string) => ({ ...SOAP11, soapaction: `"http://qlcb.vendor-a.vn/${op}"` });
const SOAP12 = { 'content-type': 'application/soap+xml; charset=utf-8' };

/** The vendor A sample hoSo with its person id and unit replaced. */
function hoSoA(id: string, unit: string): string {
  const xml = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml');
  const hoSo = /<hoSo>([\s\S]*)<\/hoSo>/.exec(xml)![1];
  return hoSo.replace('<SoCMND>024085001234</SoCMND>', `<SoCMND>${id}</SoCMND>`).replace('<MaDonVi>000.05.31.H03</MaDonVi>', `<MaDonVi>${unit}</MaDonVi>`);
}

function envelopeA(key: string, sendingUnit: string | undefined, body: string): string {
  const unit = sendingUnit === undefined ? '' : `<MaDonVi>${sendingUnit}</MaDonVi>`;
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${key}</MaKetNoi>${unit}</XacThuc></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

const dongBoHoSo = (id: string, unit: string) => `<DongBoHoSo xmlns="http://qlcb.vendor-a.vn/"><hoSo>${hoSoA(id, unit)}</hoSo></DongBoHoSo>`;
const danhSach = (items: [string, string][]) =>
  `<DongBoDanhSachHoSo xmlns="http://qlcb.vendor-a.vn/"><danhSach>${items.map(([id, unit]) => `<HoSo>${hoSoA(id, unit)}</HoSo>`).join('')}</danhSach></DongBoDanhSachHoSo>`;
const traCuu = (id: string) => `<TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi>${id}</maTheoDoi></TraCuuTrangThai>`;

/** A raw vendor B envelope (SOAP 1.2 + WS-Security UsernameToken), as the JAX-WS client sends it. */
function envelopeB(client: LegacyClient, body: string): string {
  const now = new Date();
  const expires = new Date(now.getTime() + 5 * 60_000);
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:v2="http://ws.vendor-b.vn/hrm/sync/v2"><soap:Header><wsse:Security soap:mustUnderstand="true" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsu:Timestamp><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${expires.toISOString()}</wsu:Expires></wsu:Timestamp><wsse:UsernameToken><wsse:Username>${client.softwareId}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${client.connectionKey}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** The national JSON sample record for one person in one unit. */
function jsonRecord(id: string, unit: string): Record<string, unknown> {
  const record = JSON.parse(sample('vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'));
  delete record.chuKySo;
  delete record.nguon;
  record.soDinhDanh = id;
  record.donVi = { maDinhDanh: unit, ten: 'Đơn vị' };
  return record;
}

const json = (client: LegacyClient, extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', 'x-connection-key': client.connectionKey, ...extra });

function appliedFor(h: Harness, soDinhDanh: string): number {
  return h.sim.stats().appliedBySoDinhDanh?.[soDinhDanh] ?? 0;
}

function appliedUnder(h: Harness, unit: string): number {
  return h.sim.stats().appliedByMaDinhDanh?.[unit] ?? 0;
}

async function scopeRefusals(level: string): Promise<number> {
  const metric = await registry.getSingleMetric('ndxp_unit_scope_refusals_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.level === level).reduce((n, v) => n + v.value, 0);
}

/** The unit (OU) of the certificate a stored record was signed with. */
function signerUnit(record: { chuKySo: { chungThu: string } }): string | undefined {
  const subject = new X509Certificate(Buffer.from(record.chuKySo.chungThu, 'base64')).subject;
  return /OU=([^\n,]+)/.exec(subject)?.[1];
}

/** Answers differ only in the id asked about and the request id. */
function normalise(text: string, id: string): string {
  return text.split(id).join('<ID>').replace(/"requestId":"[^"]+"/, '"requestId":"<R>"');
}

afterAll(cleanup);

describe('with the current unit tree loaded', () => {
  let h: Harness;
  let a: LegacyClient; // vendor A, unit 000.00.00.H03 (re-mapped to 000.00.00.H06)
  let b: LegacyClient; // vendor B, same unit
  let j: LegacyClient; // JSON, unit 000.00.00.H06
  let jSub: LegacyClient; // JSON, the department 000.05.31.H06
  let j12: LegacyClient; // JSON, the other province 000.00.00.H12
  let otherTrackingId: string;

  const stored = async (id: string) => {
    const res = await j.request(`${h.url}/api/v1/profiles/${id}`, { headers: { 'x-connection-key': j.connectionKey } });
    return res.status === 200 ? res.json() : undefined;
  };

  beforeAll(async () => {
    h = await startHarness({ unitTree: TREE });
    await h.signingCertFor('000.00.00.H06');
    await h.signingCertFor('000.00.00.H12');
    await h.signingCertFor('000.05.31.H12');
    a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
    b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-B' });
    j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
    jSub = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-SNV', unitCode: '000.05.31.H06' });
    j12 = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-H12', unitCode: '000.00.00.H12' });
    // A record the other province submitted for itself: its tracking id exists, but not for H06.
    const res = await j12.request(`${h.url}/api/v1/profiles`, { headers: json(j12), body: JSON.stringify(jsonRecord('024085000001', '000.05.31.H12')) });
    expect(res.json()).toMatchObject({ ketQua: 'SYNCED' });
    otherTrackingId = res.json().maTheoDoi;
  }, 120_000);

  describe('vendor A (SOAP 1.1)', () => {
    it('a named sending unit of another province refuses the call with a SOAP fault; nothing reaches the centre; the trail shows it', async () => {
      const before = await scopeRefusals('call');
      const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: actionA('DongBoHoSo'), body: envelopeA(a.connectionKey, '000.00.00.H12', dongBoHoSo('024085000101', '000.05.31.H12')) });
      expect(res.status).toBe(500);
      expect(res.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(res.text).toContain('<MaLoi xmlns="urn:ndxp-gateway:loi">DON_VI_GUI_KHONG_KHOP</MaLoi>');
      expect(res.text).toContain('Đơn vị gửi 000.00.00.H12 không phải đơn vị được cấp mã kết nối');
      expect(appliedFor(h, '024085000101')).toBe(0);
      expect(await scopeRefusals('call')).toBe(before + 1);
      await h.ctx.audit.flush();
      const refused = await searchAudit(h.ctx.store, h.ctx.config, { code: 'DON_VI_GUI_KHONG_KHOP', key: a.keyId });
      expect(refused.items[0]).toMatchObject({ kind: 'refusal', front: 'vendor-a-asmx', operation: 'DongBoHoSo', unitCode: '000.00.00.H03' });
    });

    it('a record of another province is refused on its own in a batch; own unit and own sub-unit records are synchronised and signed by the own unit', async () => {
      const before = await scopeRefusals('record');
      const h12Before = appliedUnder(h, '000.05.31.H12');
      const body = envelopeA(
        a.connectionKey,
        '000.00.00.H03',
        danhSach([
          ['024085000201', '000.05.31.H03'], // own department (pre-2025 code)
          ['024085000202', '000.05.31.H12'], // another province's department
          ['024085000203', '000.00.00.H03'], // own unit (pre-2025 code)
        ]),
      );
      const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: actionA('DongBoDanhSachHoSo'), body });
      expect(res.status).toBe(200);
      const answers = [...res.text.matchAll(/<KetQuaDongBo>([\s\S]*?)<\/KetQuaDongBo>/g)].map((m) => m[1]);
      expect(answers).toHaveLength(3);
      expect(answers[0]).toContain('<MaKetQua>0</MaKetQua>');
      expect(answers[2]).toContain('<MaKetQua>0</MaKetQua>');
      expect(answers[1]).toContain('<MaKetQua>2</MaKetQua>');
      expect(answers[1]).toContain('DON_VI_NGOAI_PHAM_VI');
      expect(answers[1]).toMatch(/<Loi><Truong>MaDonVi<\/Truong><MoTa>[^<]*000\.05\.31\.H12[^<]*ngoài phạm vi[^<]*<\/MoTa><\/Loi>/);

      expect(appliedFor(h, '024085000202')).toBe(0);
      expect(appliedUnder(h, '000.05.31.H12')).toBe(h12Before);
      for (const id of ['024085000201', '024085000203']) {
        const record = await stored(id);
        expect(record.nguon.maDonViGui).toBe('000.00.00.H06');
        expect(signerUnit(record)).toBe('000.00.00.H06');
      }
      expect((await stored('024085000201')).donVi.maDinhDanh).toBe('000.05.31.H06');
      expect(await scopeRefusals('record')).toBe(before + 1);

      await h.ctx.audit.flush();
      const refusedId = /<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(answers[1])![1];
      const refused = await searchAudit(h.ctx.store, h.ctx.config, { code: 'DON_VI_NGOAI_PHAM_VI', front: 'vendor-a-asmx' });
      expect(refused.items.length).toBe(1);
      expect(refused.items[0]).toMatchObject({ kind: 'refusal', keyId: a.keyId, unitCode: '000.00.00.H03', operation: 'DongBoDanhSachHoSo', trackingIds: [refusedId], personalIds: ['********0202'] });
    });

    it('TraCuuTrangThai answers another unit’s tracking id exactly as an unknown id, and its own ids as before', async () => {
      const ask = (id: string) => a.request(`${h.url}/QLCBService.asmx`, { headers: actionA('TraCuuTrangThai'), body: envelopeA(a.connectionKey, undefined, traCuu(id)) });
      const other = await ask(otherTrackingId);
      const unknown = await ask(UNKNOWN_ID);
      expect(other.status).toBe(unknown.status);
      expect(normalise(other.text, otherTrackingId)).toBe(normalise(unknown.text, UNKNOWN_ID));
      expect(other.text).toContain('<MaKetQua>9</MaKetQua>');

      const own = await a.request(`${h.url}/QLCBService.asmx`, { headers: actionA('DongBoHoSo'), body: envelopeA(a.connectionKey, undefined, dongBoHoSo('024085000301', '000.05.31.H03')) });
      expect(own.text).toContain('<MaKetQua>0</MaKetQua>');
      const ownId = /<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(own.text)![1];
      expect((await ask(ownId)).text).toContain('<MaKetQua>0</MaKetQua>');
    });


    it('CapNhatDonVi: a unit under another province, or taken from it, is refused; a new unit under the own unit is accepted', async () => {
      const unit = (code: string, parent: string) =>
        `<CapNhatDonVi xmlns="http://qlcb.vendor-a.vn/"><donVi><MaDonVi>${code}</MaDonVi><TenDonVi>Phòng mới</TenDonVi><MaDonViCha>${parent}</MaDonViCha><Cap>2</Cap><NgayHieuLuc>01/07/2025</NgayHieuLuc></donVi></CapNhatDonVi>`;
      const send = (code: string, parent: string) => a.request(`${h.url}/QLCBService.asmx`, { headers: actionA('CapNhatDonVi'), body: envelopeA(a.connectionKey, undefined, unit(code, parent)) });
      const created = h.sim.stats().units.created;
      for (const [code, parent] of [
        ['000.09.31.H12', '000.00.00.H12'], // a new unit in another province
        ['000.05.31.H12', '000.00.00.H03'], // another province's unit moved under the own unit
      ]) {
        const res = await send(code, parent);
        expect(res.text).toContain('<MaKetQua>2</MaKetQua>');
        expect(res.text).toContain('DON_VI_NGOAI_PHAM_VI');
      }
      expect(h.sim.stats().units.created).toBe(created);
      const own = await send('000.09.31.H06', '000.00.00.H03');
      expect(own.text).toContain('<MaKetQua>0</MaKetQua>');
      expect(h.sim.stats().units.created).toBe(created + 1);
    });
  });

  describe('vendor B (SOAP 1.2, WS-Security)', () => {
    const payload = (first: string, firstUnit: string, second: string) =>
      sample('vendors/vendor-b-jaxws/samples/records.payload.xml')
        .replace('<nationalId>001190004567</nationalId>', `<nationalId>${first}</nationalId>`)
        .replace('<orgUnit>000.05.31.H03</orgUnit>', `<orgUnit>${firstUnit}</orgUnit>`)
        .replace('<nationalId>014088009876</nationalId>', `<nationalId>${second}</nationalId>`);

    it('a record of another province is refused on its own; the own-unit record is synchronised; the trail shows the refusal', async () => {
      const agent = new https.Agent({ cert: b.cert.certPem, key: b.cert.keyPem, ca: h.ca });
      const o = { wsdlUrl: `${h.url}/hrm/sync/v2?wsdl`, httpsAgent: agent };
      const client = await vendorBClient({ ...o, key: b.connectionKey, softwareId: 'HRM-B' });
      const [result] = await client.submitRecordsAsync({ batchId: 'B-SCOPE', orgCode: '000.00.00.H03', payload: payload('001190000401', '000.05.31.H12', '014088000402') }, callOptions(o));
      agent.destroy();
      expect(result.accepted).toBe(1);
      expect(result.rejected).toBe(1);
      const [foreign, own] = result.result;
      expect(foreign).toMatchObject({ recordId: 'E-77001', status: 'INVALID' });
      const errors = [foreign.error].flat();
      expect(errors.find((e: any) => e.field.endsWith('employment/orgUnit')).message).toContain('DON_VI_NGOAI_PHAM_VI');
      expect(own).toMatchObject({ recordId: 'E-77002', status: 'SYNCED' });
      expect(appliedFor(h, '001190000401')).toBe(0);
      expect(appliedFor(h, '014088000402')).toBe(1);
      await h.ctx.audit.flush();
      const refused = await searchAudit(h.ctx.store, h.ctx.config, { code: 'DON_VI_NGOAI_PHAM_VI', front: 'vendor-b-jaxws' });
      expect(refused.items[0]).toMatchObject({ kind: 'refusal', keyId: b.keyId, trackingIds: [foreign.trackingId] });
    });

    it('an orgCode of another province refuses the call with a SOAP 1.2 Sender fault', async () => {
      const esc = payload('001190000501', '000.05.31.H12', '014088000502').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const res = await b.request(`${h.url}/hrm/sync/v2`, {
        headers: SOAP12,
        body: envelopeB(b, `<v2:submitRecords><batchId>B-X</batchId><orgCode>000.00.00.H12</orgCode><payload>${esc}</payload></v2:submitRecords>`),
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('soap:Sender');
      expect(res.text).toMatch(/<code>DON_VI_GUI_KHONG_KHOP<\/code>/);
      expect(appliedFor(h, '001190000501')).toBe(0);
      expect(appliedFor(h, '014088000502')).toBe(0);
    });

    it('getStatus answers another unit’s tracking id exactly as an unknown id', async () => {
      const ask = (id: string) => b.request(`${h.url}/hrm/sync/v2`, { headers: SOAP12, body: envelopeB(b, `<v2:getStatus><trackingId>${id}</trackingId></v2:getStatus>`) });
      const other = await ask(otherTrackingId);
      const unknown = await ask(UNKNOWN_ID);
      expect(other.status).toBe(200);
      expect(normalise(other.text, otherTrackingId)).toBe(normalise(unknown.text, UNKNOWN_ID));
      expect(other.text).toContain('<status>ERROR</status>');
    });
  });

  describe('JSON', () => {
    it('X-Ma-Don-Vi of another province is refused (403 problem); the record is not sent', async () => {
      const res = await j.request(`${h.url}/api/v1/profiles`, { headers: json(j, { 'x-ma-don-vi': '000.00.00.H12' }), body: JSON.stringify(jsonRecord('024085000601', '000.05.31.H12')) });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'DON_VI_GUI_KHONG_KHOP', status: 403 });
      expect(appliedFor(h, '024085000601')).toBe(0);
    });

    it('X-Ma-Don-Vi may be a pre-2025 code of the key’s own unit', async () => {
      const res = await j.request(`${h.url}/api/v1/profiles`, { headers: json(j, { 'x-ma-don-vi': '000.00.00.H03' }), body: JSON.stringify(jsonRecord('024085000602', '000.05.31.H06')) });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ ketQua: 'SYNCED' });
    });

    it('a batch: the other province’s record refused per record (DON_VI_NGOAI_PHAM_VI), own and sub-unit records synchronised', async () => {
      const body = JSON.stringify({ hoSo: [jsonRecord('024085000701', '000.05.31.H06'), jsonRecord('024085000702', '000.00.00.H12'), jsonRecord('024085000703', '000.00.00.H06')] });
      const res = await j.request(`${h.url}/api/v1/profiles:batch`, { headers: json(j), body });
      expect(res.status).toBe(200);
      const out = res.json();
      expect(out).toMatchObject({ tongSo: 3, daDongBo: 2, khongHopLe: 1 });
      expect(out.ketQua.map((r: any) => r.ketQua)).toEqual(['SYNCED', 'INVALID', 'SYNCED']);
      expect(out.ketQua[1].loi).toEqual([expect.objectContaining({ truong: '/donVi/maDinhDanh', ma: 'DON_VI_NGOAI_PHAM_VI' })]);
      expect(out.ketQua[1].thongBao).toContain('DON_VI_NGOAI_PHAM_VI');
      expect(appliedFor(h, '024085000702')).toBe(0);
      expect(signerUnit(await stored('024085000701'))).toBe('000.00.00.H06');
      await h.ctx.audit.flush();
      const refused = await searchAudit(h.ctx.store, h.ctx.config, { code: 'DON_VI_NGOAI_PHAM_VI', front: 'json', key: j.keyId });
      expect(refused.items[0]).toMatchObject({ kind: 'refusal', trackingIds: [out.ketQua[1].maTheoDoi], personalIds: ['********0702'] });
    });

    it('a department’s key may not send for its parent province (the subtree goes down, not up)', async () => {
      const res = await jSub.request(`${h.url}/api/v1/profiles`, { headers: json(jSub), body: JSON.stringify(jsonRecord('024085000801', '000.00.00.H06')) });
      expect(res.status).toBe(422);
      expect(res.json().loi[0]).toMatchObject({ truong: '/donVi/maDinhDanh', ma: 'DON_VI_NGOAI_PHAM_VI' });
      expect(appliedFor(h, '024085000801')).toBe(0);
    });

    it('GET /api/v1/tracking/{id} of another unit answers exactly as an unknown id; own ids answer', async () => {
      const other = await j.request(`${h.url}/api/v1/tracking/${otherTrackingId}`, { headers: { 'x-connection-key': j.connectionKey } });
      const unknown = await j.request(`${h.url}/api/v1/tracking/${UNKNOWN_ID}`, { headers: { 'x-connection-key': j.connectionKey } });
      expect(other.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(normalise(other.text, otherTrackingId)).toBe(normalise(unknown.text, UNKNOWN_ID));
      const mine = await j12.request(`${h.url}/api/v1/tracking/${otherTrackingId}`, { headers: { 'x-connection-key': j12.connectionKey } });
      expect(mine.status).toBe(200);
      expect(mine.json()).toMatchObject({ maTheoDoi: otherTrackingId, ketQua: 'SYNCED' });
    });
  });
});

describe('without a unit tree (scope by the province part of the code)', () => {
  let h: Harness;
  let j: LegacyClient;

  beforeAll(async () => {
    h = await startHarness({ sampleUnits: false });
    await h.signingCertFor('000.00.00.H06');
    await h.signingCertFor('000.00.00.H12');
    j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
  }, 120_000);

  it('a record of the own province is synchronised with a warning saying the scope was checked by province only', async () => {
    const res = await j.request(`${h.url}/api/v1/profiles`, { headers: json(j), body: JSON.stringify(jsonRecord('024085000901', '000.05.31.H06')) });
    expect(res.status).toBe(200);
    expect(res.json().ketQua).toBe('SYNCED');
    expect(res.json().canhBao).toEqual(expect.arrayContaining([expect.objectContaining({ truong: '/donVi/maDinhDanh', ma: 'PHAM_VI_THEO_MA_TINH' })]));
  });

  it('a record of another province is refused per record and not sent', async () => {
    const res = await j.request(`${h.url}/api/v1/profiles`, { headers: json(j), body: JSON.stringify(jsonRecord('024085000902', '000.05.31.H12')) });
    expect(res.status).toBe(422);
    expect(res.json().loi[0]).toMatchObject({ truong: '/donVi/maDinhDanh', ma: 'DON_VI_NGOAI_PHAM_VI' });
    expect(appliedFor(h, '024085000902')).toBe(0);
    expect(appliedUnder(h, '000.05.31.H12')).toBe(0);
  });
});
