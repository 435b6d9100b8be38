/**
 * The relay: every `relayIntervalMs` it gives every waiting outbox row a queue job if it has
 * none — rows accepted while Redis was down, rows whose job Redis lost (the local Redis keeps
 * nothing on disk), rows of a process that died holding a claim. Job id = tracking id, so two
 * relays (two gateway processes) adding the same job is a no-op, and the send claim decides who
 * sends.
 *
 * Redis losing its data is detected with an epoch marker: a random value the relay sets once;
 * when it is gone (or different) every waiting row is re-enqueued.
 */
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import type { Producer } from './queue.js';
import { forgetEnqueued, markEnqueued, overdueRows, reclaimExpired, rowsNeedingJobs } from './outbox.js';
import { isRedisTimeout, redisHealthFor } from '../redis/health.js';

export interface Relay {
  /** One pass now; resolves to the number of rows handed to the queue. */
  runOnce(): Promise<number>;
  stop(): void;
  /** Resolves when a pass in progress has finished after stop(). */
  stopped(): Promise<void>;
}

const PASS_LIMIT = 1000;
const MAX_ROWS_PER_TICK = 20_000;
const OVERDUE_MS = 5 * 60_000;

export function startRelay(ctx: AppContext, producer: Producer, options: { intervalMs: number }): Relay {
  const epochKey = `${ctx.config.redisPrefix}:delivery:epoch`;
  let seenEpoch: string | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function checkEpoch(): Promise<void> {
    let epoch = await producer.redis.get(epochKey);
    if (epoch === null) {
      // First start against this Redis, or Redis restarted empty: claim a new epoch. Every relay
      // that sees it missing re-enqueues; job-id dedupe makes that harmless.
      await producer.redis.set(epochKey, randomBytes(8).toString('hex'), 'NX');
      epoch = await producer.redis.get(epochKey);
      const n = await forgetEnqueued(ctx.store.db);
      if (n > 0) ctx.log.warn('Hàng đợi Redis trống, đưa lại các hồ sơ đang chờ vào hàng đợi', { code: 'HANG_DOI_MAT_DU_LIEU', rows: n });
    } else if (seenEpoch !== undefined && epoch !== seenEpoch) {
      const n = await forgetEnqueued(ctx.store.db);
      ctx.log.warn('Redis đã khởi động lại, đưa lại các hồ sơ đang chờ vào hàng đợi', { code: 'HANG_DOI_MAT_DU_LIEU', rows: n });
    }
    seenEpoch = epoch ?? undefined;
  }

  async function pass(): Promise<number> {
    if (!producer.ready) return 0;
    let moved = 0;
    try {
      await checkEpoch();
      const reclaimed = await reclaimExpired(ctx.store.db);
      if (reclaimed > 0) ctx.log.warn('Lấy lại hồ sơ của tiến trình gửi đã dừng', { code: 'THU_HOI_QUYEN_GUI', rows: reclaimed });
      // Safety net: a job on record but long overdue (its job was removed behind our back).
      const overdue = await overdueRows(ctx.store.db, OVERDUE_MS, PASS_LIMIT);
      if (overdue.length) moved += (await producer.add(overdue.map((r) => ({ trackingId: r.tracking_id, notBefore: 0 })))).length;
      while (!stopped && moved < MAX_ROWS_PER_TICK) {
        const rows = await rowsNeedingJobs(ctx.store.db, PASS_LIMIT);
        if (rows.length === 0) break;
        const added = await producer.add(rows.map((r) => ({ trackingId: r.tracking_id, notBefore: Number(r.next_attempt_at) })));
        if (added.length === 0) break; // Redis went away mid-pass; next tick
        await markEnqueued(ctx.store.db, added);
        moved += added.length;
        if (rows.length < PASS_LIMIT) break;
      }
    } catch (err) {
      // A command that waited its full timeout on a ready connection: Redis hangs (the producer
      // stops being ready until Redis answers again, so the next passes skip at once).
      if (isRedisTimeout(err) && producer.redis.status === 'ready') redisHealthFor(ctx).reportHang('relay');
      ctx.log.warn('Lượt chuyển hồ sơ vào hàng đợi thất bại', { err: err as Error });
    }
    if (moved > 0) ctx.log.info('Đã chuyển hồ sơ vào hàng đợi', { rows: moved });
    return moved;
  }

  const runOnce = (): Promise<number> => {
    if (running) return running;
    running = pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, Math.max(50, options.intervalMs));
  timer.unref();
  // A restarted gateway picks up what it left at once, not one interval later.
  setImmediate(() => {
    if (!stopped) void runOnce();
  });

  return {
    runOnce,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    async stopped() {
      await running?.catch(() => undefined);
    },
  };
}
