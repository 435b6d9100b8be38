/**
 * Abuse protection on the data plane's hot path: rate limits per connection key and per unit,
 * concurrent requests per key, and the lockout of key guessing. The pipeline calls, in order:
 *
 *   assertNotLockedOut({certSerial, remoteAddress})   before validating the connection key
 *   noteInvalidKey({certSerial, remoteAddress})       when the key was refused (then answer the refusal)
 *   const release = acquireSlot(identity.keyId, identity.limits?.concurrentPerKey)
 *   await consume({keyId, unitCode, records, overrides: identity.limits})   once the records are counted
 *   release()                                          when the answer is sent (finally)
 *
 * Every refusal is a GatewayError (VUOT_HAN_MUC with retryAfterSeconds, QUA_NHIEU_YEU_CAU_DONG_THOI,
 * KHOA_KET_NOI_BI_KHOA with retryAfterSeconds) that the protocol fronts render.
 */
import type { Redis } from 'ioredis';
import type { AppContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { usesRedis } from '../../config/config.js';
import { createRateLimitRedis, waitForRedis } from './redis.js';
import { redisHealthFor } from '../redis/health.js';
import { RateLimits, type Dimension, type Refusal } from './limits.js';
import { ConcurrencySlots } from './concurrency.js';
import { LockoutStoreUnavailable, LockoutTracker, lockoutId, normalizeLockoutId, type InvalidKeyOutcome, type Lockout, type LockoutClient } from './lockout.js';

export { LockoutStoreUnavailable, lockoutId, normalizeLockoutId, type Lockout, type LockoutClient, type InvalidKeyOutcome } from './lockout.js';

/** A key's own limits (the key record's `limits` JSON, owned by gateway/keys); absent fields use the configured defaults. */
export type { KeyLimits } from '../keys/types.js';
import type { KeyLimits } from '../keys/types.js';

export interface ConsumeRequest {
  keyId: string;
  unitCode: string;
  /** Records in this call (0 for reads such as a status query). */
  records: number;
  overrides?: KeyLimits | null;
}

/** Why a request was refused; the label of the `ndxp_rate_limited_total` metric. */
export type LimitReason = 'requests' | 'records' | 'unit' | 'concurrency' | 'lockout';

export interface RateLimitStats {
  limited: Record<LimitReason, number>;
  /** Invalid connection keys counted towards lockouts. */
  invalidKeys: number;
  /** Lockouts started by this node. */
  lockoutsStarted: number;
  /** Rate-limit decisions taken from this node's memory because Redis was not ready. */
  memoryDecisions: number;
  /** Times this limiter found Redis connected but not answering within redisCommandTimeoutMs (it then marked Redis as hung for the whole process). */
  redisHangs: number;
  /** Redis is known to hang right now: limits and lockouts are decided from memory without asking it. */
  redisHung: boolean;
  /** Requests currently holding a concurrency slot on this node. */
  inFlight: number;
  /** Redis reachable right now (false also when running without Redis). */
  redisConnected: boolean;
}

export interface RateLimiterOptions {
  /**
   * Redis connection to use: an ioredis client (borrowed: not closed by close(); it should be
   * created with enableOfflineQueue:false and a commandTimeout, see redis.ts), `null` for
   * memory-only limits (a single node), or absent to connect to config.redisUrl.
   */
  redis?: Redis | null;
  /** Called for every refusal, e.g. to increment a prom-client counter. */
  onLimited?: (reason: LimitReason) => void;
}

export interface RateLimiter {
  consume(request: ConsumeRequest): Promise<void>;
  acquireSlot(keyId: string, max?: number | null): () => void;
  noteInvalidKey(client: LockoutClient): Promise<InvalidKeyOutcome>;
  assertNotLockedOut(client: LockoutClient): Promise<void>;
  listLockouts(): Promise<Lockout[]>;
  /** Lifts a lockout (recorded as an admin action); resolves what was lifted, or null if there was none. */
  liftLockout(id: string, actor: string): Promise<Lockout | null>;
  stats(): RateLimitStats;
  /** Waits until Redis is connected and answers; false after timeoutMs or when running without Redis. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

const REASON: Record<Dimension, LimitReason> = {
  'key-requests': 'requests',
  'key-records': 'records',
  'unit-requests': 'unit',
  'unit-records': 'unit',
};

const registry = new WeakMap<AppContext, RateLimiter>();

/** The rate limiter this process built for ctx (so the admin API sees the data plane's), creating one if none. */
export function rateLimiterFor(ctx: AppContext): RateLimiter {
  return registry.get(ctx) ?? createRateLimiter(ctx);
}

export function createRateLimiter(ctx: AppContext, options: RateLimiterOptions = {}): RateLimiter {
  const { config } = ctx;
  const log = ctx.log.child({ area: 'ratelimit' });
  const ownsRedis = options.redis === undefined;
  // Embedded mode (no REDIS_URL): one node, limits and lockouts in this process's memory.
  const redis: Redis | null = options.redis === undefined ? (usesRedis(config) ? createRateLimitRedis(config, log) : null) : options.redis;
  const limits = new RateLimits(config, redis);
  // Shared with delivery: one detected hang makes every part of this process skip Redis.
  const health = redis ? redisHealthFor(ctx) : null;
  const detach = redis && health ? health.attach(redis, { manage: ownsRedis }) : () => undefined;
  const redisAnswers = () => !health?.hung;
  const slots = new ConcurrencySlots();
  const counters = {
    limited: { requests: 0, records: 0, unit: 0, concurrency: 0, lockout: 0 } as Record<LimitReason, number>,
    invalidKeys: 0,
    lockoutsStarted: 0,
    memoryDecisions: 0,
  };
  const lockouts = new LockoutTracker(
    config,
    redis,
    (id, seconds) => {
      counters.lockoutsStarted += 1;
      log.warn('Tạm khóa kết nối do nhập sai mã kết nối nhiều lần', { code: 'KHOA_KET_NOI_BI_KHOA', lockout: id, seconds });
    },
    redisAnswers,
  );
  const limited = (reason: LimitReason) => {
    counters.limited[reason] += 1;
    options.onLimited?.(reason);
  };
  const redisConnected = () => redis !== null && redis.status === 'ready' && redisAnswers();
  let hangsDetected = 0;
  /**
   * A Redis that accepts the connection but does not answer (paused, failing over) would cost
   * every request the full command timeout. When a check took that long while the connection
   * looked ready, report the hang: the shared health state drops the connection and, until a
   * probe gets an answer again, limits and lockouts are decided from memory at once.
   */
  const watchForHang = (startedAt: number) => {
    if (!redis || !health || redis.status !== 'ready' || health.hung) return;
    if (Date.now() - startedAt < config.rateLimit.redisCommandTimeoutMs) return;
    hangsDetected += 1;
    log.warn('Redis của giới hạn tần suất không trả lời kịp; tạm dùng giới hạn trong bộ nhớ', {
      code: 'REDIS_KHONG_TRA_LOI',
      timeoutMs: config.rateLimit.redisCommandTimeoutMs,
    });
    health.reportHang('giới hạn tần suất');
  };

  /** Operator reads and writes of lockouts: a timeout there is a hang too (tell the rest of the process). */
  const reportingHangs = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LockoutStoreUnavailable && err.code === 'REDIS_KHONG_PHAN_HOI') health?.reportHang('danh sách tạm khóa');
      throw err;
    }
  };

  /** Runs the checks of one level together (one Redis round trip); refuses with the longest wait. */
  const level = async (checks: Promise<Refusal | null>[], what: string): Promise<void> => {
    const results = await Promise.allSettled(checks);
    let refusal: Refusal | null = null;
    for (const r of results) {
      if (r.status === 'rejected') {
        // Neither Redis nor the memory fallback answered: let the request through rather than
        // turn a limiter fault into an outage, but say so.
        log.error('Lỗi bộ giới hạn tần suất; cho qua yêu cầu', { err: r.reason as Error, what });
        continue;
      }
      if (r.value && (!refusal || r.value.msBeforeNext > refusal.msBeforeNext)) refusal = r.value;
    }
    if (!refusal) return;
    const reason = REASON[refusal.dimension];
    limited(reason);
    const retryAfterSeconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
    throw new GatewayError('VUOT_HAN_MUC', { retryAfterSeconds }, `${refusal.dimension} over ${refusal.rate}/s for ${what}`);
  };

  const consumeAll = async ({ keyId, unitCode, records, overrides }: ConsumeRequest): Promise<void> => {
    const rl = config.rateLimit;
    if (redis && !redisConnected()) counters.memoryDecisions += 1;
    const inMemory = !redisAnswers();
    const n = Math.max(0, Math.floor(records));
    const requestRate = positive(overrides?.requestsPerSecond) ?? rl.requestsPerSecond;
    const recordRate = positive(overrides?.recordsPerSecond) ?? rl.recordsPerSecond;
    const burstSeconds = positive(overrides?.burstSeconds) ?? rl.burstSeconds;
    // The key's own limits first; only calls within them count against the unit, so one key
    // hammering never uses up the allowance of the other software of its unit.
    const keyChecks = [limits.take('key-requests', keyId, requestRate, 1, burstSeconds, inMemory)];
    if (n > 0) keyChecks.push(limits.take('key-records', keyId, recordRate, n, burstSeconds, inMemory));
    await level(keyChecks, `key ${keyId}`);
    const unitChecks = [limits.take('unit-requests', unitCode, rl.unitRequestsPerSecond, 1, undefined, inMemory)];
    if (n > 0) unitChecks.push(limits.take('unit-records', unitCode, rl.unitRecordsPerSecond, n, undefined, inMemory));
    await level(unitChecks, `unit ${unitCode}`);
  };

  const limiter: RateLimiter = {
    async consume(request) {
      const startedAt = Date.now();
      try {
        await consumeAll(request);
      } finally {
        watchForHang(startedAt);
      }
    },

    acquireSlot(keyId, max) {
      try {
        return slots.acquire(keyId, positive(max ?? undefined) ?? config.rateLimit.concurrentPerKey);
      } catch (err) {
        limited('concurrency');
        throw err;
      }
    },

    async noteInvalidKey(client) {
      counters.invalidKeys += 1;
      const startedAt = Date.now();
      try {
        return await lockouts.noteInvalidKey(client);
      } finally {
        watchForHang(startedAt);
      }
    },

    async assertNotLockedOut(client) {
      const startedAt = Date.now();
      const retryAfterSeconds = await lockouts.retryAfter(client);
      watchForHang(startedAt);
      if (retryAfterSeconds > 0) {
        limited('lockout');
        throw new GatewayError('KHOA_KET_NOI_BI_KHOA', { retryAfterSeconds }, `lockout ${lockoutId(client)}`);
      }
    },

    listLockouts: () => reportingHangs(() => lockouts.list()),

    async liftLockout(rawId, actor) {
      const id = normalizeLockoutId(rawId);
      const lifted = await reportingHangs(() => lockouts.lift(id));
      ctx.audit.record({
        kind: 'admin',
        operation: 'keys.unlock',
        actor,
        target: id,
        outcome: lifted ? 'ok' : 'not-found',
        ...(lifted ? { details: { level: lifted.level, lockedUntil: lifted.lockedUntil, source: lifted.source } } : {}),
      });
      if (lifted) log.info('Đã gỡ tạm khóa kết nối', { lockout: id, actor });
      return lifted;
    },

    stats: () => ({
      limited: { ...counters.limited },
      invalidKeys: counters.invalidKeys,
      lockoutsStarted: counters.lockoutsStarted,
      memoryDecisions: counters.memoryDecisions,
      redisHangs: hangsDetected,
      redisHung: health?.hung ?? false,
      inFlight: slots.total(),
      redisConnected: redisConnected(),
    }),

    async ready(timeoutMs = 2000) {
      if (!redis) return false;
      const deadline = Date.now() + timeoutMs;
      // First Redis must answer again (a hang ends with the probe), then this connection be re-made.
      if (health && !(await health.whenAnswering(timeoutMs))) return false;
      return (await waitForRedis(redis, Math.max(0, deadline - Date.now()))) && redisConnected();
    },

    async close() {
      if (registry.get(ctx) === limiter) registry.delete(ctx);
      detach();
      if (redis && ownsRedis) {
        await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
  if (!registry.has(ctx)) registry.set(ctx, limiter);
  return limiter;
}

function positive(value: number | undefined | null): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
