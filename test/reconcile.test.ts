/**
 * Reconciliation against the real simulator over mutual TLS: 10,000 people spread over a unit,
 * its child and an unrelated unit, seeded cheaply (the simulator's own store before it starts,
 * the gateway's outbox directly) so every class of difference has a known population, then
 * found exactly; central outages during the paging (a short one is ridden out, a long one fails
 * the run before anything changes); --resend re-queues exactly what is missing or behind, once;
 * --all and the metric; and a real record the centre lost, re-sent through the queue.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../core/context.js';
import type { OutboxRow } from '../core/store/tables/delivery.js';
import { newRow } from '../gateway/delivery/outbox.js';
import { ensurePki } from '../certs/pki.js';
import { centralClientIdentity, serverTlsMaterial } from '../certs/material.js';
import { SimStore } from '../central-sim/store.js';
import { versionKey } from '../central-sim/api.js';
import { canonicalJson as simJcs } from '../central-sim/signature.js';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import { quietLogger } from '../core/log.js';
import { registry } from '../core/metrics.js';
import { reconcileUnit, CLASSES, type ReconcileClass } from '../gateway/reconcile/service.js';
import { upsertRemapRule } from '../gateway/units/service.js';
import { bindStoreGauges } from '../gateway/store-gauges.js';
import { DoiSoatError } from '../gateway/doi-soat/errors.js';
import { cleanup, tempDir, testConfig, testContext } from './helpers/env.js';
import { ndxp } from './helpers/cli.js';
import { SAMPLE_TREE, eventually, sample, startHarness } from './helpers/gateway.js';
import { simClient } from './central-sim.helpers.js';

afterAll(cleanup);

const ROOT = '000.00.00.H06';
const CHILD = '000.05.31.H06';
const OTHER = '000.00.00.H29';
const V1 = '2025-09-10T10:15:00+07:00';
const V2 = '2025-09-12T08:00:00+07:00';
const N = 10_000;

const idOf = (i: number) => `0010${String(i).padStart(8, '0')}`;
const record = (i: number, version: string, unit: string, name = `Nguyễn Văn ${i}`) => ({ soDinhDanh: idOf(i), hoVaTen: name, ngaySinh: '1985-03-12', gioiTinh: 1, donVi: { maDinhDanh: unit }, ngayCapNhat: version });
const signed = (r: object, who: string) => ({ ...r, chuKySo: { thuatToan: 'RS256', chungThu: who, giaTri: who, thoiDiemKy: V1 } });
const bam = (r: object) => createHash('sha256').update(simJcs(r), 'utf8').digest('hex');

/** What each person is, by construction. */
function classOf(i: number): ReconcileClass {
  return (['complete', 'complete', 'complete', 'complete', 'complete', 'centreAhead', 'missingAtCentre', 'centreBehind', 'differs', 'unknownToGateway'] as const)[i % 10];
}

let tracking = 0;
function outboxRow(r: ReturnType<typeof record>, state: string): OutboxRow {
  const now = Date.now();
  const row = {
    tracking_id: `TD${String(++tracking).padStart(25, '0')}`,
    kind: 'profile',
    subject_id: r.soDinhDanh,
    record_id: null,
    version_ms: Date.parse(r.ngayCapNhat),
    version: r.ngayCapNhat,
    idempotency_key: `seed-${tracking}-abcdefghijklmnop`,
    body: JSON.stringify(signed(r, 'gateway')),
    unit_code: ROOT,
    software_id: 'PM-SEED',
    key_id: null,
    front: 'json',
    request_id: null,
  } as const;
  return newRow(row, now, { state, attempts: 1, enqueued: 1, delivered_at: state === 'delivered' ? now : null });
}

describe('reconciling 10,000 records', () => {
  let ctx: AppContext;
  let sim: CentralSim;
  const expected = Object.fromEntries(CLASSES.map((c) => [c, [] as string[]])) as Record<ReconcileClass, string[]>;
  let waitingMissing = 0;

  beforeAll(async () => {
    ctx = await testContext('sqlite', testConfig('sqlite', { doiSoat: { units: [ROOT] } }));
    await ensurePki(ctx);
    const simDir = tempDir();
    const store = new SimStore(simDir);
    const now = Date.now();
    for (const [ma, cha] of [[ROOT, null], [CHILD, ROOT], [OTHER, null]] as [string, string | null][]) {
      const body = JSON.stringify({ maDinhDanh: ma, ten: ma, ...(cha ? { maDonViCha: cha } : {}), cap: cha ? 2 : 1, hieuLucTu: '2025-07-01' });
      store.insertUnit({ maDinhDanh: ma, maDonViCha: cha, ngayCapNhat: null, versionKey: null, bodyHash: bam(JSON.parse(body)), body }, now);
    }
    const centre = (r: ReturnType<typeof record>) =>
      store.insertProfile({ soDinhDanh: r.soDinhDanh, ngayCapNhat: r.ngayCapNhat, versionKey: versionKey(r.ngayCapNhat)!, maDonVi: r.donVi.maDinhDanh, body: JSON.stringify(signed(r, 'centre')), bam: bam(r) }, now);
    const rows: OutboxRow[] = [];
    for (let i = 0; i < N; i++) {
      const unit = i % 2 ? CHILD : ROOT;
      const cls = classOf(i);
      expected[cls].push(idOf(i));
      switch (cls) {
        case 'complete': // same version, same content; only the signatures differ (bam leaves them out)
          centre(record(i, V1, unit));
          rows.push(outboxRow(record(i, V1, unit), 'delivered'));
          break;
        case 'centreAhead':
          centre(record(i, V2, unit));
          rows.push(outboxRow(record(i, V1, unit), 'delivered'));
          break;
        case 'missingAtCentre': {
          // Some are still waiting in the queue: already on their way, never re-queued.
          const waiting = i % 100 === 6;
          if (waiting) waitingMissing++;
          rows.push(outboxRow(record(i, V1, unit), waiting ? 'queued' : 'delivered'));
          break;
        }
        case 'centreBehind': // the gateway delivered v1 then v2; the centre has v1
          centre(record(i, V1, unit));
          rows.push(outboxRow(record(i, V1, unit), 'delivered'), outboxRow(record(i, V2, unit), 'delivered'));
          break;
        case 'differs':
          centre(record(i, V1, unit, `Nguyen Van ${i}`));
          rows.push(outboxRow(record(i, V1, unit), 'delivered'));
          break;
        case 'unknownToGateway': // a version refused by the centre is nothing the gateway holds
          centre(record(i, V1, unit));
          if (i % 100 === 9) rows.push(outboxRow(record(i, V1, unit), 'rejected'));
          break;
      }
    }
    // Another unit's people on both sides: not part of ROOT's reconciliation.
    for (let i = N; i < N + 50; i++) {
      centre(record(i, V1, OTHER));
      rows.push(outboxRow(record(i, V1, OTHER), 'delivered'));
    }
    store.close();
    for (let k = 0; k < rows.length; k += 500) await ctx.store.db.insertInto('outbox').values(rows.slice(k, k + 500)).execute();
    sim = await startCentralSim({ config: ctx.config, dataDir: simDir, listen: '127.0.0.1:0', log: quietLogger(), tls: await serverTlsMaterial(ctx, 'central-sim'), matching: { dailyAt: false } });
    ctx.config.centralUrl = sim.url;
  }, 60_000);

  afterAll(async () => {
    await sim?.close();
  });

  it('finds every class of difference exactly, for the unit and its descendants, riding out a short outage', async () => {
    let cut = false;
    const r = await reconcileUnit(ctx, ROOT, {
      verbose: true,
      pageSize: 1000,
      onPage: async (page) => {
        if (page === 3 && !cut) {
          cut = true;
          await sim.setFaults({ status503: { paths: ['/api/v1/units/*'], count: 2 } });
        }
      },
    });
    expect(cut).toBe(true);
    expect(sim.stats().faultsInjected.status503).toBe(2);
    expect(r).toMatchObject({ unit: ROOT, total: N, complete: 5000, missingAtCentre: 1000, centreBehind: 1000, differs: 1000, unknownToGateway: 1000, centreAhead: 1000, resent: 0, share: 0.5 });
    for (const c of CLASSES) expect(r.lists![c].map((e) => e.soDinhDanh)).toEqual([...expected[c]].sort());
    // The newest version is what counts: v2 for the behind ones.
    expect(r.lists!.centreBehind[0]).toMatchObject({ gateway: { phienBan: V2 }, centre: { phienBan: V1 } });
  }, 60_000);

  it('a long outage during the paging fails the run with a clear code, before anything is changed', async () => {
    const before = await ctx.store.db.selectFrom('reconcile_runs').selectAll().execute();
    const queued = async () => Number((await ctx.store.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'queued').executeTakeFirst())!.n);
    const queuedBefore = await queued();
    const err = await reconcileUnit(ctx, ROOT, {
      resend: true,
      pageSize: 1000,
      onPage: async (page) => {
        if (page === 2) await sim.setFaults({ down: true });
      },
    }).catch((e: unknown) => e);
    await sim.resetFaults();
    expect(err).toBeInstanceOf(DoiSoatError);
    expect(err).toMatchObject({ code: 'CSDL_TRUNG_UONG_KHONG_SAN_SANG', status: 503 });
    expect((err as Error).message).toContain('chưa có gì thay đổi');
    expect(await queued()).toBe(queuedBefore);
    expect(await ctx.store.db.selectFrom('reconcile_runs').selectAll().execute()).toEqual(before);
  }, 60_000);

  it('--resend re-queues exactly what is missing or behind (once); --json has the counts; --all and the metric give the share', async () => {
    const file = path.join(tempDir(), 'ndxp.json');
    const c = ctx.config;
    writeFileSync(file, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, redisUrl: c.redisUrl, centralUrl: sim.url, doiSoat: { units: [ROOT] } }));
    const first = await ndxp(['reconcile', '--unit', ROOT, '--resend', '--json', '--config', file]);
    expect(first.code).toBe(0);
    const counts = JSON.parse(first.stdout);
    expect(counts).toMatchObject({ unit: ROOT, total: N, complete: 5000, missingAtCentre: 1000, centreBehind: 1000, differs: 1000, unknownToGateway: 1000, resent: 2000 - waitingMissing });
    expect(counts.lists).toBeUndefined();
    const again = JSON.parse((await ndxp(['reconcile', '--unit', ROOT, '--resend', '--json', '--config', file])).stdout);
    expect(again.resent).toBe(0);
    // The re-queued rows are the newest versions of exactly those people.
    const requeued = await ctx.store.db.selectFrom('outbox').select(['subject_id', 'version']).where('state', '=', 'queued').execute();
    expect(requeued.map((r) => r.subject_id).sort()).toEqual([...expected.missingAtCentre, ...expected.centreBehind].sort());
    for (const r of requeued) if (expected.centreBehind.includes(r.subject_id!)) expect(r.version).toBe(V2);

    const all = await ndxp(['reconcile', '--all', '--config', file]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`${ROOT.replace(/\./g, '\\.')}\\s+10000\\s+5000\\s+50\\.0%`));
    bindStoreGauges(ctx.store.db, ctx.config);
    expect(await registry.getSingleMetricAsString('ndxp_reconcile_complete_ratio')).toContain(`ndxp_reconcile_complete_ratio{unit="${ROOT}"} 0.5`);
    bindStoreGauges(undefined);
    expect((await ndxp(['reconcile', '--config', file])).code).toBe(2);
  }, 60_000);

  it('people whose newest record still names an old code that a rule re-homes into the unit are under old codes: counted, listed, not re-sent', async () => {
    const OLD_CHILD = '000.05.31.H07';
    await upsertRemapRule(ctx, { maCap1Cu: 'H07', maCap1Moi: 'H06', tuNgay: '2025-07-01' }, 'test');
    await upsertRemapRule(ctx, { maCap1Cu: 'H08', maCap1Moi: 'H06', tuNgay: '2999-01-01' }, 'test'); // not in force yet
    const old = [N + 100, N + 101, N + 102].map((i) => outboxRow(record(i, V1, OLD_CHILD), 'delivered'));
    await ctx.store.db.insertInto('outbox').values([...old, outboxRow(record(N + 103, V1, '000.05.31.H08'), 'delivered')]).execute();

    const r = await reconcileUnit(ctx, ROOT, { verbose: true, resend: true, pageSize: 5000 });
    expect(r).toMatchObject({ total: N + 3, underOldCodes: 3, complete: 5000, unknownToGateway: 1000, resent: 0 });
    expect(r.lists!.underOldCodes).toEqual(
      old.map((o) => ({ soDinhDanh: o.subject_id, maDonVi: OLD_CHILD, maDonViMoi: CHILD, gateway: { phienBan: V1, trackingId: o.tracking_id, state: 'delivered', bam: bam(record(Number(o.subject_id!.slice(4)), V1, OLD_CHILD)) } })),
    );
    expect(r.lists!.missingAtCentre.map((e) => e.soDinhDanh)).not.toContain(idOf(N + 103));
  }, 60_000);
});

describe('a record the centre lost', () => {
  // keepIdempotency: the centre restored its records from an old backup while its cache of
  // idempotency keys survived; re-sent under the old key it would answer the first answer again.
  it.each([
    ['everything', false],
    ['its records but not its idempotency keys', true],
  ])('shows as missing, is re-sent through the queue, and then reconciles complete (the centre lost %s)', async (_what, keepIdempotency) => {
    const h = await startHarness({ config: { doiSoat: { fetchIntervalMs: 0 } } });
    await h.signingCertFor('000.00.00.H06');
    const a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
    const xml = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', a.connectionKey);
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' }, body: xml });
    expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    // The centre loses its records (restored from an old backup) and gets its unit tree back.
    h.sim.wipe({ keepIdempotency });
    const api = simClient(h.sim.url, await centralClientIdentity(h.ctx));
    for (const u of SAMPLE_TREE) {
      const { maCu: _old, ...unit } = u as Record<string, unknown>;
      expect((await api.call('PUT', `/api/v1/units/${u.maDinhDanh}`, { body: unit })).status).toBe(201);
    }
    await api.close();
    expect(await reconcileUnit(h.ctx, ROOT, { resend: true })).toMatchObject({ total: 1, missingAtCentre: 1, complete: 0, resent: 1 });
    await eventually(async () => (await reconcileUnit(h.ctx, ROOT)).complete === 1, 15_000, 300);
    expect(h.sim.stats().appliedBySoDinhDanh?.['024085001234']).toBe(1);
  }, 60_000);
});
