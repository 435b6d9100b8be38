/**
 * Requests and records per second, per connection key and per unit, with a burst allowance.
 *
 * Each limit is a rate-limiter-flexible BurstyRateLimiter: a one-second window of `rate` points,
 * and behind it a burst pool of `rate × (burstSeconds − 1)` points that refills every
 * `burstWindowSeconds`. A client that was quiet may therefore send `burstSeconds` seconds' worth
 * at once; a client that keeps sending gets `rate` per second, plus at most one burst pool per
 * burst window (with the defaults 2 s / 10 s: a sustained ceiling of 1.1 × rate).
 *
 * The counters live in Redis, so every gateway node draws from the same allowance. While Redis
 * is unreachable (or known to hang, see gateway/redis/health.ts), each limiter's insurance limiter (RateLimiterMemory) answers from this
 * process's memory, sized limit / (expectedNodes × data-plane worker processes per node), so that
 * all processes together stay near the configured limit.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../config/config.js';

export type Dimension = 'key-requests' | 'key-records' | 'unit-requests' | 'unit-records';

/** Over-limit answer of one dimension. */
export interface Refusal {
  dimension: Dimension;
  /** Milliseconds until the caller may try again. */
  msBeforeNext: number;
  rate: number;
}

interface Limiter {
  consume(key: string, points: number): Promise<RateLimiterRes>;
  /** The same limit from this process's memory only (Redis hangs: do not even try it). */
  consumeInMemory(key: string, points: number): Promise<RateLimiterRes>;
  /** Largest number of points one call can ever take (bigger calls are clamped to it). */
  capacity: number;
}

/** Window and points for a rate: one second, or longer for rates below 1/s so a window holds ≥1 point. */
export function windowFor(rate: number): { seconds: number; points: number } {
  if (rate >= 1) return { seconds: 1, points: Math.max(1, Math.floor(rate)) };
  const seconds = Math.ceil(1 / rate);
  return { seconds, points: Math.max(1, Math.floor(rate * seconds)) };
}

/** How many processes share a limit while each must decide alone (Redis down). */
export function fallbackDivisor(config: Config): number {
  return config.rateLimit.expectedNodes * processesPerNode(config);
}

/** Data-plane processes of this node: in `ndxp start` they are cluster workers (config.workers, 0 = one per core). */
function processesPerNode(config: Config): number {
  return cluster.isWorker ? config.workers || os.availableParallelism() : 1;
}

export class RateLimits {
  private readonly cache = new Map<string, Limiter>();
  private readonly divisor: number;

  constructor(
    private readonly config: Config,
    private readonly redis: Redis | null,
  ) {
    this.divisor = fallbackDivisor(config);
  }

  /**
   * Takes `points` from the limit of `dimension` for `id` at `rate`; resolves a Refusal when over.
   * `inMemory`: decide from the memory fallback right away (Redis is known to hang).
   */
  async take(dimension: Dimension, id: string, rate: number, points: number, burstSeconds = this.config.rateLimit.burstSeconds, inMemory = false): Promise<Refusal | null> {
    const limiter = this.limiter(dimension, rate, burstSeconds);
    try {
      const n = Math.min(points, limiter.capacity);
      await (inMemory ? limiter.consumeInMemory(id, n) : limiter.consume(id, n));
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return { dimension, msBeforeNext: err.msBeforeNext, rate };
      throw err;
    }
  }

  private limiter(dimension: Dimension, rate: number, burstSeconds: number): Limiter {
    const cacheKey = `${dimension}:${rate}:${burstSeconds}`;
    let limiter = this.cache.get(cacheKey);
    if (!limiter) {
      limiter = this.build(dimension, rate, burstSeconds);
      // Overrides per key create one limiter per distinct rate; bound the cache defensively.
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(cacheKey, limiter);
    }
    return limiter;
  }

  private build(dimension: Dimension, rate: number, burstSeconds: number): Limiter {
    const rl = this.config.rateLimit;
    const main = windowFor(rate);
    const burstPoints = Math.floor(rate * Math.max(0, burstSeconds - 1));
    // The window length is part of the key prefix, so counters of different window lengths
    // (a per-key override below 1/s) never mix; thresholds may differ for the same counter.
    const base = `${this.config.redisPrefix}:rl:${dimension}`;
    const primary = this.one(`${base}:w${main.seconds}`, main.points, main.seconds);
    if (burstPoints < 1) return { consume: (k, p) => primary.shared.consume(k, p), consumeInMemory: (k, p) => primary.memory.consume(k, p), capacity: main.points };
    const burst = this.one(`${base}:b${rl.burstWindowSeconds}`, burstPoints, rl.burstWindowSeconds);
    const bursty = new BurstyRateLimiter(primary.shared, burst.shared);
    // The memory side uses the very limiters the Redis ones fall back to, so a decision taken
    // directly from memory and one taken after a failed Redis call count against the same points.
    const inMemory = new BurstyRateLimiter(primary.memory, burst.memory);
    return { consume: (k, p) => bursty.consume(k, p), consumeInMemory: (k, p) => inMemory.consume(k, p), capacity: Math.max(main.points, burstPoints) };
  }

  /** One window's limiter: shared in Redis (when there is one) and its per-process memory fallback. */
  private one(keyPrefix: string, points: number, duration: number): { shared: RateLimiterMemory | RateLimiterRedis; memory: RateLimiterMemory } {
    if (!this.redis) {
      // Memory only (embedded mode): the node's data-plane processes share the limit between them.
      const memory = new RateLimiterMemory({ keyPrefix, points: Math.max(1, Math.floor(points / processesPerNode(this.config))), duration });
      return { shared: memory, memory };
    }
    const perNode = Math.max(1, Math.floor(points / this.divisor));
    const memory = new RateLimiterMemory({ keyPrefix, points: perNode, duration });
    const shared = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix,
      points,
      duration,
      // Do not even try while disconnected: answer from memory immediately.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
    return { shared, memory };
  }
}
