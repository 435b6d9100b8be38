/**
 * Shared setup of the rate-limit tests: a minimal AppContext (real config with its own Redis
 * prefix, real logger, an audit sink that keeps what it is given so tests can check the admin
 * events) and removal of the test's Redis keys afterwards (never FLUSHALL: Redis is shared).
 */
import { Redis } from 'ioredis';
import type { AppContext } from '../core/context.js';
import type { AuditEvent, AuditSink } from '../core/audit-sink.js';
import { quietLogger } from '../core/log.js';
import type { ConfigInput } from '../config/config.js';
import { REDIS_URL, testConfig, uniqueName } from './helpers/env.js';

export interface TestCtx extends AppContext {
  events: AuditEvent[];
}

export function limiterContext(rateLimit: NonNullable<ConfigInput['rateLimit']> = {}, overrides: ConfigInput = {}): TestCtx {
  // A generous Redis command timeout: on a loaded CI machine a 250 ms timeout sends decisions to
  // the per-node memory fallback (other limits by design) and the counts these tests assert
  // would then depend on machine load. Tests of the fallback set their own timeout or address.
  const config = testConfig('sqlite', { redisPrefix: uniqueName('ndxp-rl-test'), rateLimit: { redisCommandTimeoutMs: 3000, ...rateLimit }, ...overrides });
  const events: AuditEvent[] = [];
  const audit: AuditSink = {
    record: (e) => void events.push(e),
    recordDurable: async (e) => void events.push(e),
    flush: async () => undefined,
    close: async () => undefined,
  };
  // The rate limiter never touches the store; a store that throws on use proves it.
  const store = new Proxy({}, { get: () => { throw new Error('the rate limiter must not use the store'); } }) as AppContext['store'];
  return { config, store, log: quietLogger(), audit, nodeName: 'test-node', events };
}

/** Same configuration (so same Redis prefix) as another node's context: a second gateway node. */
export function secondNode(ctx: TestCtx): TestCtx {
  return { ...ctx, nodeName: 'test-node-2', events: ctx.events };
}

/** Deletes every Redis key under the prefixes used by these contexts. */
export async function dropRedisKeys(prefixes: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', '500');
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/** Runs fn and tells whether it was refused with the given code, returning the error. */
export async function refusal(fn: () => Promise<unknown>): Promise<{ code: string; retryAfterSeconds?: number; internalReason?: string } | null> {
  try {
    await fn();
    return null;
  } catch (err) {
    const e = err as { code?: string; retryAfterSeconds?: number; internalReason?: string };
    if (!e.code) throw err;
    return { code: e.code, retryAfterSeconds: e.retryAfterSeconds, internalReason: e.internalReason };
  }
}

/** Resolves 'timeout' if the promise does not settle within ms: detects hangs (not a timing assertion). */
export function withinOrTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
}
