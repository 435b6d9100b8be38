/**
 * What operators see of delivery: queue depth by state, the oldest waiting record, the delivery
 * rate over the last minutes, every node's circuit breaker (each process writes a snapshot to
 * the `settings` table when its breaker changes) and the dead letters with their reasons.
 */
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AppContext } from '../../core/context.js';
import { usesRedis } from '../../config/config.js';
import type { Store } from '../../core/store/db.js';
import type { BreakerSnapshot } from './breaker.js';
import { QUEUE_NAME } from './queue.js';
import { countByState, deadRows, deliveredSince, oldestWaiting } from './outbox.js';
import { pingRedis, redisProblem, type RedisProblemCode } from '../redis/check.js';

const BREAKER_PREFIX = 'delivery.breaker.';
/** How often a running node re-writes its breaker snapshot; older than three beats = the node is gone. */
export const BREAKER_HEARTBEAT_MS = 30_000;

export async function saveBreakerSnapshot(store: Store, snap: BreakerSnapshot): Promise<void> {
  const name = BREAKER_PREFIX + snap.node;
  const value = JSON.stringify(snap);
  const now = Date.now();
  await store.db
    .insertInto('settings')
    .values({ name, value, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
    .execute();
}

export async function deleteBreakerSnapshot(store: Store, node: string): Promise<void> {
  await store.db.deleteFrom('settings').where('name', '=', BREAKER_PREFIX + node).execute();
}

export async function breakerSnapshots(store: Store): Promise<(BreakerSnapshot & { stale: boolean })[]> {
  const rows = await store.db.selectFrom('settings').select(['value', 'updated_at']).where('name', 'like', `${BREAKER_PREFIX}%`).execute();
  const now = Date.now();
  return rows
    .map((r) => ({ ...(JSON.parse(r.value) as BreakerSnapshot), stale: now - Number(r.updated_at) > 3 * BREAKER_HEARTBEAT_MS }))
    .sort((a, b) => a.node.localeCompare(b.node));
}

export interface QueueStatus {
  /** `redis`: BullMQ schedules the retries; `embedded`: no Redis, the outbox itself is the queue (store-queue.ts). */
  mode: 'redis' | 'embedded';
  /** Outbox rows per state. */
  depth: Record<string, number>;
  /** Rows still to be delivered (pending + queued + delivering). */
  waiting: number;
  oldestWaiting?: { trackingId: string; createdAt: string; ageSeconds: number };
  /** Records delivered per minute, averaged over the last 1, 5 and 15 minutes. */
  ratePerMinute: { last1: number; last5: number; last15: number };
  /** Every node's breaker; `stale`: no heartbeat for 90 s (the process is gone or hung). */
  breakers: (BreakerSnapshot & { stale: boolean })[];
  /**
   * The BullMQ queue as Redis sees it; reachable false when Redis is down or does not answer
   * (the outbox still holds everything), with the operator's code and message.
   */
  redis: { reachable: boolean; jobs?: Record<string, number>; code?: RedisProblemCode; message?: string };
}

export async function queueStatus(ctx: AppContext, options: { redis?: boolean } = {}): Promise<QueueStatus> {
  const db = ctx.store.db;
  const depth = await countByState(db);
  const waiting = (depth.pending ?? 0) + (depth.queued ?? 0) + (depth.delivering ?? 0);
  const oldest = await oldestWaiting(db);
  const now = Date.now();
  const perMinute = async (minutes: number) => Math.round(((await deliveredSince(db, now - minutes * 60_000)) / minutes) * 10) / 10;
  const status: QueueStatus = {
    depth,
    waiting,
    oldestWaiting: oldest
      ? { trackingId: oldest.tracking_id, createdAt: new Date(Number(oldest.created_at)).toISOString(), ageSeconds: Math.round((now - Number(oldest.created_at)) / 1000) }
      : undefined,
    ratePerMinute: { last1: await perMinute(1), last5: await perMinute(5), last15: await perMinute(15) },
    breakers: await breakerSnapshots(ctx.store),
    mode: usesRedis(ctx.config) ? 'redis' : 'embedded',
    redis: { reachable: false },
  };
  if (options.redis !== false && usesRedis(ctx.config)) status.redis = await redisJobCounts(ctx, ctx.config.redisUrl);
  return status;
}

/** How long `queue status` gives Redis, in all (a hung Redis must not hang the operator's verb). */
const REDIS_STATUS_TIMEOUT_MS = 2000;

async function redisJobCounts(ctx: AppContext, url: string): Promise<QueueStatus['redis']> {
  const answer = await pingRedis(url, REDIS_STATUS_TIMEOUT_MS);
  if (answer.state !== 'ok') return { reachable: false, ...redisProblem(url, answer) };
  // It answered a PING just now; the counts still get one overall deadline (it may hang meanwhile).
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: REDIS_STATUS_TIMEOUT_MS,
    commandTimeout: REDIS_STATUS_TIMEOUT_MS,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  let queue: Queue | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const jobs = await Promise.race([
      (async () => {
        await redis.connect();
        const { Queue } = await import('bullmq');
        queue = new Queue(QUEUE_NAME, { connection: redis, prefix: ctx.config.redisPrefix });
        queue.on('error', () => undefined);
        return queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Command timed out')), REDIS_STATUS_TIMEOUT_MS * 2);
      }),
    ]);
    return { reachable: true, jobs };
  } catch (err) {
    const hung = /timed? ?out/i.test((err as Error).message);
    return { reachable: false, ...redisProblem(url, hung ? { state: 'hung', reason: `nhận kết nối nhưng không trả lời trong ${REDIS_STATUS_TIMEOUT_MS * 2} ms` } : { state: 'unreachable', reason: (err as Error).message }) };
  } finally {
    clearTimeout(timer);
    redis.disconnect();
    if (queue) void queue.close().catch(() => undefined);
  }
}

/** Personal ids in operator listings: enough to recognise, not to copy (the audit trail keeps the searchable digest). */
export function maskPersonalId(id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  return id.length <= 6 ? '*'.repeat(id.length) : `${id.slice(0, 3)}${'*'.repeat(id.length - 6)}${id.slice(-3)}`;
}

export interface DeadLetter {
  trackingId: string;
  kind: string;
  soDinhDanh?: string;
  maDinhDanh?: string;
  unitCode: string;
  attempts: number;
  reason: string;
  lastError?: string;
  httpStatus?: number;
  createdAt: string;
  deadSince: string;
}

export async function listDead(ctx: AppContext, options: { limit?: number; unit?: string } = {}): Promise<DeadLetter[]> {
  const rows = await deadRows(ctx.store.db, { limit: options.limit ?? 100, unit: options.unit });
  return rows.map((r) => ({
    trackingId: r.tracking_id,
    kind: r.kind,
    soDinhDanh: r.kind === 'profile' ? maskPersonalId(r.subject_id) : undefined,
    maDinhDanh: r.kind === 'unit' ? (r.subject_id ?? undefined) : undefined,
    unitCode: r.unit_code,
    attempts: Number(r.attempts),
    reason: r.reason ?? '',
    lastError: r.last_error ?? undefined,
    httpStatus: r.http_status ?? undefined,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    deadSince: new Date(Number(r.updated_at)).toISOString(),
  }));
}
