/**
 * The simulator against contract 1.1 (central-api.openapi.yaml): the inventory of what is stored
 * per unit (`GET /api/v1/units/{maDinhDanh}/profiles`) and the daily matching against the
 * National Population Database (`GET /api/v1/doi-soat`), its own population register, the
 * control API for both, persistence across a restart, and faults on the new paths. Over real
 * mutual TLS with the gateway's PKI and a real SQLite file.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedBytes } from '../adapters/national/sign.js';
import { simControl } from '../central-sim/control.js';
import { msUntilDaily, vietnamDate } from '../central-sim/matching.js';
import { startCentralSim, type CentralSim, type CentralSimOptions } from '../central-sim/server.js';
import { SIM_DB_FILE } from '../central-sim/store.js';
import { runCentralSim } from '../central-sim/cli.js';
import { UsageError } from '../core/cli-output.js';
import { quietLogger } from '../core/log.js';
import { openSqlite } from '../core/store/sqlite.js';
import { cleanup, tempDir } from './helpers/env.js';
import { profile, signProfile, simClient, simPki, type SimClient, type SimPki } from './central-sim.helpers.js';

let pki: SimPki;

beforeAll(async () => {
  pki = await simPki();
}, 60_000);

afterAll(cleanup);

const T1 = '2025-09-10T10:15:00+07:00';
const T2 = '2025-09-12T08:00:00+07:00';
const T3 = '2025-09-13T08:00:00+07:00';

// A small unit tree: ROOT ← CHILD ← GRANDCHILD, and an unrelated OTHER.
const ROOT = '000.00.00.H06';
const CHILD = '000.05.31.H06';
const GRANDCHILD = '001.05.31.H06';
const OTHER = '000.00.00.H29';

const unit = (ma: string, cha?: string) => ({ maDinhDanh: ma, ten: `Đơn vị ${ma}`, ...(cha ? { maDonViCha: cha } : {}), cap: cha ? 2 : 1, hieuLucTu: '2025-07-01', ngayCapNhat: T1 });

async function startSim(options: Partial<CentralSimOptions> = {}, dataDir = tempDir()): Promise<{ sim: CentralSim; api: SimClient }> {
  const sim = await startCentralSim({ config: pki.config, dataDir, listen: '127.0.0.1:0', log: quietLogger(), matching: { dailyAt: false }, ...options });
  return { sim, api: simClient(sim.url, pki.client) };
}

async function putTree(api: SimClient) {
  for (const [ma, cha] of [[ROOT], [CHILD, ROOT], [GRANDCHILD, CHILD], [OTHER]] as [string, string?][]) {
    expect((await api.call('PUT', `/api/v1/units/${ma}`, { body: unit(ma, cha) })).status).toBe(201);
  }
}

async function postBatch(api: SimClient, records: Record<string, unknown>[]) {
  const res = await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: records } });
  expect(res.status).toBe(200);
  for (const r of res.json.ketQua) expect(['DA_TAO', 'DA_CAP_NHAT']).toContain(r.trangThai);
}

/** Every line of an inventory, page by page. */
async function inventoryPages(api: SimClient, ma: string, limit: number) {
  const pages: { hoSo: any[]; tong: number; tiepTheo: string | null }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let cursor: string | null = null;
  do {
    const res = await api.call('GET', `/api/v1/units/${ma}/profiles?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    pages.push(res.json);
    cursor = res.json.tiepTheo;
  } while (cursor);
  return pages;
}

/** The contract's bam: SHA-256 of the record's RFC 8785 canonical JSON without chuKySo (the gateway's own JCS). */
const bamOf = (record: Record<string, unknown>) => createHash('sha256').update(signedBytes(record)).digest('hex');

describe('GET /api/v1/units/{maDinhDanh}/profiles (inventory)', () => {
  let sim: CentralSim;
  let api: SimClient;
  const records = new Map<string, Record<string, unknown>>();
  const byUnit: Record<string, string[]> = { [ROOT]: [], [CHILD]: [], [GRANDCHILD]: [], [OTHER]: [] };

  beforeAll(async () => {
    ({ sim, api } = await startSim());
    await putTree(api);
    // Written out of order, spread over the tree.
    const plan: [string, string][] = [
      ['200000000009', CHILD], ['200000000001', ROOT], ['200000000005', GRANDCHILD], ['200000000003', CHILD], ['200000000007', OTHER],
      ['200000000002', ROOT], ['200000000008', GRANDCHILD], ['200000000004', CHILD], ['200000000006', OTHER], ['200000000010', ROOT],
    ];
    const batch = plan.map(([id, ma]) => {
      const r = profile(pki.signer, id, T1, { donVi: { maDinhDanh: ma } });
      records.set(id, r);
      byUnit[ma].push(id);
      return r;
    });
    await postBatch(api, batch);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await sim?.close();
  });

  const subtree = (...units: string[]) => units.flatMap((u) => byUnit[u]).sort();

  it('lists the unit and all its descendants in soDinhDanh order, paged by cursor, with the same tong on every page', async () => {
    const pages = await inventoryPages(api, ROOT, 3);
    expect(pages.map((p) => p.hoSo.length)).toEqual([3, 3, 2]);
    for (const p of pages) expect(p.tong).toBe(8);
    expect(pages.slice(0, -1).every((p) => typeof p.tiepTheo === 'string')).toBe(true);
    expect(pages.at(-1)!.tiepTheo).toBeNull();
    const lines = pages.flatMap((p) => p.hoSo);
    expect(lines.map((l) => l.soDinhDanh)).toEqual(subtree(ROOT, CHILD, GRANDCHILD));
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(['bam', 'maDonVi', 'phienBan', 'soDinhDanh']); // not matched yet: no ketQuaDoiSoat
      expect(l.phienBan).toBe(T1);
      expect(l.maDonVi).toBe((records.get(l.soDinhDanh)!.donVi as { maDinhDanh: string }).maDinhDanh);
    }
    // A descendant's own inventory, a leaf's, and the unrelated unit's.
    const child = (await inventoryPages(api, CHILD, 1000)).flatMap((p) => p.hoSo);
    expect(child.map((l) => l.soDinhDanh)).toEqual(subtree(CHILD, GRANDCHILD));
    expect((await inventoryPages(api, GRANDCHILD, 1)).flatMap((p) => p.hoSo).map((l) => l.soDinhDanh)).toEqual(subtree(GRANDCHILD));
    const other = await api.call('GET', `/api/v1/units/${OTHER}/profiles`);
    expect(other.json).toMatchObject({ tong: 2, tiepTheo: null });
    expect(other.json.hoSo.map((l: { soDinhDanh: string }) => l.soDinhDanh)).toEqual(subtree(OTHER));
  });

  it('keeps tong and the listed set fixed while a client pages through, even as records arrive', async () => {
    const first = await api.call('GET', `/api/v1/units/${ROOT}/profiles?limit=4`);
    expect(first.json.tong).toBe(8);
    // A new record after the cursor's position, and an update of a record not yet listed.
    const late = profile(pki.signer, '200000000099', T1, { donVi: { maDinhDanh: CHILD } });
    expect((await api.call('POST', '/api/v1/profiles', { body: late })).status).toBe(201);
    const updated = profile(pki.signer, '200000000010', T2, { donVi: { maDinhDanh: ROOT } });
    expect((await api.call('POST', '/api/v1/profiles', { body: updated })).status).toBe(200);
    const second = await api.call('GET', `/api/v1/units/${ROOT}/profiles?limit=4&cursor=${encodeURIComponent(first.json.tiepTheo)}`);
    expect(second.json.tong).toBe(8);
    expect(second.json.tiepTheo).toBeNull();
    const ids = [...first.json.hoSo, ...second.json.hoSo].map((l: { soDinhDanh: string }) => l.soDinhDanh);
    expect(ids).toEqual(subtree(ROOT, CHILD, GRANDCHILD));
    // The update shows as it is stored now; a fresh listing includes the new record.
    expect(second.json.hoSo.find((l: { soDinhDanh: string }) => l.soDinhDanh === '200000000010')).toMatchObject({ phienBan: T2, bam: bamOf(updated) });
    records.set('200000000010', updated);
    records.set('200000000099', late);
    byUnit[CHILD].push('200000000099');
    const fresh = await api.call('GET', `/api/v1/units/${ROOT}/profiles`);
    expect(fresh.json.tong).toBe(9);
    expect(fresh.json.hoSo.map((l: { soDinhDanh: string }) => l.soDinhDanh)).toEqual(subtree(ROOT, CHILD, GRANDCHILD));
  });

  it('bam is the SHA-256 of the RFC 8785 canonical JSON without chuKySo, as stored', async () => {
    const lines = (await inventoryPages(api, ROOT, 1000)).flatMap((p) => p.hoSo);
    for (const l of lines) expect(l.bam).toBe(bamOf(records.get(l.soDinhDanh)!));
    // Sent with other key order and spacing: the same canonical form, so the same bam.
    const rec = profile(pki.signer, '200000000011', T1, { donVi: { maDinhDanh: ROOT } });
    const reordered = Object.fromEntries(Object.entries(rec).reverse());
    expect((await api.call('POST', '/api/v1/profiles', { rawBody: JSON.stringify(reordered, null, 3) })).status).toBe(201);
    // Signed again (another chuKySo) at the same version: unchanged, same bam; a changed field at a new version: new bam.
    const resigned = signProfile({ ...rec, chuKySo: undefined }, pki.signer);
    expect((await api.call('POST', '/api/v1/profiles', { body: resigned })).json.trangThai).toBe('KHONG_DOI');
    const line = async () => (await api.call('GET', `/api/v1/units/${ROOT}/profiles`)).json.hoSo.find((l: { soDinhDanh: string }) => l.soDinhDanh === '200000000011');
    expect((await line()).bam).toBe(bamOf(rec));
    const changed = profile(pki.signer, '200000000011', T2, { donVi: { maDinhDanh: ROOT }, hoVaTen: 'Nguyễn Văn Đạt' });
    expect((await api.call('POST', '/api/v1/profiles', { body: changed })).status).toBe(200);
    expect(await line()).toEqual({ soDinhDanh: '200000000011', phienBan: T2, bam: bamOf(changed), maDonVi: ROOT });
    expect(bamOf(changed)).not.toBe(bamOf(rec));
    records.set('200000000011', changed);
    byUnit[ROOT].push('200000000011');
  });

  it('answers 401, 400, 404 and 405 as the other paths do', async () => {
    const noAuth = await api.call('GET', `/api/v1/units/${ROOT}/profiles`, { headers: { authorization: '' } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json.ma).toBe('CHUA_XAC_THUC');
    const noUnit = await api.call('GET', `/api/v1/units/${ROOT}/profiles`, { headers: { 'x-ma-don-vi': '' } });
    expect(noUnit.status).toBe(400);
    expect(noUnit.json.ma).toBe('THIEU_MA_DON_VI');
    const unknown = await api.call('GET', '/api/v1/units/000.00.00.H99/profiles');
    expect(unknown.status).toBe(404);
    expect(unknown.json.ma).toBe('KHONG_TIM_THAY');
    for (const q of ['limit=0', 'limit=5001', 'limit=abc', 'cursor=not-a-cursor']) {
      const bad = await api.call('GET', `/api/v1/units/${ROOT}/profiles?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.json.ma).toBe('THAM_SO_KHONG_HOP_LE');
      expect(bad.json.loi[0].truong).toBe(q.split('=')[0]);
    }
    // A cursor is bound to its unit.
    const cursor = (await api.call('GET', `/api/v1/units/${ROOT}/profiles?limit=1`)).json.tiepTheo;
    expect((await api.call('GET', `/api/v1/units/${CHILD}/profiles?cursor=${encodeURIComponent(cursor)}`)).status).toBe(400);
    expect((await api.call('GET', `/api/v1/units/${ROOT}/profiles?limit=5000`)).status).toBe(200);
    expect((await api.call('POST', `/api/v1/units/${ROOT}/profiles`, { body: {} })).status).toBe(405);
    // Records may name a unit the tree does not have yet: its inventory lists them.
    const orphan = profile(pki.signer, '200000000050', T1, { donVi: { maDinhDanh: '000.00.00.H77' } });
    expect((await api.call('POST', '/api/v1/profiles', { body: orphan })).status).toBe(201);
    expect((await api.call('GET', '/api/v1/units/000.00.00.H77/profiles')).json).toEqual({
      hoSo: [{ soDinhDanh: '200000000050', phienBan: T1, bam: bamOf(orphan), maDonVi: '000.00.00.H77' }],
      tong: 1,
      tiepTheo: null,
    });
    expect(sim.stats().requests.byOperation.listUnitProfiles).toBeGreaterThan(0);
  });
});

// Records built so that exactly one kind of mismatch can apply to each (the others cannot).
const PLAIN = { hoVaTen: 'Tran Van Binh', ngaySinh: '1990-07-20', gioiTinh: 1, queQuan: { diaChi: 'Xã Tân Mỹ, tỉnh Bắc Ninh' } };
const CASES = {
  diacritics: { ...PLAIN, hoVaTen: 'Nguyễn Văn Đức' },
  dateSwap: { ...PLAIN, ngaySinh: '1985-03-12' },
  oldHomeTown: { ...PLAIN, queQuan: { diaChi: 'Xã Tân Mỹ, thành phố Bắc Giang, tỉnh Bắc Giang' } },
  oldAddress: { ...PLAIN, noiThuongTru: { diaChi: 'Phường 1, thành phố Tân An, tỉnh Long An' } },
  none: PLAIN,
};
const ID = { diacritics: '300000000001', dateSwap: '300000000002', oldHomeTown: '300000000003', oldAddress: '300000000004', none: '300000000005' };
const UNIT_OF = { diacritics: ROOT, dateSwap: CHILD, oldHomeTown: GRANDCHILD, oldAddress: OTHER, none: CHILD };
const D1 = '2025-09-12';
const D2 = '2025-09-13';

describe('matching against the population register (GET /api/v1/doi-soat)', () => {
  let sim: CentralSim;
  let api: SimClient;
  // The first day's results for ROOT's subtree, and for the unrelated unit.
  let first: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  let firstOther: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    // Every id mismatches, in one of the kinds that apply to its record.
    ({ sim, api } = await startSim({ population: { seed: 3, mismatchShare: 1, kinds: ['diacritics', 'dateSwap', 'oldPlaceName'] } }));
    await putTree(api);
    await postBatch(
      api,
      (Object.keys(CASES) as (keyof typeof CASES)[]).map((k) => profile(pki.signer, ID[k], T1, { ...CASES[k], donVi: { maDinhDanh: UNIT_OF[k] } })),
    );
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await sim?.close();
  });

  it('publishes one result per record with the register values of each mismatching field', async () => {
    const control = simControl(sim.controlUrl!);
    try {
      expect(await control.runMatching({ ngay: D1 })).toMatchObject({ ngayDoiSoat: D1, doiSoat: 5, khop: 1, khongKhop: 4, khongTimThay: 0, boQua: 0 });
    } finally {
      await control.close();
    }
    const res = await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}`);
    expect(res.status).toBe(200);
    expect(res.json.conNua).toBe(false);
    first = res.json.ketQua;
    firstOther = (await api.call('GET', `/api/v1/doi-soat?maDonVi=${OTHER}`)).json.ketQua;
    // In publication order (the run goes by soDinhDanh), maKetQua increasing; OTHER's record is not ROOT's.
    expect(first.map((r) => r.soDinhDanh)).toEqual([ID.diacritics, ID.dateSwap, ID.oldHomeTown, ID.none]);
    expect(firstOther.map((r) => r.soDinhDanh)).toEqual([ID.oldAddress]);
    const all = [...first, ...firstOther].sort((a, b) => (a.maKetQua < b.maKetQua ? -1 : 1));
    expect(all.map((r) => r.soDinhDanh)).toEqual(Object.values(ID));
    expect(new Set(all.map((r) => r.maKetQua)).size).toBe(5);
    const of = (k: keyof typeof ID) => all.find((r) => r.soDinhDanh === ID[k]);
    for (const k of Object.keys(ID) as (keyof typeof ID)[]) {
      expect(of(k)).toMatchObject({ soDinhDanh: ID[k], maDonVi: UNIT_OF[k], ngayDoiSoat: D1, phienBan: T1 });
    }
    expect(of('none')).toEqual({ maKetQua: of('none').maKetQua, soDinhDanh: ID.none, maDonVi: CHILD, ngayDoiSoat: D1, phienBan: T1, ketQua: 'KHOP' });
    expect(of('dateSwap')).toMatchObject({ ketQua: 'KHONG_KHOP', chenhLech: [{ truong: '/ngaySinh', giaTriHoSo: '1985-03-12', giaTriDanCu: '1985-12-03' }] });
    expect(of('oldHomeTown').chenhLech).toEqual([
      { truong: '/queQuan/diaChi', giaTriHoSo: 'Xã Tân Mỹ, thành phố Bắc Giang, tỉnh Bắc Giang', giaTriDanCu: 'Xã Tân Mỹ, thành phố Bắc Giang, tỉnh Bắc Ninh' },
    ]);
    expect(of('oldAddress').chenhLech).toEqual([
      { truong: '/noiThuongTru/diaChi', giaTriHoSo: 'Phường 1, thành phố Tân An, tỉnh Long An', giaTriDanCu: 'Phường 1, thành phố Tân An, tỉnh Tây Ninh' },
    ]);
    // Missing or other diacritics: the same letters, not the same name.
    const [name] = of('diacritics').chenhLech;
    expect(name.truong).toBe('/hoVaTen');
    expect(name.giaTriHoSo).toBe('Nguyễn Văn Đức');
    expect(['Nguyen Van Duc', 'Nguyển Văn Đức']).toContain(name.giaTriDanCu);
    expect(of('diacritics').chenhLech).toHaveLength(1);
    // What the register holds, and why, is visible to the operator.
    const control2 = simControl(sim.controlUrl!);
    try {
      expect(await control2.population(ID.dateSwap)).toMatchObject({ nguon: 'derived', kieuLech: 'dateSwap', congDan: { ngaySinh: '1985-12-03' } });
      expect(await control2.population(ID.none)).toMatchObject({ nguon: 'derived', congDan: { hoVaTen: 'Tran Van Binh' } });
      expect((await control2.population(ID.none)).kieuLech).toBeUndefined();
    } finally {
      await control2.close();
    }
    // The inventory carries the outcome of the stored version.
    const inventory = (await api.call('GET', `/api/v1/units/${ROOT}/profiles`)).json.hoSo;
    expect(Object.fromEntries(inventory.map((l: { soDinhDanh: string; ketQuaDoiSoat: string }) => [l.soDinhDanh, l.ketQuaDoiSoat]))).toEqual({
      [ID.diacritics]: 'KHONG_KHOP',
      [ID.dateSwap]: 'KHONG_KHOP',
      [ID.oldHomeTown]: 'KHONG_KHOP',
      [ID.none]: 'KHOP',
    });
  });

  it('lists results strictly after since, page by page, for the unit and its descendants, filtered by ketQua', async () => {
    const keys = first.map((r) => r.maKetQua as string);
    const p1 = await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&limit=2`);
    expect(p1.json.ketQua.map((r: { maKetQua: string }) => r.maKetQua)).toEqual(keys.slice(0, 2));
    expect(p1.json.conNua).toBe(true);
    const p2 = await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&limit=2&since=${keys[1]}`);
    expect(p2.json).toEqual({ ketQua: first.slice(2, 4), conNua: false });
    // Strictly after: the result named by since is not repeated; after the last one, nothing. A
    // since from another unit's results works as well (results are one published sequence).
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&since=${keys[0]}`)).json.ketQua).toEqual(first.slice(1));
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&since=${keys[3]}`)).json).toEqual({ ketQua: [], conNua: false });
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&since=${firstOther[0].maKetQua}`)).json.ketQua).toEqual([first[3]]);
    // Unit filter: a unit and its descendants only.
    const child = (await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json.ketQua.map((r: { soDinhDanh: string }) => r.soDinhDanh);
    expect(child).toEqual([ID.dateSwap, ID.oldHomeTown, ID.none]);
    expect((await api.call('GET', '/api/v1/doi-soat?maDonVi=000.00.00.H99')).json).toEqual({ ketQua: [], conNua: false });
    // Outcome filter, combined with paging.
    const mismatches = await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}&ketQua=KHONG_KHOP&limit=1`);
    expect(mismatches.json.ketQua.map((r: { soDinhDanh: string }) => r.soDinhDanh)).toEqual([ID.dateSwap]);
    expect(mismatches.json.conNua).toBe(true);
    const rest = await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}&ketQua=KHONG_KHOP&since=${mismatches.json.ketQua[0].maKetQua}`);
    expect(rest.json).toMatchObject({ ketQua: [{ soDinhDanh: ID.oldHomeTown }], conNua: false });
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&ketQua=KHOP`)).json.ketQua.map((r: { soDinhDanh: string }) => r.soDinhDanh)).toEqual([ID.none]);
  });

  it('refuses bad parameters (400) and callers without a token (401)', async () => {
    const cases: [string, string][] = [
      ['', 'maDonVi'],
      [`maDonVi=${ROOT}&since=12`, 'since'],
      [`maDonVi=${ROOT}&ketQua=SAI`, 'ketQua'],
      [`maDonVi=${ROOT}&limit=0`, 'limit'],
      [`maDonVi=${ROOT}&limit=5001`, 'limit'],
    ];
    for (const [q, truong] of cases) {
      const res = await api.call('GET', `/api/v1/doi-soat?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json).toMatchObject({ ma: 'THAM_SO_KHONG_HOP_LE', loi: [{ truong }] });
      expect(res.json.moTa).toMatch(/không hợp lệ/);
    }
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}`, { headers: { authorization: '' } })).status).toBe(401);
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}`, { headers: { 'x-ma-don-vi': '' } })).json.ma).toBe('THIEU_MA_DON_VI');
    expect((await api.call('POST', '/api/v1/doi-soat', { body: {} })).status).toBe(405);
  });

  it('publishes one result per record and day; a record corrected at its source matches at the next day\'s run', async () => {
    const last = first.at(-1).maKetQua as string;
    // The same day again: nothing new.
    expect(await sim.runMatching({ ngay: D1 })).toMatchObject({ doiSoat: 0, boQua: 5 });
    // The unit corrects the birth date to what the population database holds and synchronises again.
    const corrected = profile(pki.signer, ID.dateSwap, T2, { ...CASES.dateSwap, ngaySinh: '1985-12-03', donVi: { maDinhDanh: CHILD } });
    expect((await api.call('POST', '/api/v1/profiles', { body: corrected })).status).toBe(200);
    // Not matched yet: the inventory shows no outcome for the new version.
    const before = (await api.call('GET', `/api/v1/units/${CHILD}/profiles`)).json.hoSo.find((l: { soDinhDanh: string }) => l.soDinhDanh === ID.dateSwap);
    expect(before).toEqual({ soDinhDanh: ID.dateSwap, phienBan: T2, bam: bamOf(corrected), maDonVi: CHILD });

    const run = await sim.runMatching({ ngay: D2 });
    expect(run).toMatchObject({ ngayDoiSoat: D2, doiSoat: 5, khop: 2, khongKhop: 3, boQua: 0 });
    expect(run.maKetQuaDau! > last).toBe(true);
    // A client polling with the last maKetQua it saw gets exactly the new day.
    const next = (await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&since=${last}`)).json;
    expect(next.ketQua.map((r: { ngayDoiSoat: string }) => r.ngayDoiSoat)).toEqual(Array(4).fill(D2));
    expect(next.ketQua[0].maKetQua).toBe(run.maKetQuaDau);
    expect(next.ketQua.find((r: { soDinhDanh: string }) => r.soDinhDanh === ID.dateSwap)).toEqual({
      maKetQua: expect.any(String),
      soDinhDanh: ID.dateSwap,
      maDonVi: CHILD,
      ngayDoiSoat: D2,
      phienBan: T2,
      ketQua: 'KHOP',
    });
    // The register is fixed per person: the uncorrected records still differ in the same way.
    expect(next.ketQua.find((r: { soDinhDanh: string }) => r.soDinhDanh === ID.diacritics).chenhLech).toEqual(first[0].chenhLech);
    const other = (await api.call('GET', `/api/v1/doi-soat?maDonVi=${OTHER}&since=${firstOther[0].maKetQua}`)).json.ketQua;
    expect(other).toMatchObject([{ ngayDoiSoat: D2, chenhLech: firstOther[0].chenhLech }]);
    // Earlier results never change.
    expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${ROOT}&limit=4`)).json.ketQua).toEqual(first);
    // Days do not go back.
    const control = simControl(sim.controlUrl!);
    try {
      await expect(control.runMatching({ ngay: D1 })).rejects.toMatchObject({ status: 400, body: { ma: 'LOI_GIA_LAP_KHONG_HOP_LE' } });
      await expect(control.runMatching({ ngay: '2025-02-30' })).rejects.toMatchObject({ status: 400 });
    } finally {
      await control.close();
    }
    expect(sim.stats().doiSoat).toEqual({ runs: 3, results: 10, byKetQua: { KHOP: 3, KHONG_KHOP: 7, KHONG_TIM_THAY: 0 }, danCu: 5 });
  });
});

describe('population control API (POST /__sim/dan-cu)', () => {
  it('sets, replaces and deletes entries; the next run matches against them', async () => {
    const { sim, api } = await startSim({ population: { mismatchShare: 0 } });
    const control = simControl(sim.controlUrl!);
    // Over mTLS on the API listener too.
    const tlsControl = simControl(sim.url, pki.client);
    try {
      const id = '400000000001';
      const rec = profile(pki.signer, id, T1, PLAIN);
      expect((await api.call('POST', '/api/v1/profiles', { body: rec })).status).toBe(201);
      expect(await control.runMatching({ ngay: D1 })).toMatchObject({ khop: 1 });

      // Set: another name, and a permanent address the record does not have.
      expect(
        await control.setPopulation({
          congDan: [{ soDinhDanh: id, hoVaTen: 'Trần Văn Bình', ngaySinh: '1990-07-20', gioiTinh: 1, queQuan: 'Xã Tân Mỹ, tỉnh Bắc Ninh', noiThuongTru: 'Phường Kinh Bắc, tỉnh Bắc Ninh' }],
        }),
      ).toEqual({ daDat: 1, daXoa: 0 });
      expect(await tlsControl.population(id)).toEqual({
        soDinhDanh: id,
        nguon: 'set',
        congDan: { soDinhDanh: id, hoVaTen: 'Trần Văn Bình', ngaySinh: '1990-07-20', gioiTinh: 1, queQuan: 'Xã Tân Mỹ, tỉnh Bắc Ninh', noiThuongTru: 'Phường Kinh Bắc, tỉnh Bắc Ninh' },
      });
      expect(await control.runMatching({ ngay: D2 })).toMatchObject({ khongKhop: 1 });
      const latest = async () => (await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json.ketQua.at(-1);
      expect((await latest()).chenhLech).toEqual([
        { truong: '/hoVaTen', giaTriHoSo: 'Tran Van Binh', giaTriDanCu: 'Trần Văn Bình' },
        { truong: '/noiThuongTru/diaChi', giaTriDanCu: 'Phường Kinh Bắc, tỉnh Bắc Ninh' },
      ]);

      // Replace: the whole entry (no permanent address any more); case and spacing do not matter.
      await tlsControl.setPopulation({ congDan: [{ soDinhDanh: id, hoVaTen: '  TRAN   VAN BINH ', ngaySinh: '1990-07-20', gioiTinh: 1, queQuan: { diaChi: 'xã tân mỹ, tỉnh bắc ninh' } } as never] });
      expect(await control.runMatching({ ngay: '2025-09-14' })).toMatchObject({ khop: 1 });
      expect(await latest()).toMatchObject({ ketQua: 'KHOP', ngayDoiSoat: '2025-09-14' });

      // Delete: the id becomes unknown to the register.
      expect(await control.setPopulation({ xoa: [id] })).toEqual({ daDat: 0, daXoa: 1 });
      expect(await control.population(id)).toEqual({ soDinhDanh: id, nguon: 'deleted', congDan: null });
      expect(await control.runMatching({ ngay: '2025-09-15' })).toMatchObject({ khongTimThay: 1 });
      const unknown = await latest();
      expect(unknown).toEqual({ maKetQua: unknown.maKetQua, soDinhDanh: id, maDonVi: '000.05.31.H06', ngayDoiSoat: '2025-09-15', phienBan: T1, ketQua: 'KHONG_TIM_THAY' });

      // An id no record has yet can be given too; an id with neither is not in the register.
      await control.setPopulation({ congDan: [{ soDinhDanh: '400000000002', hoVaTen: 'Lê Thị Hoa', ngaySinh: '1992-01-05', gioiTinh: 2 }] });
      expect((await control.population('400000000002')).nguon).toBe('set');
      expect(await control.population('400000000003')).toEqual({ soDinhDanh: '400000000003', nguon: null, congDan: null });

      // Bad documents are refused, naming the member, and change nothing.
      for (const bad of [
        { congDan: [{ soDinhDanh: '12', hoVaTen: 'A B', ngaySinh: '1990-01-01', gioiTinh: 1 }] },
        { congDan: [{ soDinhDanh: id, ngaySinh: '1990-01-01', gioiTinh: 1 }] },
        { congDan: [{ soDinhDanh: id, hoVaTen: 'A B', ngaySinh: '01/01/1990', gioiTinh: 1 }] },
        { congDan: [{ soDinhDanh: id, hoVaTen: 'A B', ngaySinh: '1990-01-01', gioiTinh: 3 }] },
        { congDan: [{ soDinhDanh: id, hoVaTen: 'A B', ngaySinh: '1990-01-01', gioiTinh: 1, ten: 'x' }] },
        { xoa: ['abc'] },
        { them: [] },
        {},
      ]) {
        await expect(control.setPopulation(bad as never), JSON.stringify(bad)).rejects.toMatchObject({ status: 400, body: { ma: 'LOI_GIA_LAP_KHONG_HOP_LE' } });
      }
      expect((await control.population(id)).nguon).toBe('deleted');
    } finally {
      await control.close();
      await tlsControl.close();
      await api.close();
      await sim.close();
    }
  });
});

describe('the population register is deterministic', () => {
  const people = Array.from({ length: 40 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return {
      id: `5000000000${n}`,
      fields: {
        hoVaTen: ['Nguyễn Văn An', 'Lê Thị Hồng', 'Phạm Minh Tuấn', 'Đỗ Thu Hà'][i % 4],
        ngaySinh: `19${70 + (i % 30)}-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}`,
        gioiTinh: 1 + (i % 2),
        queQuan: { diaChi: ['Xã Yên Thế, tỉnh Bắc Giang', 'Phường Hạc Thành, tỉnh Thanh Hóa', 'Xã Vũ Thư, tỉnh Thái Bình'][i % 3] },
      },
    };
  });

  async function resultsFor(population: CentralSimOptions['population']) {
    const { sim, api } = await startSim({ population });
    try {
      await postBatch(api, people.map((p) => profile(pki.signer, p.id, T1, p.fields)));
      await sim.runMatching({ ngay: D1 });
      const results = (await api.call('GET', '/api/v1/doi-soat?maDonVi=000.05.31.H06')).json.ketQua;
      return { results, kinds: people.map((p) => sim.population(p.id).kieuLech ?? null) };
    } finally {
      await api.close();
      await sim.close();
    }
  }

  it('gives the same register and results for the same seed and records, others for another seed', async () => {
    const a = await resultsFor({ seed: 11, mismatchShare: 0.5 });
    const b = await resultsFor({ seed: 11, mismatchShare: 0.5 });
    expect(b).toEqual(a);
    const outcomes = new Set(a.results.map((r: { ketQua: string }) => r.ketQua));
    expect(outcomes).toEqual(new Set(['KHOP', 'KHONG_KHOP', 'KHONG_TIM_THAY']));
    const c = await resultsFor({ seed: 12, mismatchShare: 0.5 });
    expect(c.kinds).not.toEqual(a.kinds);
    // Only the kinds configured: unknown ids alone here.
    const unknown = await resultsFor({ seed: 11, mismatchShare: 1, kinds: ['unknownId'] });
    expect(new Set(unknown.results.map((r: { ketQua: string }) => r.ketQua))).toEqual(new Set(['KHONG_TIM_THAY']));
    const none = await resultsFor({ seed: 11, mismatchShare: 0 });
    expect(new Set(none.results.map((r: { ketQua: string }) => r.ketQua))).toEqual(new Set(['KHOP']));
  }, 120_000);

  it('refuses bad population and schedule options', async () => {
    await expect(startSim({ population: { mismatchShare: 2 } })).rejects.toThrow(/mismatchShare/);
    await expect(startSim({ population: { kinds: ['typo' as never] } })).rejects.toThrow(/typo/);
    await expect(startSim({ matching: { dailyAt: '25:00' } })).rejects.toThrow(/dailyAt/);
    await expect(runCentralSim({ matchingAt: '7h' })).rejects.toBeInstanceOf(UsageError);
    await expect(runCentralSim({ populationMismatch: 'many' })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('schedule', () => {
  it('runs the matching by itself on the configured schedule', async () => {
    const { sim, api } = await startSim({ matching: { dailyAt: false, everyMs: 100 } });
    try {
      expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '600000000001', T1, PLAIN) })).status).toBe(201);
      let results: unknown[] = [];
      for (let i = 0; i < 200 && results.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        results = (await api.call('GET', '/api/v1/doi-soat?maDonVi=000.05.31.H06')).json.ketQua;
      }
      expect(results).toEqual([expect.objectContaining({ soDinhDanh: '600000000001', ngayDoiSoat: vietnamDate(), ketQua: expect.any(String) })]);
      expect(sim.stats().doiSoat.runs).toBeGreaterThan(0);
    } finally {
      await api.close();
      await sim.close();
    }
  });

  it('computes the next daily run in Vietnam time', () => {
    const at = Date.parse('2025-09-11T17:30:00Z'); // 00:30 on 12 September in Vietnam
    expect(vietnamDate(at)).toBe('2025-09-12');
    expect(msUntilDaily('01:00', at)).toBe(30 * 60_000);
    expect(msUntilDaily('00:30', at)).toBe(24 * 3600_000);
    expect(msUntilDaily('00:00', at)).toBe(23.5 * 3600_000);
  });
});

describe('persistence', () => {
  it('keeps the register, the published results and the inventory across a restart, and fills bam in an older data file', async () => {
    const dataDir = tempDir();
    let { sim, api } = await startSim({ population: { seed: 5, mismatchShare: 1, kinds: ['dateSwap'] } }, dataDir);
    const rec = profile(pki.signer, '700000000001', T1, { ...CASES.dateSwap, donVi: { maDinhDanh: CHILD } });
    const other = profile(pki.signer, '700000000002', T1, { ...PLAIN, donVi: { maDinhDanh: CHILD } });
    await postBatch(api, [rec, other]);
    await sim.setPopulation({ congDan: [{ soDinhDanh: '700000000002', hoVaTen: 'Trần Văn Bình', ngaySinh: '1990-07-20', gioiTinh: 1 }] });
    await sim.runMatching({ ngay: D1 });
    const results = (await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json;
    const inventory = (await api.call('GET', `/api/v1/units/${CHILD}/profiles`)).json;
    const register = [sim.population('700000000001'), sim.population('700000000002')];
    const stats = sim.stats().doiSoat;
    await api.close();
    await sim.close();

    // A data file from before contract 1.1 had no bam column.
    const db = openSqlite(path.join(dataDir, SIM_DB_FILE));
    db.exec('DROP INDEX profiles_unit; ALTER TABLE profiles DROP COLUMN bam');
    db.close();

    // Another seed now: what was derived before stays as it was.
    ({ sim, api } = await startSim({ population: { seed: 6, mismatchShare: 0 } }, dataDir));
    try {
      expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json).toEqual(results);
      expect(results.ketQua.map((r: { ketQua: string }) => r.ketQua)).toEqual(['KHONG_KHOP', 'KHONG_KHOP']);
      expect((await api.call('GET', `/api/v1/units/${CHILD}/profiles`)).json).toEqual(inventory);
      expect(inventory.hoSo.map((l: { bam: string }) => l.bam)).toEqual([bamOf(rec), bamOf(other)]);
      expect([sim.population('700000000001'), sim.population('700000000002')]).toEqual(register);
      expect(sim.stats().doiSoat).toEqual(stats);
      // Publication goes on after the last result published before the restart.
      const run = await sim.runMatching({ ngay: D2 });
      expect(run.maKetQuaDau! > results.ketQua.at(-1).maKetQua).toBe(true);
      await expect(sim.runMatching({ ngay: D1 })).rejects.toThrow(/trước ngày/);
    } finally {
      await api.close();
      await sim.close();
    }
  });
});

describe('faults on the new paths', () => {
  it('503, 429, latency and down apply to the inventory and the matching results; the control port keeps working', async () => {
    const { sim, api } = await startSim();
    const control = simControl(sim.controlUrl!);
    try {
      await postBatch(api, [profile(pki.signer, '800000000001', T1)]);
      await sim.runMatching({ ngay: D1 });
      await sim.setFaults({ status503: { retryAfter: 4, paths: ['/api/v1/doi-soat'], count: 1 } });
      const unavailable = await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`);
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers['retry-after']).toBe('4');
      expect(unavailable.json.ma).toBe('TAM_DUNG_DICH_VU');
      expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json.ketQua).toHaveLength(1);

      await sim.setFaults({ status429: { paths: ['/api/v1/units/*'], methods: ['GET'], count: 1 } });
      const busy = await api.call('GET', `/api/v1/units/${CHILD}/profiles`);
      expect(busy.status).toBe(429);
      expect(busy.headers['retry-after']).toBe('1');
      expect((await api.call('GET', `/api/v1/units/${CHILD}/profiles`)).json.tong).toBe(1);

      await sim.setFaults({ latencyMs: { ms: 50, paths: ['/api/v1/doi-soat'], count: 1 } });
      expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).status).toBe(200);
      expect(sim.stats().faultsInjected).toMatchObject({ status503: 1, status429: 1, latency: 1 });

      await control.setFaults({ down: true });
      await expect(api.call('GET', `/api/v1/units/${CHILD}/profiles`)).rejects.toThrow();
      // The population control and the matching run do not depend on the API listener.
      expect(await control.runMatching({ ngay: D2 })).toMatchObject({ doiSoat: 1 });
      await control.setFaults({});
      expect((await api.call('GET', `/api/v1/doi-soat?maDonVi=${CHILD}`)).json.ketQua).toHaveLength(2);
    } finally {
      await control.close();
      await api.close();
      await sim.close();
    }
  });
});
