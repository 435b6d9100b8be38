/**
 * The queue side of delivery with real Redis: accepting while Redis is unreachable (the outbox
 * keeps everything, the relay hands it over when Redis returns), Redis losing its data, and two
 * gateway processes sharing Redis and the store delivering each record once.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { CompiledQuery, KyselyPlugin } from 'kysely';
import { cleanup, onCleanup, REDIS_URL, STORE_KINDS } from './helpers/env.js';
import { deliveryEnv, eventually, newId, submission, type DeliveryEnv } from './delivery-helpers.js';
import type { ProfileSubmission } from '../gateway/delivery/types.js';
import { createDelivery } from '../gateway/delivery/delivery.js';

afterAll(cleanup);

/** A TCP forwarder in front of the machine's Redis that the test can take away and bring back (the real Redis is never touched). */
async function redisDoor(): Promise<{ url: string; open(): Promise<void>; shut(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const door = {
    url: `redis://127.0.0.1:${port}`,
    async open() {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async shut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    },
  };
  onCleanup(() => door.shut());
  return door;
}

describe.each(STORE_KINDS)('delivery queue with real Redis (%s)', (kind) => {
  let env: DeliveryEnv;

  beforeAll(async () => {
    env = await deliveryEnv(kind);
    // PKI set-up generates RSA keys: slow on a busy shared machine.
  }, 240_000);

  const appliedFor = (id: string) => env.sim.stats().appliedBySoDinhDanh?.[id] ?? 0;
  const many = (n: number, version: string) => Promise.all(Array.from({ length: n }, async () => submission(await env.signed(newId(), version))));

  it('Redis unreachable while accepting: rows stay in the outbox; when Redis returns the relay hands them over and all are delivered', async () => {
    const door = await redisDoor();
    const d = await env.start({ redisUrl: door.url, nodeName: 'door' });
    await env.sim.setFaults({ down: true });
    let items: ProfileSubmission[];
    try {
      items = await many(12, '2025-08-28T10:00:00+07:00');
      const outcomes = await d.submitProfiles(items, { deadlineMs: 1000 });
      expect(outcomes.every((o) => o.state === 'queued')).toBe(true);
      expect(d.queueReady()).toBe(false);
      const rows = await env.ctx.store.db.selectFrom('outbox').select(['state', 'enqueued']).where('tracking_id', 'in', items.map((i) => i.trackingId)).execute();
      expect(rows).toHaveLength(12);
      expect(rows.every((r) => Number(r.enqueued) === 0 && (r.state === 'queued' || r.state === 'pending'))).toBe(true);
      expect(await d.relayNow()).toBe(0);
    } finally {
      await env.sim.setFaults({});
    }
    // The central database is back but Redis is not: nothing moves (the queue is the only sender of queued rows).
    await door.open();
    await eventually(() => d.queueReady());
    await eventually(async () => (await d.track(items.map((i) => i.trackingId))).every((t) => t?.state === 'delivered'));
    expect((await d.track(items.map((i) => i.trackingId))).map((t) => t?.state)).toEqual(items.map(() => 'delivered'));
    for (const i of items) expect(appliedFor(i.record.soDinhDanh)).toBe(1);
    await d.close();
  });

  it('Redis restarted empty (it keeps nothing on disk): the relay notices and re-enqueues every waiting row', async () => {
    const d = await env.start({ nodeName: 'epoch' });
    await env.sim.setFaults({ down: true });
    let items: ProfileSubmission[];
    try {
      items = await many(5, '2025-08-29T10:00:00+07:00');
      expect((await d.submitProfiles(items, { deadlineMs: 1000 })).every((o) => o.state === 'queued')).toBe(true);
      await eventually(async () => {
        const rows = await env.ctx.store.db.selectFrom('outbox').select('enqueued').where('tracking_id', 'in', items.map((i) => i.trackingId)).execute();
        return rows.every((r) => Number(r.enqueued) === 1);
      });
      // Wipe this test's keys only (unique prefix); the machine's Redis is shared.
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${env.ctx.config.redisPrefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      await redis.quit();
    } finally {
      await env.sim.setFaults({});
    }
    await eventually(async () => (await d.track(items.map((i) => i.trackingId))).every((t) => t?.state === 'delivered'));
    expect((await d.track(items.map((i) => i.trackingId))).map((t) => t?.state)).toEqual(items.map(() => 'delivered'));
    for (const i of items) expect(appliedFor(i.record.soDinhDanh)).toBe(1);
    await d.close();
  });

  it('two gateway processes sharing Redis and the store deliver each record once', async () => {
    const a = await env.start({ nodeName: 'node-a' });
    const b = await env.start({ nodeName: 'node-b' });
    await env.sim.setFaults({ down: true });
    const before = env.sim.stats();
    let items: ProfileSubmission[];
    try {
      const first = await many(30, '2025-08-30T10:00:00+07:00');
      const second = await many(30, '2025-08-30T10:00:00+07:00');
      const [oa, ob] = await Promise.all([a.submitProfiles(first, { deadlineMs: 1000 }), b.submitProfiles(second, { deadlineMs: 1000 })]);
      expect([...oa, ...ob].every((o) => o.state === 'queued')).toBe(true);
      items = [...first, ...second];
    } finally {
      await env.sim.setFaults({});
    }
    await eventually(async () => (await a.track(items.map((i) => i.trackingId))).every((t) => t?.state === 'delivered'), 30_000);
    expect((await b.track(items.map((i) => i.trackingId))).every((t) => t?.state === 'delivered')).toBe(true);
    for (const i of items) expect(appliedFor(i.record.soDinhDanh)).toBe(1);
    const after = env.sim.stats();
    expect(after.duplicatesApplied).toBe(0);
    expect(after.applied - before.applied).toBe(60);
    // Each record reached the central database once: no idempotent replays were needed.
    expect(after.idempotency.replays - before.idempotency.replays).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('many records: one call goes out in batches of batchSize; queued rows of one unit ride along in batch calls', async () => {
    const d = await env.start({ nodeName: 'bulk', delivery: { batchSize: 200 } });
    const ops = () => env.sim.stats().requests.byOperation;
    // Synchronous: 450 records of one unit → 3 batch calls, every record answered.
    const sync = await many(450, '2025-09-10T10:00:00+07:00');
    const before = ops();
    const outcomes = await d.submitProfiles(sync, { deadlineMs: 20_000 });
    expect(outcomes.filter((o) => o.state === 'delivered')).toHaveLength(450);
    expect((ops().upsertProfiles ?? 0) - (before.upsertProfiles ?? 0)).toBe(3);
    expect((ops().upsertProfile ?? 0) - (before.upsertProfile ?? 0)).toBe(0);

    // Queued: accepted one by one while the central database is down, then delivered by the
    // workers in far fewer calls than records.
    const queued = await many(300, '2025-09-11T10:00:00+07:00');
    await env.sim.setFaults({ down: true });
    try {
      for (let i = 0; i < queued.length; i += 30) {
        const part = await d.submitProfiles(queued.slice(i, i + 30).map((q) => q), { deadlineMs: 300 });
        expect(part.every((o) => o.state === 'queued')).toBe(true);
      }
    } finally {
      await env.sim.setFaults({});
    }
    const mid = ops();
    await eventually(async () => (await d.track(queued.map((q) => q.trackingId))).every((t) => t?.state === 'delivered'), 40_000, 250);
    expect((await d.track(queued.map((q) => q.trackingId))).every((t) => t?.state === 'delivered')).toBe(true);
    const calls = (ops().upsertProfiles ?? 0) - (mid.upsertProfiles ?? 0) + (ops().upsertProfile ?? 0) - (mid.upsertProfile ?? 0);
    expect(calls).toBeLessThan(100);
    for (const q of [...sync, ...queued]) expect(appliedFor(q.record.soDinhDanh)).toBe(1);
    expect(env.sim.stats().duplicatesApplied).toBe(0);
    await d.close();
  }, 120_000);

  it('a process killed mid-send: its expired claims are taken over and delivered once (a resend is recognised)', async () => {
    // What a SIGKILLed gateway leaves behind: rows claimed by it ('delivering', never enqueued),
    // one of which it had already sent (the central database applied it, the answer was lost).
    const items = await many(4, '2025-09-12T10:00:00+07:00');
    const { acceptRows } = await import('../gateway/delivery/outbox.js');
    const { recordIdempotencyKey, versionMillis } = await import('../gateway/delivery/idempotency.js');
    const rows = items.map((i) => ({
      tracking_id: i.trackingId,
      kind: 'profile' as const,
      subject_id: i.record.soDinhDanh,
      record_id: null,
      version_ms: versionMillis(i.record.ngayCapNhat),
      version: i.record.ngayCapNhat,
      idempotency_key: recordIdempotencyKey('profile', i.record.soDinhDanh, i.record.ngayCapNhat, i.record),
      body: JSON.stringify(i.record),
      unit_code: i.origin.unitCode,
      software_id: i.origin.softwareId,
      key_id: i.origin.keyId,
      front: i.origin.front,
      request_id: i.origin.requestId,
    }));
    await acceptRows(env.ctx.store, rows, { claim: { owner: 'killed-node/dead/1', until: Date.now() - 1 } });
    const { createCentralClient } = await import('../gateway/delivery/central-client.js');
    const { centralClientIdentity } = await import('../certs/material.js');
    const raw = createCentralClient({ url: env.sim.url, token: env.ctx.config.centralToken, identity: await centralClientIdentity(env.ctx), timeoutMs: 5000 });
    expect((await raw.upsertProfile(rows[0].body, { idempotencyKey: rows[0].idempotency_key, unitCode: rows[0].unit_code })).outcome).toBe('delivered');
    await raw.close();
    const replaysBefore = env.sim.stats().idempotency.replays;

    const d = await env.start({ nodeName: 'restarted' });
    await eventually(async () => (await d.track(items.map((i) => i.trackingId))).every((t) => t?.state === 'delivered'));
    expect((await d.track(items.map((i) => i.trackingId))).map((t) => t?.state)).toEqual(items.map(() => 'delivered'));
    for (const i of items) expect(appliedFor(i.record.soDinhDanh)).toBe(1);
    // The resend of the already-applied record was recognised: an idempotent replay of the first
    // answer (sent alone, same key) or an equal version (sent in a batch, KHONG_DOI).
    const first = (await d.track([items[0].trackingId]))[0]!;
    const replayed = env.sim.stats().idempotency.replays - replaysBefore;
    expect(replayed >= 1 || first.central?.trangThai === 'KHONG_DOI').toBe(true);
    expect(env.sim.stats().duplicatesApplied).toBe(0);
    await d.close();
  });

  it('graceful close hands back what it could not finish; another process delivers it', async () => {
    const a = await env.start({ nodeName: 'closing-a', closeGraceMs: 300, worker: false, relay: false });
    await env.sim.setFaults({ hang: true });
    let item: ProfileSubmission;
    try {
      item = submission(await env.signed(newId(), '2025-08-31T10:00:00+07:00'));
      const [o] = await a.submitProfiles([item], { deadlineMs: 300 });
      expect(o.state).toBe('queued');
      expect((await a.track([item.trackingId]))[0]?.state).toBe('delivering');
      await a.close();
      await expect(a.submitProfiles([submission(await env.signed(newId(), '2025-08-31T10:00:00+07:00'))])).rejects.toMatchObject({ code: 'DANG_DUNG_DICH_VU' });
      const row = await env.ctx.store.db.selectFrom('outbox').select(['state', 'lease_owner', 'enqueued']).where('tracking_id', '=', item.trackingId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'queued', lease_owner: null });
      expect(Number(row.enqueued)).toBe(0);
    } finally {
      await env.sim.setFaults({});
    }
    const b = await env.start({ nodeName: 'closing-b' });
    await eventually(async () => (await b.track([item.trackingId]))[0]?.state === 'delivered');
    expect((await b.track([item.trackingId]))[0]?.state).toBe('delivered');
    expect(appliedFor(item.record.soDinhDanh)).toBe(1);
    await b.close();
  });

  it('graceful close: a hand-back the store refuses at first is retried, so no row stays "delivering"', async () => {
    // The store refuses the next `refuse` updates of the outbox (as a PostgreSQL out of
    // connections would); the hand-back at close used to swallow the failure. The outbox runs
    // most of its statements as fixed SQL text (core/store/fixed-sql.ts, through executeQuery)
    // and the rest through Kysely's builder: both roads are watched.
    let refuse = 0;
    const refuseNow = () => {
      refuse -= 1;
      throw new Error('connection refused (test)');
    };
    const refusing: KyselyPlugin = {
      transformQuery({ node }) {
        if (refuse > 0 && node.kind === 'UpdateQueryNode' && JSON.stringify(node.table).includes('"outbox"')) refuseNow();
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const base = env.deliveryCtx({ nodeName: 'closing-retry' });
    const plugged = base.store.db.withPlugin(refusing);
    const watched = new Proxy(plugged, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop === 'executeQuery') {
          return (query: CompiledQuery) => {
            if (refuse > 0 && /^\s*update\s+"?outbox"?\s/i.test(query.sql)) refuseNow();
            return target.executeQuery(query);
          };
        }
        // Kysely keeps its state in private fields: its methods must run on the real instance.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const a = await createDelivery({ ...base, store: { ...base.store, db: watched } }, { closeGraceMs: 300, worker: false, relay: false });
    onCleanup(() => a.close());
    await env.sim.setFaults({ hang: true });
    try {
      const item = submission(await env.signed(newId(), '2025-08-31T11:00:00+07:00'));
      expect((await a.submitProfiles([item], { deadlineMs: 300 }))[0].state).toBe('queued');
      refuse = 1;
      await a.close();
      expect(refuse).toBe(0);
      // Handed back (no attempt counted, no job: any process picks it up), not left `delivering`
      // until the hung call's late failure happened to record an attempt over the same claim.
      const row = await env.ctx.store.db.selectFrom('outbox').select(['state', 'lease_owner', 'attempts', 'enqueued']).where('tracking_id', '=', item.trackingId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'queued', lease_owner: null });
      expect(Number(row.attempts)).toBe(0);
      expect(Number(row.enqueued)).toBe(0);
    } finally {
      await env.sim.setFaults({});
    }
  });
});
