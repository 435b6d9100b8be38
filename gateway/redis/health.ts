/**
 * This process's view of whether Redis answers, shared by every part that talks to it (rate
 * limits, lockouts, the delivery queue producer and relay).
 *
 * Why: a Redis that is down costs nothing (connections are refused at once and every part falls
 * back), but a Redis that accepts connections and answers nothing (paused, swapping, saving under
 * memory pressure, a network path dropping packets midway) costs each command its full timeout.
 * Per request that turned ~90 calls/s into ~2. So the first command that runs into its timeout
 * marks Redis as hung, once for everyone:
 *   - every part sees `hung` and takes its outage fallback at once, without sending anything
 *     (memory limits and lockouts; records stay in the outbox for the relay);
 *   - the attached client connections are dropped and not reconnected blindly into the hang;
 *   - one background probe (a fresh connection and a PING, short timeout) asks every second;
 *     when a PING answers, the clients reconnect and Redis is used again.
 * A client that becomes ready (its INFO ready check was answered) also proves Redis answers.
 */
import type { Redis } from 'ioredis';
import type { AppContext } from '../../core/context.js';
import type { Logger } from '../../core/log.js';
import { pingRedis } from './check.js';
import { redisUrlOf } from '../../config/config.js';

export const PROBE_INTERVAL_MS = 1000;
export const PROBE_TIMEOUT_MS = 1000;

export interface RedisHealthStats {
  hung: boolean;
  /** When the current hang was detected (ISO time). */
  hungSince?: string;
  /** Hangs detected since start. */
  hangs: number;
  /** Probes sent during hangs. */
  probes: number;
}

interface Attached {
  redis: Redis;
  /** Drop and re-make this connection with the hang (false for a connection someone else owns). */
  manage: boolean;
  onReady: () => void;
}

export class RedisHealth {
  private hungSince: number | undefined;
  private hangs = 0;
  private probes = 0;
  private readonly clients = new Set<Attached>();
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly probe: { intervalMs: number; timeoutMs: number } = { intervalMs: PROBE_INTERVAL_MS, timeoutMs: PROBE_TIMEOUT_MS },
  ) {}

  /** True while Redis is known to hang: skip Redis and use the fallback, without waiting. */
  get hung(): boolean {
    return this.hungSince !== undefined;
  }

  stats(): RedisHealthStats {
    return {
      hung: this.hung,
      ...(this.hungSince !== undefined ? { hungSince: new Date(this.hungSince).toISOString() } : {}),
      hangs: this.hangs,
      probes: this.probes,
    };
  }

  /** Resolves true as soon as Redis is not (or no longer) known to hang; false after timeoutMs. */
  whenAnswering(timeoutMs: number): Promise<boolean> {
    if (!this.hung) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onAnswer);
        resolve(ok);
      };
      const onAnswer = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(onAnswer);
    });
  }

  /**
   * Registers a client connection for the life of its owner; returns the detach function to call
   * when the owner closes. While nothing is attached no probe runs and no hang is recorded.
   */
  attach(redis: Redis, options: { manage: boolean }): () => void {
    const entry: Attached = { redis, manage: options.manage, onReady: () => this.answered() };
    redis.on('ready', entry.onReady);
    this.clients.add(entry);
    return () => {
      redis.off('ready', entry.onReady);
      this.clients.delete(entry);
      if (this.clients.size === 0) {
        // Nobody left to protect (the process is closing its Redis users): forget the hang.
        this.stopProbing();
        this.hungSince = undefined;
      }
    };
  }

  /** A command waited its full timeout on a connection that looked ready: Redis hangs. Idempotent while hung. */
  reportHang(source: string): void {
    if (this.hung || this.clients.size === 0) return;
    this.hungSince = Date.now();
    this.hangs += 1;
    this.log.warn('Redis nhận kết nối nhưng không trả lời; tạm không dùng Redis (giới hạn trong bộ nhớ, hồ sơ giữ trong outbox) cho đến khi Redis trả lời lại', {
      code: 'REDIS_KHONG_PHAN_HOI',
      source,
    });
    // Pending commands on these connections fail at once (their callers fall back), and no
    // reconnect loop keeps opening connections into the hang: the probe decides when to return.
    for (const c of this.clients) if (c.manage) c.redis.disconnect(false);
    this.scheduleProbe();
  }

  /** Redis answered (a probe's PING, or a client's ready check): use it again. */
  private answered(): void {
    if (!this.hung) return;
    const seconds = Math.round((Date.now() - this.hungSince!) / 1000);
    this.hungSince = undefined;
    this.stopProbing();
    this.log.info('Redis đã trả lời lại; dùng lại Redis', { code: 'REDIS_DA_PHAN_HOI', hungSeconds: seconds });
    for (const c of this.clients) {
      if (c.manage && c.redis.status === 'end') c.redis.connect().catch(() => undefined);
    }
    for (const wake of [...this.waiters]) wake();
  }

  private scheduleProbe(): void {
    if (this.timer || !this.hung || this.clients.size === 0) return;
    const timer: NodeJS.Timeout = setTimeout(() => {
      void (async () => {
        this.probes += 1;
        const answer = await pingRedis(this.url, this.probe.timeoutMs);
        if (this.timer !== timer) return; // stopped meanwhile (owners closed, or already answered)
        this.timer = undefined;
        // Only an answer ends the hang (a refused connection is an outage: keep asking).
        if (answer.state === 'ok' || answer.state === 'error') this.answered();
        else this.scheduleProbe();
      })();
    }, this.probe.intervalMs);
    timer.unref();
    this.timer = timer;
  }

  private stopProbing(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

const registry = new WeakMap<AppContext, RedisHealth>();

/** The Redis health of this context (one per gateway process), created on first use. */
export function redisHealthFor(ctx: AppContext): RedisHealth {
  let health = registry.get(ctx);
  if (!health) {
    health = new RedisHealth(redisUrlOf(ctx.config), ctx.log.child({ area: 'redis' }));
    registry.set(ctx, health);
  }
  return health;
}

/** True for the error of a command that waited its full commandTimeout. */
export function isRedisTimeout(err: unknown): boolean {
  return err instanceof Error && /Command timed out/i.test(err.message);
}
