/**
 * The 2025 merger, end to end (issue 13): three old provinces, each with its own legacy software
 * (vendor A on TCVN3 .VnTime data, vendor B, vendor C on Windows-1258), send overlapping people
 * under their old unit codes through one real gateway to the real central simulator, over mutual
 * TLS. On 1 July 2025 the three provinces become one: the operator loads the re-mapping table and
 * the current unit tree (`ndxp units remap load`, `ndxp units load`), the Ministry's list cancels
 * the three old keys and activates the key of the software the new province selected (`ndxp keys
 * import`), and that software re-sends everyone under the new codes. Reconciliation (`ndxp
 * reconcile --json`) and the simulator's own inventory then show every person once at the centre,
 * under the new unit, at the newest version; and a mismatch from the daily matching (run through
 * the simulator's control API, fetched with `ndxp doi-soat fetch`) reaches the new software through
 * its own status operation. Unit codes are made up (H41, H42, H43 → H40), like the contract's sample.
 */
import https from 'node:https';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sample, startHarness, tlsClient, type Harness, type LegacyClient, type TlsClient } from './helpers/gateway.js';
import { CONTRACTS, cleanup, tempDir } from './helpers/env.js';
import { ndxp } from './helpers/cli.js';
import { simClient, type SimClient } from './central-sim.helpers.js';
import { callOptions, faultOf, vendorBClient } from './vendor-soap-clients.js';
import { simControl } from '../central-sim/control.js';
import { centralClientIdentity } from '../certs/material.js';
import { issueCertificate } from '../certs/issue.js';
import { TCVN3_TABLE } from '../adapters/text/tcvn3.js';

const NEW = '000.00.00.H40';
const NEW_DEPT = '000.05.31.H40';
const OLD = { a: '000.00.00.H41', b: '000.00.00.H42', c: '000.00.00.H43' };
const OLD_DEPT = { a: '000.05.31.H41', b: '000.05.31.H42' };

/** Before 1 July 2025: the three provinces as they were. */
const OLD_TREE = [
  { maDinhDanh: OLD.a, ten: 'UBND tỉnh A', cap: 1, hieuLucTu: '2008-08-01' },
  { maDinhDanh: OLD_DEPT.a, ten: 'Sở Nội vụ tỉnh A', maDonViCha: OLD.a, cap: 2, hieuLucTu: '2008-08-01' },
  { maDinhDanh: OLD.b, ten: 'UBND tỉnh B', cap: 1, hieuLucTu: '2008-08-01' },
  { maDinhDanh: OLD_DEPT.b, ten: 'Sở Nội vụ tỉnh B', maDonViCha: OLD.b, cap: 2, hieuLucTu: '2008-08-01' },
  { maDinhDanh: OLD.c, ten: 'UBND tỉnh C', cap: 1, hieuLucTu: '2008-08-01' },
];
/** From 1 July 2025: one province. */
const NEW_TREE = [
  { maDinhDanh: NEW, ten: 'UBND tỉnh (sau hợp nhất)', cap: 1, hieuLucTu: '2025-07-01', maCu: [OLD.a, OLD.b, OLD.c] },
  { maDinhDanh: NEW_DEPT, ten: 'Sở Nội vụ', maDonViCha: NEW, cap: 2, hieuLucTu: '2025-07-01', maCu: [OLD_DEPT.a, OLD_DEPT.b] },
];
const REMAP = {
  title: 'Ba tỉnh hợp nhất thành một (mã minh họa)',
  rules: [
    ...Object.values(OLD).map((maCu) => ({ maCu, maMoi: NEW, tuNgay: '2025-07-01' })),
    ...Object.values(OLD).map((code) => ({ maCap1Cu: code.slice(-3), maCap1Moi: 'H40', tuNgay: '2025-07-01', ghiChu: 'mọi đơn vị trực thuộc' })),
  ],
};

const ID = { duc: '024085001234', huong: '001190004567', panh: '014088009876', thuy: '038179000321' };
/** The version the new software stamps on everything it re-sends after the switch. */
const RESENT_AT = '2025-09-01T08:00:00+07:00';

/** Unicode → TCVN3 carried as Latin-1 characters, as vendor A's .VnTime installations send it (the inverse of the gateway's table). */
const TO_TCVN3 = new Map([...TCVN3_TABLE].map(([byte, ch]) => [ch, String.fromCharCode(byte)]));
const tcvn3 = (s: string) => [...s].map((ch) => TO_TCVN3.get(ch) ?? ch).join('');

function vendorA(key: string, replace: [string, string][]): string {
  let xml = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', key);
  for (const [from, to] of replace) xml = xml.replace(from, to);
  return xml;
}

/** Windows-1258 spelling: a toned letter the code page lacks is its base letter plus a combining tone mark. */
const TONES = /[\u0300\u0301\u0303\u0309\u0323]/;
const inCp1258 = (ch: string) => iconv.decode(iconv.encode(ch, 'windows1258'), 'windows1258') === ch;
const cp1258 = (s: string) =>
  [...s.normalize('NFC')]
    .map((ch) => {
      if (inCp1258(ch)) return ch;
      const d = ch.normalize('NFD');
      const tone = TONES.exec(d)?.[0] ?? '';
      return d.replace(tone, '').normalize('NFC') + tone;
    })
    .join('');

/** Vendor C's Windows-1258 sample with some elements' text replaced, back in Windows-1258 bytes (as VB6 sends them). */
function vendorC(fields: Record<string, string>): Buffer {
  let xml = iconv.decode(readFileSync(path.join(CONTRACTS, 'vendors/vendor-c-xmlpost/samples/hoso.request.xml')), 'windows1258');
  for (const [tag, text] of Object.entries(fields)) xml = xml.replace(new RegExp(`<${tag}>[^<]*</${tag}>`), `<${tag}>${cp1258(text)}</${tag}>`);
  return iconv.encode(xml, 'windows1258');
}

interface Employee {
  id: string;
  name: string;
  dob: string;
  sex: 'M' | 'F';
  nid: string;
  ethnicity: string;
  unit: string;
  rank: string;
  step: number;
  coefficient: string;
  modified: string;
}
const employee = (e: Employee) => `
  <employee id="${e.id}">
    <personal><fullName>${e.name}</fullName><dob>${e.dob}</dob><sex>${e.sex}</sex><nationalId>${e.nid}</nationalId><ethnicity code="${e.ethnicity}"/><religion code="00"/></personal>
    <employment><orgUnit>${e.unit}</orgUnit><rank code="${e.rank}"/><salary step="${e.step}" coefficient="${e.coefficient}" since="2024-01-01"/></employment>
    <modified>${e.modified}</modified>
  </employee>`;
const payload = (employees: Employee[]) => `<?xml version="1.0" encoding="UTF-8"?><records xmlns="http://ws.vendor-b.vn/hrm/records/v2">${employees.map(employee).join('')}\n</records>`;

const DUC = { name: 'Nguyễn Văn Đức', dob: '1985-03-12', sex: 'M', nid: ID.duc, ethnicity: '01', rank: '01.003', step: 3, coefficient: '3.00' } as const;
const HUONG = { name: 'Trần Thị Hương', dob: '1990-07-05', sex: 'F', nid: ID.huong, ethnicity: '01', rank: '01.002', step: 2, coefficient: '4.74' } as const;
const PANH = { name: 'Lò Văn Pánh', dob: '1988', sex: 'M', nid: ID.panh, ethnicity: '03', rank: '01.003', step: 4, coefficient: '3.33' } as const;
const THUY = { name: 'Phạm Thị Thủy', dob: '1979', sex: 'F', nid: ID.thuy, ethnicity: '06', rank: '02.007', step: 5, coefficient: '3.66' } as const;

/** Province A's installation names its own (old) unit in the header and the record. */
const OLD_A_CODES: [string, string][] = [
  ['<MaDonVi>000.00.00.H03</MaDonVi>', `<MaDonVi>${OLD.a}</MaDonVi>`],
  ['<MaDonVi>000.05.31.H03</MaDonVi>', `<MaDonVi>${OLD_DEPT.a}</MaDonVi>`],
];

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8' };
const action = (op: string) => ({ ...SOAP11, soapaction: `"http://qlcb.vendor-a.vn/${op}"` });

let h: Harness;
let oldA: LegacyClient; // province A: vendor A, TCVN3 data
let oldB: LegacyClient; // province B: vendor B
let oldC: LegacyClient; // province C: vendor C, Windows-1258
let centre: SimClient;
let config: string;
const agents: https.Agent[] = [];

/** Vendor B's generated SOAP 1.2 client over mutual TLS, for one installation. */
async function vendorB(client: TlsClient, key: string, softwareId: string) {
  const agent = new https.Agent({ cert: client.cert.certPem, key: client.cert.keyPem, ca: h.ca });
  agents.push(agent);
  const o = { wsdlUrl: `${h.url}/hrm/sync/v2?wsdl`, httpsAgent: agent };
  return { soap: await vendorBClient({ ...o, key, softwareId }), opts: callOptions(o) };
}

const cliFile = (name: string, content: string) => {
  const file = path.join(tempDir(), name);
  writeFileSync(file, content);
  return file;
};

async function cli(args: string[]) {
  const run = await ndxp([...args, '--json', '--config', config]);
  expect(run.code, `${args.join(' ')}: ${run.stderr}${run.stdout}`).toBe(0);
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  h = await startHarness({ sampleUnits: false, config: { doiSoat: { fetchIntervalMs: 0 } } });
  const c = h.ctx.config;
  config = cliFile('ndxp.json', JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, redisUrl: c.redisUrl, centralUrl: h.sim.url, centralToken: c.centralToken }));
  centre = simClient(h.sim.url, await centralClientIdentity(h.ctx));
  expect(await cli(['units', 'load', cliFile('old-tree.json', JSON.stringify(OLD_TREE))])).toMatchObject({ units: OLD_TREE.length });
  for (const unit of Object.values(OLD)) await h.signingCertFor(unit);
  oldA = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A-VNTIME', unitCode: OLD.a, encoding: 'tcvn3' });
  oldB = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-B', unitCode: OLD.b });
  oldC = await h.legacyClient({ vendor: 'vendor-c-xmlpost', softwareId: 'VB6-C', unitCode: OLD.c });
}, 60_000);

afterAll(async () => {
  agents.forEach((a) => a.destroy());
  await cleanup();
});

/** What the centre holds for a person (its own API, over mutual TLS). */
async function atCentre(id: string): Promise<{ hoVaTen: string; ngaySinh: string; gioiTinh: number; donVi: { maDinhDanh: string }; ngayCapNhat: string; nguon: { maPhanMem: string } }> {
  const res = await centre.call('GET', `/api/v1/profiles/${id}`, { headers: { 'x-ma-don-vi': NEW } });
  expect(res.status).toBe(200);
  return res.json;
}

describe('the 2025 merger of three provinces', () => {
  let newSoftware: Awaited<ReturnType<typeof vendorB>>;
  const resentTracking: Record<string, string> = {};

  it('before the merger, each old province sends its people under its old codes, some people in two provinces', async () => {
    // Province A (TCVN3): Đức, and Hương before she moved to province B.
    for (const replace of [
      [] as [string, string][],
      [
        ['<HoTen>Nguyễn Văn Đức</HoTen>', '<HoTen>Trần Thị Hương</HoTen>'],
        ['<NgaySinh>12/03/1985</NgaySinh>', '<NgaySinh>05/07/1990</NgaySinh>'],
        ['<GioiTinh>Nam</GioiTinh>', '<GioiTinh>Nữ</GioiTinh>'],
        [`<SoCMND>${ID.duc}</SoCMND>`, `<SoCMND>${ID.huong}</SoCMND>`],
        ['<SoHieuCanBo>BG-001234</SoHieuCanBo>', '<SoHieuCanBo>BG-004567</SoHieuCanBo>'],
        ['<NgayCapNhat>20/08/2025 10:15:00</NgayCapNhat>', '<NgayCapNhat>15/08/2025 08:00:00</NgayCapNhat>'],
      ] as [string, string][],
    ]) {
      const xml = vendorA(oldA.connectionKey, [...OLD_A_CODES, ...replace]);
      const res = await oldA.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: tcvn3(xml) });
      expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    }
    // Province B: Đức (moved from A, newer), Hương (newer), Pánh.
    const b = await vendorB(oldB, oldB.connectionKey, oldB.softwareId);
    const [sent] = await b.soap.submitRecordsAsync(
      {
        batchId: 'B-OLD-1',
        orgCode: OLD.b,
        payload: payload([
          { ...DUC, id: 'E-1', unit: OLD_DEPT.b, modified: '2025-08-22T09:00:00+07:00' },
          { ...HUONG, id: 'E-2', unit: OLD_DEPT.b, modified: '2025-08-21T07:45:12+07:00' },
          { ...PANH, id: 'E-3', unit: OLD.b, modified: '2025-08-20T16:02:00+07:00' },
        ]),
      },
      b.opts,
    );
    expect([sent.result].flat().map((r: { status: string }) => r.status)).toEqual(['SYNCED', 'SYNCED', 'SYNCED']);
    // Province C (Windows-1258): Thủy, and Pánh (newer than B's copy).
    const panh = {
      HoTen: 'Lò Văn Pánh',
      NgaySinh: '00/00/1988',
      GioiTinh: 'Nam',
      SoCMND: ID.panh,
      SoHieuCanBo: 'TH-0077',
      DanToc: 'Thái',
      TonGiao: 'Không',
      MaNgach: '01.003',
      BacLuong: '4',
      HeSoLuong: '3,33',
      NgayCapNhat: '25/08/2025 09:00:00',
    };
    for (const fields of [{}, panh]) {
      const res = await oldC.request(`${h.url}/vendor-c/hoso`, {
        headers: { 'content-type': 'text/xml', 'x-connection-key': oldC.connectionKey, 'x-ma-don-vi': OLD.c },
        body: vendorC({ MaDonVi: OLD.c, ...fields }),
      });
      expect(res.text).toContain('<Ma>0</Ma>');
    }
    // The centre holds each person once, the newest version any province sent, under an old code.
    expect(h.sim.stats().profiles.stored).toBe(4);
    expect((await atCentre(ID.duc)).donVi.maDinhDanh).toBe(OLD_DEPT.b);
    expect((await atCentre(ID.huong)).donVi.maDinhDanh).toBe(OLD_DEPT.b);
    expect(await atCentre(ID.panh)).toMatchObject({ hoVaTen: 'Lò Văn Pánh', donVi: { maDinhDanh: OLD.c }, nguon: { maPhanMem: 'VB6-C' } });
    // The TCVN3 bytes became Unicode on the way in.
    const fromA = await h.ctx.store.db.selectFrom('outbox').select('body').where('key_id', '=', oldA.keyId).execute();
    expect(fromA.map((r) => JSON.parse(r.body!).hoVaTen).sort()).toEqual(['Nguyễn Văn Đức', 'Trần Thị Hương']);
  });

  it('on the merger the operator loads the re-mapping table and the new tree; the Ministry list cancels the old keys and activates the selected software', async () => {
    expect(await cli(['units', 'remap', 'load', cliFile('remap.json', JSON.stringify(REMAP))])).toMatchObject({ exact: 3, level1: 3, total: REMAP.rules.length });
    expect(await cli(['units', 'load', cliFile('tree.json', JSON.stringify(NEW_TREE))])).toMatchObject({ units: 2, replaced: OLD_TREE.length });
    // The centre knows the current tree too (parents first), as it does in production.
    for (const { maCu: _old, ...unit } of NEW_TREE) expect((await centre.call('PUT', `/api/v1/units/${unit.maDinhDanh}`, { body: unit })).status).toBe(201);
    await h.signingCertFor(NEW);

    // The province selected vendor B's software; the Ministry issued its key for the new unit,
    // bound to the installation's certificate.
    const cert = await issueCertificate(h.ctx, { kind: 'client', cn: 'HRM-B-TINH-MOI', unit: NEW }, 'test');
    const keyId = 'BNV-2025-H40-0001';
    const secret = randomBytes(32).toString('base64url');
    const list = [
      'keyId;status;softwareId;unitCode;vendor;secret;certSerial',
      `${oldA.keyId};cancelled;;;;;`,
      `${oldB.keyId};cancelled;;;;;`,
      `${oldC.keyId};cancelled;;;;;`,
      `${keyId};activated;HRM-B-TINH-MOI;${NEW};vendor-b-jaxws;${secret};${cert.serial}`,
    ].join('\r\n');
    const report = await cli(['keys', 'import', cliFile('bnv-2025-07.csv', list)]);
    expect(report).toMatchObject({ format: 'csv', rows: 4, created: 1, cancelled: 3, errors: [], applied: true });

    // Every node stops the old installations within one refresh interval; each hears it in its own protocol.
    const a = await eventually(async () => {
      const res = await oldA.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: tcvn3(vendorA(oldA.connectionKey, OLD_A_CODES)) });
      return res.text.includes('KHOA_KET_NOI_KHONG_HOP_LE') && res;
    }, 5000, 200);
    expect(a.status).toBe(500);
    expect(a.text).toContain('<faultcode>soap:Client</faultcode>');
    const c = await oldC.request(`${h.url}/vendor-c/hoso`, { headers: { 'content-type': 'text/xml', 'x-connection-key': oldC.connectionKey, 'x-ma-don-vi': OLD.c }, body: vendorC({ MaDonVi: OLD.c }) });
    expect(c.status).toBe(401);
    expect(c.text).toMatch(/<KetQua><Ma>401<\/Ma><ThongBao>[^<]*KHOA_KET_NOI_KHONG_HOP_LE/);
    const b = await vendorB(oldB, oldB.connectionKey, oldB.softwareId);
    const fault = await faultOf(b.soap.getStatusAsync({ trackingId: ['x'] }, b.opts));
    expect(JSON.stringify(fault.fault)).toContain('KHOA_KET_NOI_KHONG_HOP_LE');

    const installation = tlsClient(cert, h.ca);
    await eventually(async () => (await installation.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': `${keyId}.${secret}` } })).status === 200, 5000, 200);
    installation.close();
    newSoftware = await vendorB(installation, `${keyId}.${secret}`, 'HRM-B-TINH-MOI');

    // Before the new software re-sends, reconciling the new province finds its people where they
    // are: under the old codes the re-mapping rules and the tree's maCu re-home into it. Not
    // missing and not re-sent (that would carry the old codes again): the new software must send them.
    const before = await cli(['reconcile', '--unit', NEW, '--resend', '--verbose']);
    expect(before).toMatchObject({ unit: NEW, total: 4, complete: 0, missingAtCentre: 0, centreBehind: 0, unknownToGateway: 0, underOldCodes: 4, resent: 0, share: 0 });
    expect(before.lists.underOldCodes.map((e: { soDinhDanh: string; maDonVi: string; maDonViMoi: string; gateway: { state: string } }) => [e.soDinhDanh, e.maDonVi, e.maDonViMoi, e.gateway.state])).toEqual([
      [ID.huong, OLD_DEPT.b, NEW_DEPT, 'delivered'],
      [ID.panh, OLD.c, NEW, 'delivered'],
      [ID.duc, OLD_DEPT.b, NEW_DEPT, 'delivered'],
      [ID.thuy, OLD.c, NEW, 'delivered'],
    ].sort());
    const text = await ndxp(['reconcile', '--unit', NEW, '--config', config]);
    expect(text.stdout).toContain('còn mang mã đơn vị cũ (cần phần mềm hiện hành gửi lại theo mã mới): 4');
  });

  it('the new software re-sends everyone under the new codes; reconciliation finds every person once, under the new unit, at the newest version', async () => {
    const people = [
      { ...DUC, id: 'N-1', unit: NEW_DEPT, modified: RESENT_AT },
      { ...HUONG, id: 'N-2', unit: NEW_DEPT, modified: RESENT_AT },
      { ...PANH, id: 'N-3', unit: NEW, modified: RESENT_AT },
      { ...THUY, id: 'N-4', unit: NEW, modified: RESENT_AT },
    ];
    const [sent] = await newSoftware.soap.submitRecordsAsync({ batchId: 'H40-1', orgCode: NEW, payload: payload(people) }, newSoftware.opts);
    const results = [sent.result].flat() as { recordId: string; status: string; trackingId: string }[];
    expect(results.map((r) => r.status)).toEqual(['SYNCED', 'SYNCED', 'SYNCED', 'SYNCED']);
    people.forEach((p, i) => (resentTracking[p.nid] = results[i].trackingId));

    const counts = await cli(['reconcile', '--unit', NEW]);
    expect(counts).toEqual({ unit: NEW, total: 4, complete: 4, missingAtCentre: 0, centreBehind: 0, differs: 0, unknownToGateway: 0, centreAhead: 0, underOldCodes: 0, resent: 0, share: 1 });

    // The simulator's inventory of the new province: each person once, in the new tree, at the re-sent version.
    const inv = await centre.call('GET', `/api/v1/units/${NEW}/profiles`, { headers: { 'x-ma-don-vi': NEW } });
    expect(inv.status).toBe(200);
    expect(inv.json.tong).toBe(4);
    expect(inv.json.hoSo.map((l: { soDinhDanh: string }) => l.soDinhDanh)).toEqual(Object.values(ID).sort());
    for (const line of inv.json.hoSo as { maDonVi: string; phienBan: string }[]) {
      expect([NEW, NEW_DEPT]).toContain(line.maDonVi);
      expect(Date.parse(line.phienBan)).toBe(Date.parse(RESENT_AT));
    }
    // Nothing is left under an old code, and nothing was stored twice.
    for (const old of Object.values(OLD)) expect((await centre.call('GET', `/api/v1/units/${old}/profiles`, { headers: { 'x-ma-don-vi': NEW } })).status).toBe(404);
    expect(h.sim.stats().profiles.stored).toBe(4);
    expect(h.sim.stats().duplicatesApplied).toBe(0);
    expect(await atCentre(ID.duc)).toMatchObject({ donVi: { maDinhDanh: NEW_DEPT }, nguon: { maPhanMem: 'HRM-B-TINH-MOI' } });
  });

  it("the daily matching's result reaches the new software through its own status operation", async () => {
    // The population register agrees with everyone except Hương, whom it holds without diacritics.
    const register = await Promise.all(Object.values(ID).map(async (id) => {
      const r = await atCentre(id);
      return { soDinhDanh: id, hoVaTen: id === ID.huong ? 'Tran Thi Huong' : r.hoVaTen, ngaySinh: r.ngaySinh, gioiTinh: r.gioiTinh };
    }));
    const control = simControl(h.sim.controlUrl!);
    try {
      expect(await control.setPopulation({ congDan: register })).toMatchObject({ daDat: 4 });
      expect(await control.runMatching({ ngay: '2025-09-11' })).toMatchObject({ doiSoat: 4, khop: 3, khongKhop: 1, khongTimThay: 0 });
    } finally {
      await control.close();
    }

    const fetched = await cli(['doi-soat', 'fetch']);
    expect(JSON.stringify(fetched)).toContain('"fetched"');
    const stored = await h.ctx.store.db.selectFrom('doi_soat_results').selectAll().where('ket_qua', '=', 'KHONG_KHOP').execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ so_dinh_danh: ID.huong, ma_don_vi: NEW_DEPT, tracking_id: resentTracking[ID.huong], software_id: 'HRM-B-TINH-MOI' });

    const [status] = await newSoftware.soap.getStatusAsync({ trackingId: [resentTracking[ID.huong], resentTracking[ID.duc]] }, newSoftware.opts);
    const [huong, duc] = [status.result].flat() as { status: string; error?: { field: string; message: string } | { field: string; message: string }[] }[];
    expect(huong.status).toBe('SYNCED');
    const warnings = [huong.error ?? []].flat();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].field).toContain('personal/fullName');
    expect(warnings[0].message).toMatch(/^Cảnh báo: .*«Trần Thị Hương».*«Tran Thi Huong»/);
    expect(duc.status).toBe('SYNCED');
    expect(duc.error).toBeUndefined();
  });
});
