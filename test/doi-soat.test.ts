/**
 * The centre's daily matching against the National Population Database, end to end: a real
 * gateway node and the real simulator over mutual TLS. Records go in through vendor A, the
 * simulator's register is set through its control API, a matching run publishes results, and
 * the gateway fetches them (never twice, across central outages and a restart of the fetching
 * process), tells vendor A's generated SOAP client and the JSON tracking path in their own field
 * names, writes the unit's Excel workbook, links the corrected record to the mismatch and lets
 * the next result close it.
 */
import https from 'node:https';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TREE, sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { simClient } from './central-sim.helpers.js';
import { centralClientIdentity } from '../certs/material.js';
import { cleanup, tempDir } from './helpers/env.js';
import { ndxp } from './helpers/cli.js';
import { callOptions, vendorAClient } from './vendor-soap-clients.js';
import { limits } from './vendor-helpers.js';
import { fetchResults, listMismatches } from '../gateway/doi-soat/service.js';
import { VENDOR_B_FIELDS, vendorFieldName } from '../gateway/doi-soat/fields.js';
import { registry } from '../core/metrics.js';
import { parseXmlString } from '../adapters/xml/parse.js';
import { children } from '../adapters/xml/tree.js';
import { mapEmployee } from '../adapters/vendor-b-jaxws/employee.js';
import { CONTRACTS } from './helpers/env.js';

let h: Harness;
let a: LegacyClient;
let j: LegacyClient;
let agent: https.Agent;

const ID = '024085001234';
const SOAP11 = { 'content-type': 'text/xml; charset=utf-8' };
const action = (op: string) => ({ ...SOAP11, soapaction: `"http://qlcb.vendor-a.vn/${op}"` });

/** Vendor A's sample record, with replacements; answers the tracking id. */
async function sendA(replace: [string, string][] = []): Promise<string> {
  let xml = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', a.connectionKey);
  for (const [from, to] of replace) xml = xml.replace(from, to);
  const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body: xml });
  expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
  return /<MaTheoDoi>(TD[0-9A-Z]+)<\/MaTheoDoi>/.exec(res.text)![1];
}

async function statusA(trackingId: string) {
  const o = { wsdlUrl: `${h.url}/QLCBService.asmx?WSDL`, httpsAgent: agent };
  const client = await vendorAClient({ ...o, key: a.connectionKey, unitCode: a.unitCode });
  const [result] = await client.TraCuuTrangThaiAsync({ maTheoDoi: trackingId }, callOptions(o));
  const r = result.TraCuuTrangThaiResult;
  const loi = r.DanhSachLoi?.Loi;
  return { code: r.MaKetQua as number, issues: (Array.isArray(loi) ? loi : loi ? [loi] : []) as { Truong: string; MoTa: string }[] };
}

/** A config file for the CLI pointing at this gateway's store and the simulator. */
function cliConfig(): string {
  const c = h.ctx.config;
  const file = path.join(tempDir(), 'ndxp.json');
  writeFileSync(file, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, redisUrl: c.redisUrl, centralUrl: h.sim.url, centralToken: c.centralToken, doiSoat: { pageSize: 2 } }));
  return file;
}

beforeAll(async () => {
  h = await startHarness({ config: { doiSoat: { fetchIntervalMs: 0, pageSize: 2 } } });
  await h.signingCertFor('000.00.00.H06');
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
  j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: a.unitCode });
  agent = new https.Agent({ cert: a.cert.certPem, key: a.cert.keyPem, ca: h.ca });
  // The centre knows the current unit tree (parents first), as it does in production.
  const api = simClient(h.sim.url, await centralClientIdentity(h.ctx));
  for (const u of SAMPLE_TREE) {
    const { maCu: _old, ...unit } = u as Record<string, unknown>;
    expect((await api.call('PUT', `/api/v1/units/${u.maDinhDanh}`, { body: unit })).status).toBe(201);
  }
  await api.close();
}, 60_000);

afterAll(async () => {
  agent?.destroy();
  await cleanup();
});

describe('matching results reach every party', () => {
  let t1: string;
  let unit: string;

  it('stores each result once with the tracking id and sending software of the matched version', async () => {
    t1 = await sendA();
    // The register disagrees on the name (a confused tone mark) and the birth date (day and month swapped).
    const entry = h.sim.population(ID);
    h.sim.setPopulation({ congDan: [{ ...entry.congDan, hoVaTen: 'Nguyễn Văn Được', ngaySinh: '1985-12-03' }] });
    expect(await h.sim.runMatching({ ngay: '2025-09-11' })).toMatchObject({ khongKhop: 1 });

    const report = await fetchResults(h.ctx);
    expect(report).toMatchObject({ fetched: 1, opened: 2, closed: 0 });
    const rows = await h.ctx.store.db.selectFrom('doi_soat_results').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ so_dinh_danh: ID, ket_qua: 'KHONG_KHOP', tracking_id: t1, software_id: 'QLCB-A', front: 'vendor-a-asmx', ngay_doi_soat: '2025-09-11' });
    unit = rows[0].ma_don_vi;
    // Never fetched twice: nothing new, nothing stored again.
    expect((await fetchResults(h.ctx)).fetched).toBe(0);
    expect(await h.ctx.store.db.selectFrom('doi_soat_results').selectAll().execute()).toHaveLength(1);
  });

  it("vendor A's generated SOAP client reads each mismatch through TraCuuTrangThai in its own field names; the result code stays", async () => {
    const { code, issues } = await statusA(t1);
    expect(code).toBe(0);
    const name = issues.find((i) => i.Truong === 'HoTen');
    const dob = issues.find((i) => i.Truong === 'NgaySinh');
    expect(name?.MoTa).toMatch(/^Cảnh báo: Họ và tên \(HoTen\) khác CSDL quốc gia về dân cư \(đối soát ngày 11\/09\/2025\): hồ sơ ghi «Nguyễn Văn Đức», CSDL dân cư ghi «Nguyễn Văn Được»/);
    expect(dob?.MoTa).toContain('hồ sơ ghi «12/03/1985», CSDL dân cư ghi «03/12/1985»');
  });

  it('the JSON tracking path carries the same warnings under the national field names', async () => {
    const res = await j.request(`${h.url}/api/v1/tracking/${t1}`, { headers: { 'x-connection-key': j.connectionKey } });
    expect(res.status).toBe(200);
    const body = res.json() as { ketQua: string; canhBao: { field: string; code: string; message: string }[] };
    expect(body.ketQua).toBe('SYNCED');
    expect(body.canhBao.map((w) => [w.field, w.code]).sort()).toEqual([
      ['hoVaTen', 'CHENH_LECH_DAN_CU'],
      ['ngaySinh', 'CHENH_LECH_DAN_CU'],
    ]);
  });

  it("vendor B's field names are the ones its own mapping registers", () => {
    const xml = readFileSync(path.join(CONTRACTS, 'vendors/vendor-b-jaxws/samples/records.payload.xml'), 'utf8');
    const employee = children(parseXmlString(xml, limits()), 'employee')[0];
    const parsed = mapEmployee(employee, 0, (s) => s);
    for (const [pointer, name] of Object.entries(VENDOR_B_FIELDS)) expect(parsed.fields[pointer]).toMatch(new RegExp(`/${name.replace(/[/@]/g, '\\$&')}$`));
    expect(vendorFieldName('vendor-b-jaxws', '/hoVaTen')).toBe('personal/fullName');
    expect(vendorFieldName('vendor-a-asmx', '/queQuan/diaChi')).toBe('QueQuan');
  });

  it('HR staff get an Excel workbook of the records to correct; admins get list, summary and the metric', async () => {
    const out = path.join(tempDir(), 'doi-soat.xlsx');
    const run = await ndxp(['doi-soat', 'report', '--unit', unit, '--out', out, '--json', '--config', cliConfig()]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: 1, fields: 2 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, 'STT', 'Số định danh cá nhân', 'Họ và tên', 'Mã đơn vị', 'Trường cần sửa', 'Giá trị trên hồ sơ', 'Giá trị trong CSDL dân cư', 'Ngày đối soát', 'Mã theo dõi', 'Phần mềm gửi', 'Tình trạng']);
    const row = ws.getRow(2);
    expect(row.getCell(2).value).toBe(ID);
    expect(row.getCell(3).value).toBe('Nguyễn Văn Đức');
    expect(row.getCell(5).value).toBe('Họ và tên\nNgày sinh');
    expect(row.getCell(6).value).toBe('Nguyễn Văn Đức\n12/03/1985');
    expect(row.getCell(7).value).toBe('Nguyễn Văn Được\n03/12/1985');
    expect((row.getCell(8).value as Date).toISOString()).toBe('2025-09-11T00:00:00.000Z');
    expect(row.getCell(8).numFmt).toBe('dd/mm/yyyy');
    expect(row.getCell(9).value).toBe(t1);
    expect(ws.rowCount).toBe(2);

    const list = JSON.parse((await ndxp(['doi-soat', 'list', '--unit', unit, '--json', '--config', cliConfig()])).stdout);
    expect(list.mismatches.map((m: { truong: string }) => m.truong).sort()).toEqual(['/hoVaTen', '/ngaySinh']);
    expect(list.mismatches[0].soDinhDanh).toBe('024******234');
    const summary = JSON.parse((await ndxp(['doi-soat', 'summary', '--json', '--config', cliConfig()])).stdout);
    expect(summary).toMatchObject({ results: { total: 1, byKetQua: { KHONG_KHOP: 1 } }, open: { total: 2, byUnit: { [unit]: 2 } }, closed: 0 });
    expect(await registry.getSingleMetricAsString('ndxp_doi_soat_mismatches_open')).toContain(`ndxp_doi_soat_mismatches_open{unit="${unit}"} 2`);

    const admin = await h.adminClient('auditor');
    const res = await admin.request(`${h.adminUrl}/api/v1/admin/doi-soat/summary`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ open: { total: 2 } });
  });

  it('a central outage stops a fetch where it is; the next fetch (another process) resumes and stores every result exactly once', async () => {
    // More people, so a day's results take several pages (2 per page).
    for (const n of [1, 2, 3, 4, 5]) await sendA([[`<SoCMND>${ID}</SoCMND>`, `<SoCMND>02408500200${n}</SoCMND>`]]);
    await h.sim.setFaults({ down: true });
    const published = await h.sim.runMatching({ ngay: '2025-09-12' });
    expect(published.doiSoat).toBe(6);
    const cut = await fetchResults(h.ctx);
    expect(cut.fetched).toBe(0);
    expect(cut.units.find((u) => u.error)?.error?.code).toMatch(/ECONNREFUSED|ECONNRESET|LOI_MANG/);
    const cursor = await h.ctx.store.db.selectFrom('doi_soat_cursors').selectAll().executeTakeFirstOrThrow();
    expect(cursor.last_error).toContain('Không kết nối được CSDL quốc gia');
    await h.sim.resetFaults();

    // Failures on random pages: each fetch (a separate CLI run) keeps what it got and the next goes on.
    await h.sim.setFaults({ randomFailureRate: { rate: 0.5, kinds: ['503', 'reset'], paths: ['/api/v1/doi-soat'] }, seed: 7 });
    let failures = 0;
    for (let i = 0; i < 40; i++) {
      const run = await ndxp(['doi-soat', 'fetch', '--json', '--config', cliConfig()]);
      if (run.code === 0) break;
      failures++;
    }
    await h.sim.resetFaults();
    expect(failures).toBeGreaterThan(0);
    const rows = await h.ctx.store.db.selectFrom('doi_soat_results').select(['ma_ket_qua', 'ngay_doi_soat']).execute();
    expect(rows.filter((r) => r.ngay_doi_soat === '2025-09-12')).toHaveLength(6);
    expect(new Set(rows.map((r) => r.ma_ket_qua)).size).toBe(rows.length);
    expect((await fetchResults(h.ctx)).fetched).toBe(0);
  });

  it('a corrected record sent again is linked to the mismatch; the next result closes it and the history stays', async () => {
    const t2 = await sendA([
      ['<HoTen>Nguyễn Văn Đức</HoTen>', '<HoTen>Nguyễn Văn Được</HoTen>'],
      ['<NgaySinh>12/03/1985</NgaySinh>', '<NgaySinh>03/12/1985</NgaySinh>'],
      ['<NgayCapNhat>20/08/2025 10:15:00</NgayCapNhat>', '<NgayCapNhat>15/09/2025 08:00:00</NgayCapNhat>'],
    ]);
    const open = await listMismatches(h.ctx, { soDinhDanh: ID });
    expect(open.map((m) => m.answeredBy)).toEqual([t2, t2]);
    // The correction's own status says it awaits the next matching; the old version still warns.
    const now = await statusA(t2);
    expect(now.code).toBe(0);
    expect(now.issues.map((i) => i.Truong).sort()).toEqual(['HoTen', 'NgaySinh']);
    expect(now.issues[0].MoTa).toMatch(/^Cảnh báo: Bản gửi này sửa chênh lệch/);

    await h.sim.runMatching({ ngay: '2025-09-16' });
    const report = await fetchResults(h.ctx);
    expect(report.closed).toBe(2);
    expect(await listMismatches(h.ctx, { soDinhDanh: ID })).toEqual([]);
    const history = await listMismatches(h.ctx, { soDinhDanh: ID, state: 'all' });
    expect(history).toHaveLength(2);
    for (const m of history) expect(m).toMatchObject({ state: 'closed', answeredBy: t2, openedDay: '2025-09-11', closedDay: '2025-09-16' });
    expect((await statusA(t2)).issues).toEqual([]);
    expect((await statusA(t1)).issues).toEqual([]);
  });
});
