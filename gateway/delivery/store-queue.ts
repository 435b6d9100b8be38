/**
 * The embedded mode's retry queue: with no Redis configured (a single node on its own), the
 * outbox itself is the queue. Every row already carries what BullMQ would hold for it: its
 * state, its due time (`next_attempt_at`, set by the sender with exponential backoff, full
 * jitter and Retry-After), its attempt count (dead-lettering at the cap) and its claim. So this
 * loop only has to wake up when the soonest row falls due and hand due rows to the same attempt
 * the BullMQ worker makes (`attempt`): claim, ride-alongs of the same unit, send, record.
 *
 * Why it is safe: claims are conditional UPDATEs, so two loops (the cluster workers of one node
 * share one SQLite file), or a loop and the synchronous path, never send one row at once; a
 * resend after a crash carries the same Idempotency-Key. Claims of a process that died are
 * taken back here, as the relay does in the Redis mode. While the circuit breaker holds calls
 * back the loop sleeps until its probe time.
 */
import type { AppContext } from '../../core/context.js';
import type { CircuitBreaker } from './breaker.js';
import { dueRows, nextDueAt, reclaimExpired } from './outbox.js';

export interface StoreQueue {
  /** Look at the outbox now (rows were just queued or replayed). */
  wake(): void;
  /** One pass now; resolves to the number of rows attempted. */
  runOnce(): Promise<number>;
  stop(): void;
  /** Resolves when a pass in progress has finished after stop(). */
  stopped(): Promise<void>;
}

export interface StoreQueueOptions {
  breaker: CircuitBreaker;
  /** Rows attempted at once (delivery.concurrency). */
  concurrency: number;
  /** Longest sleep between two looks at the outbox (rows replayed by an operator from another process are seen within it). */
  maxSleepMs: number;
  /** The attempt the BullMQ worker makes too; resolves the state reached or when to look again. */
  attempt(trackingId: string): Promise<unknown>;
}

/** Rows taken from the outbox per look. */
const PASS_ROWS = 200;

export function startStoreQueue(ctx: AppContext, options: StoreQueueOptions): StoreQueue {
  const { store, log } = ctx;
  const { breaker } = options;
  let stopped = false;
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function pass(): Promise<number> {
    let attempted = 0;
    const reclaimed = await reclaimExpired(store.db);
    if (reclaimed > 0) log.warn('Lấy lại hồ sơ của tiến trình gửi đã dừng', { code: 'THU_HOI_QUYEN_GUI', rows: reclaimed });
    while (!stopped && !breaker.blocking) {
      const ids = await dueRows(store.db, PASS_ROWS);
      if (ids.length === 0) break;
      // A small pool: `concurrency` attempts at a time; an attempt takes due rows of its unit
      // along, and later ids of this list then find their row finished and step aside.
      let next = 0;
      const lane = async () => {
        while (!stopped && next < ids.length) {
          const id = ids[next++];
          try {
            await options.attempt(id);
          } catch (err) {
            log.error('Lần gửi hồ sơ thất bại', { trackingId: id, err: err as Error });
          }
          attempted += 1;
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, ids.length) }, lane));
      if (ids.length < PASS_ROWS) break;
    }
    return attempted;
  }

  async function sleepFor(): Promise<number> {
    const max = Math.max(50, options.maxSleepMs);
    if (breaker.blocking) return Math.min(max, Math.max(50, breaker.retryAt() - Date.now()));
    const due = await nextDueAt(store.db);
    if (due === undefined) return max;
    return Math.min(max, Math.max(50, due - Date.now() + 10));
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void runOnce(), ms);
    timer.unref();
  }

  const runOnce = (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      let n = 0;
      try {
        n = await pass();
      } catch (err) {
        // The store being briefly unavailable: the rows are still there; look again soon.
        log.warn('Lượt xử lý hàng đợi trong kho dữ liệu thất bại', { err: err as Error });
      }
      let wait = options.maxSleepMs;
      try {
        wait = await sleepFor();
      } catch {
        /* keep the default */
      }
      schedule(wait);
      return n;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  // A restarted gateway picks up what it left at once.
  schedule(0);

  return {
    wake() {
      if (stopped) return;
      if (running) void running.then(() => schedule(0));
      else schedule(0);
    },
    runOnce,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    async stopped() {
      await running?.catch(() => undefined);
    },
  };
}
