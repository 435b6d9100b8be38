/**
 * Coalescing of concurrent single-record sends (gateway/delivery/coalesce.ts) against the real
 * central simulator over mTLS, both stores: records of one lane that arrive while a call of that
 * lane is out wait and go out together as one batch call; every record is applied once and every
 * caller hears its own record's outcome — also with a per-record refusal inside the batch, a
 * centre outage while rows wait (the breaker hands them back to the queue) and a close that runs
 * out of time while rows wait (handed back, never sent by the closing process).
 *
 * The first call of each scenario is held at the simulator (a one-shot latency fault), so the
 * records submitted meanwhile certainly find their lane busy; nothing here measures time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, STORE_KINDS } from './helpers/env.js';
import { deliveryEnv, eventually, newId, submission, type DeliveryEnv } from './delivery-helpers.js';
import type { DeliveryService } from '../gateway/delivery/delivery.js';
import type { ProfileSubmission } from '../gateway/delivery/types.js';
import { searchAudit } from '../gateway/audit/search.js';

afterAll(cleanup);

describe.each(STORE_KINDS)('coalesced delivery (%s)', (kind) => {
  let env: DeliveryEnv;

  beforeAll(async () => {
    env = await deliveryEnv(kind);
    // PKI set-up generates RSA keys: slow on a busy shared machine.
  }, 240_000);

  const appliedFor = (id: string) => env.sim.stats().appliedBySoDinhDanh?.[id] ?? 0;
  const calls = () => {
    const ops = env.sim.stats().requests.byOperation;
    return { single: ops.upsertProfile ?? 0, batch: ops.upsertProfiles ?? 0 };
  };
  const many = (n: number, version: string) => Promise.all(Array.from({ length: n }, async () => submission(await env.signed(newId(), version))));
  const rowOf = (id: string) => env.ctx.store.db.selectFrom('outbox').select(['state', 'lease_owner', 'attempts']).where('tracking_id', '=', id).executeTakeFirstOrThrow();

  /**
   * Submits `first` alone with its call held at the simulator (delayed by `hold` ms, or never
   * answered), then `rest` one record per call while it is held.
   */
  async function behindHeldCall(d: DeliveryService, first: ProfileSubmission, rest: ProfileSubmission[], hold: number | 'hang', deadlineMs?: number) {
    await env.sim.setFaults(hold === 'hang' ? { hang: { count: 1 } } : { latencyMs: { ms: hold, count: 1 } });
    const opts = deadlineMs === undefined ? {} : { deadlineMs };
    const firstOutcome = d.submitProfiles([first], opts);
    // The first record is claimed and its call on the way before the others arrive.
    await eventually(async () => (await rowOf(first.trackingId).catch(() => undefined))?.state === 'delivering', 10_000, 10);
    const restOutcomes = rest.map((item) => d.submitProfiles([item], opts));
    return { firstOutcome, restOutcomes };
  }

  it('concurrent single-record calls go out together in fewer calls; each caller hears its own record; one refusal stays with its record', async () => {
    const d = await env.start({ nodeName: 'coalesce-a' });
    const first = submission(await env.signed(newId(), '2025-10-01T10:00:00+07:00'));
    const rest = await many(24, '2025-10-01T10:00:00+07:00');
    // One record whose signature no longer matches (changed after signing): the centre refuses
    // that record alone inside the batch (KHONG_HOP_LE / CHU_KY_SAI), the others are applied.
    const bad = submission({ ...(await env.signed(newId(), '2025-10-01T10:00:00+07:00')), hoVaTen: 'Trần Thị Sửa Sau Khi Ký' });
    rest.splice(11, 0, bad);
    const before = calls();
    const { firstOutcome, restOutcomes } = await behindHeldCall(d, first, rest, 1500);
    const [[o0], others] = await Promise.all([firstOutcome, Promise.all(restOutcomes)]);
    const after = calls();

    // 26 single-record calls from the legacy software, far fewer calls to the centre.
    const made = after.single - before.single + (after.batch - before.batch);
    expect(made).toBeGreaterThanOrEqual(2);
    expect(made).toBeLessThan(13);
    expect(after.batch - before.batch).toBeGreaterThanOrEqual(1);

    // Each caller got its own record's answer.
    expect(o0).toMatchObject({ trackingId: first.trackingId, state: 'delivered', central: { soDinhDanh: first.record.soDinhDanh } });
    rest.forEach((item, i) => {
      const [o] = others[i];
      expect(o.trackingId).toBe(item.trackingId);
      if (item === bad) {
        expect(o.state).toBe('rejected');
        expect(o.message).toMatch(/CHU_KY_SAI|KHONG_HOP_LE/);
      } else {
        expect(o).toMatchObject({ state: 'delivered', central: { trangThai: 'DA_TAO', soDinhDanh: item.record.soDinhDanh } });
      }
    });
    for (const item of [first, ...rest]) expect(appliedFor(item.record.soDinhDanh)).toBe(item === bad ? 0 : 1);
    expect(env.sim.stats().duplicatesApplied).toBe(0);

    // Bookkeeping per row, under each caller's own claim: one attempt each, claim let go, one
    // delivery audit entry per record (a coalesced record's entry names the batch call).
    for (const item of [first, ...rest]) {
      const row = await rowOf(item.trackingId);
      expect(row).toMatchObject({ state: item === bad ? 'rejected' : 'delivered', lease_owner: null });
      expect(Number(row.attempts)).toBe(1);
    }
    await env.ctx.audit.flush();
    const coalesced = rest.find((item) => item !== bad)!;
    const entries = await searchAudit(env.ctx.store, env.ctx.config, { trackingId: coalesced.trackingId, kind: 'delivery' });
    expect(entries.items).toHaveLength(1);
    expect(entries.items[0]).toMatchObject({ operation: 'upsertProfiles', outcome: 'delivered' });
    await d.close();
  }, 60_000);

  it('centre outage while rows wait: the breaker opens, waiting rows go back to the queue, callers hear "queued", all are delivered once afterwards', async () => {
    const d = await env.start({ nodeName: 'coalesce-outage', delivery: { breakerFailureThreshold: 1, breakerOpenMs: 500 } });
    const first = submission(await env.signed(newId(), '2025-10-02T10:00:00+07:00'));
    const rest = await many(12, '2025-10-02T10:00:00+07:00');
    const before = calls();
    let outcomes: string[];
    try {
      // Held without an answer: the outage destroys it unprocessed (a delayed write would still be
      // applied, and counted, by the simulator after its delay).
      const { firstOutcome, restOutcomes } = await behindHeldCall(d, first, rest, 'hang');
      // Every record is accepted (claimed) and waits behind the held call; then the centre goes down.
      await eventually(async () => (await Promise.all(rest.map((r) => rowOf(r.trackingId).catch(() => undefined)))).every((r) => r?.state === 'delivering'), 10_000, 20);
      await env.sim.setFaults({ down: true });
      outcomes = (await Promise.all([firstOutcome, ...restOutcomes])).map(([o]) => o.state);
      // The held call failed and opened the breaker: the waiting rows were not sent at all.
      const after = calls();
      expect(after.batch - before.batch).toBe(0);
    } finally {
      await env.sim.setFaults({});
    }
    // Nothing was lost and nothing was answered wrongly.
    expect(outcomes).toEqual(outcomes.map(() => 'queued'));
    const ids = [first, ...rest].map((i) => i.trackingId);
    await eventually(async () => (await d.track(ids)).every((t) => t?.state === 'delivered'), 30_000, 200);
    expect((await d.track(ids)).map((t) => t?.state)).toEqual(ids.map(() => 'delivered'));
    for (const item of [first, ...rest]) expect(appliedFor(item.record.soDinhDanh)).toBe(1);
    expect(env.sim.stats().duplicatesApplied).toBe(0);
    await d.close();
  }, 60_000);

  it('close runs out of time while rows wait in a lane: they are handed back unsent, every claim is let go, another process delivers them once', async () => {
    const a = await env.start({ nodeName: 'coalesce-closing', closeGraceMs: 300, worker: false, relay: false });
    const first = submission(await env.signed(newId(), '2025-10-03T10:00:00+07:00'));
    const rest = await many(6, '2025-10-03T10:00:00+07:00');
    const before = calls();
    const { firstOutcome, restOutcomes } = await behindHeldCall(a, first, rest, 3000, 200);
    const answered = (await Promise.all([firstOutcome, ...restOutcomes])).map(([o]) => o.state);
    expect(answered.every((s) => s === 'queued')).toBe(true);
    await a.close();
    // The closing process sent only the held call: the waiting rows never went out from it.
    const after = calls();
    expect(after.batch - before.batch).toBe(0);
    expect(after.single - before.single).toBe(1);
    for (const item of [first, ...rest]) expect(await rowOf(item.trackingId)).toMatchObject({ state: 'queued', lease_owner: null });

    const b = await env.start({ nodeName: 'coalesce-after-close' });
    const ids = [first, ...rest].map((i) => i.trackingId);
    await eventually(async () => (await b.track(ids)).every((t) => t?.state === 'delivered'), 30_000, 200);
    expect((await b.track(ids)).map((t) => t?.state)).toEqual(ids.map(() => 'delivered'));
    for (const item of [first, ...rest]) expect(appliedFor(item.record.soDinhDanh)).toBe(1);
    expect(env.sim.stats().duplicatesApplied).toBe(0);
    await b.close();
  }, 60_000);
});
