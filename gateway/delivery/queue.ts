/**
 * The BullMQ side of delivery: a producer that never makes a caller wait for Redis (offline
 * queue off, short timeouts: when Redis is down the row simply stays in the outbox for the
 * relay; when Redis hangs, the first add that runs out of time marks it as hung for the whole
 * process (gateway/redis/health.ts) and later adds return at once until Redis answers again), and the
 * worker connection settings BullMQ needs (blocking commands, retry forever).
 *
 * The queue only schedules; the outbox row decides. Job id = tracking id, so adding a job twice
 * (two relays, a relay and the synchronous path) is a no-op.
 */
import type { JobsOptions, Queue, RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { redisUrlOf, type Config } from '../../config/config.js';
import type { Logger } from '../../core/log.js';
import type { RedisHealth } from '../redis/health.js';

export const QUEUE_NAME = 'delivery';

export interface DeliveryJobData {
  trackingId: string;
}

/** BullMQ forbids ':' in custom ids and purely numeric ids; tracking ids are mapped reversibly-enough to stay unique. */
export function jobIdFor(trackingId: string): string {
  return `t-${trackingId.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
}

const JOB_DEFAULTS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  // Attempts and dead-lettering are counted in the outbox; BullMQ retries only cover an
  // infrastructure failure inside the processor (store unreachable), patiently.
  attempts: 1000,
  backoff: { type: 'fixed', delay: 5000 },
};

export function workerConnection(config: Config): BullRedisOptions {
  // Workers block on Redis: BullMQ requires maxRetriesPerRequest null; they wait for Redis to return.
  // Reconnect steadily (at most every 2 s) so queued work resumes soon after Redis returns.
  return { url: redisUrlOf(config), maxRetriesPerRequest: null, enableOfflineQueue: true, connectTimeout: 5000, retryStrategy: (times: number) => Math.min(250 * times, 2000) };
}

export interface Producer {
  readonly ready: boolean;
  /** Adds jobs; resolves to the tracking ids that reached Redis (none when Redis is unreachable). Never throws, never waits more than `timeoutMs`. */
  add(items: { trackingId: string; notBefore: number }[]): Promise<string[]>;
  /** Raw client for small commands (epoch marker, breaker snapshot); check `ready` first. */
  readonly redis: Redis;
  readonly queue: Queue<DeliveryJobData>;
  close(): Promise<void>;
}

export async function createProducer(config: Config, log: Logger, options: { timeoutMs?: number; health?: RedisHealth } = {}): Promise<Producer> {
  // BullMQ (and what it brings: cron parsing, a PostgreSQL backend, Lua scripts) is loaded only
  // when Redis is in use: the embedded mode's processes are ~15 MB smaller without it.
  const { Queue } = await import('bullmq');
  const timeoutMs = options.timeoutMs ?? 2000;
  const redis = new Redis(redisUrlOf(config), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs * 2,
    retryStrategy: (times) => Math.min(250 * times, 2000),
  });
  let lastErrorLog = 0;
  redis.on('error', (err) => {
    // Redis being down is an expected condition (the outbox carries on); log it at most every 30 s.
    if (Date.now() - lastErrorLog > 30_000) {
      lastErrorLog = Date.now();
      log.warn('Redis không kết nối được, hồ sơ được giữ trong outbox', { code: 'REDIS_KHONG_SAN_SANG', err: err as Error });
    }
  });
  const makeQueue = () => {
    const q = new Queue<DeliveryJobData>(QUEUE_NAME, { connection: redis, prefix: config.redisPrefix, defaultJobOptions: JOB_DEFAULTS });
    q.on('error', () => undefined);
    return q;
  };
  let queue = makeQueue();
  let closed = false;
  const { health } = options;
  const detach = health ? health.attach(redis, { manage: true }) : () => undefined;
  const ready = () => !closed && redis.status === 'ready' && !health?.hung;

  return {
    get ready() {
      return ready();
    },
    redis,
    get queue() {
      return queue;
    },
    async add(items) {
      if (items.length === 0 || !ready()) return [];
      const now = Date.now();
      const jobs = items.map((i) => ({
        name: 'deliver',
        data: { trackingId: i.trackingId },
        opts: { jobId: jobIdFor(i.trackingId), delay: Math.max(0, i.notBefore - now) },
      }));
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      try {
        const added: string[] = [];
        for (let i = 0; i < jobs.length; i += 500) {
          const part = jobs.slice(i, i + 500);
          await Promise.race([
            queue.addBulk(part),
            new Promise((_, reject) => {
              timer = setTimeout(() => {
                timedOut = true;
                reject(new Error('REDIS_HET_THOI_GIAN'));
              }, timeoutMs);
            }),
          ]);
          clearTimeout(timer);
          added.push(...part.map((j) => j.data.trackingId));
        }
        return added;
      } catch (err) {
        clearTimeout(timer);
        log.debug('Không đưa được hồ sơ vào hàng đợi; hồ sơ chờ bộ chuyển tiếp', { err: err as Error });
        if (timedOut && redis.status === 'ready' && health) {
          // Connected but no answer in time: a hung Redis. Report it once for the whole process
          // (the connection is dropped), so the next callers do not each wait for it again.
          health.reportHang('hàng đợi gửi hồ sơ');
        } else if (redis.status === 'ready') {
          // A queue whose connection initialisation failed stays broken; start a fresh one.
          const old = queue;
          queue = makeQueue();
          void old.close().catch(() => undefined);
        }
        return [];
      }
    },
    async close() {
      closed = true;
      detach();
      await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      redis.disconnect();
    },
  };
}
