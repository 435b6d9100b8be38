/**
 * The scheduled fetch of matching results, run where delivery runs (gateway/runtime.ts). The
 * next run is due one interval after the last successful fetch recorded in the store (or after
 * start, before the first ever), so a gateway restarted more often than the interval still fetches, and a fetch stopped by a central
 * outage is retried at the next tick, resuming after the last result stored.
 */
import type { AppContext } from '../../core/context.js';
import { fetchResults } from './service.js';

export interface DoiSoatSchedule {
  stop(): Promise<void>;
}

/** Earliest first run after start: lets the node finish starting before it calls out. */
const FIRST_RUN_MIN_MS = 5000;

export function startDoiSoatSchedule(ctx: AppContext): DoiSoatSchedule {
  const every = ctx.config.doiSoat.fetchIntervalMs;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const arm = (ms: number) => {
    if (stopped || every <= 0) return;
    timer = setTimeout(tick, Math.max(0, ms));
    timer.unref();
  };
  const tick = () => {
    running = (async () => {
      try {
        const report = await fetchResults(ctx);
        const failed = report.units.filter((u) => u.error);
        if (report.fetched || failed.length) ctx.log.info('Đã lấy kết quả đối soát', { fetched: report.fetched, opened: report.opened, closed: report.closed, failed: failed.map((u) => `${u.unit}: ${u.error!.code}`) });
      } catch (err) {
        ctx.log.warn('Lấy kết quả đối soát theo lịch thất bại', { err: err as Error });
      } finally {
        running = undefined;
        arm(every);
      }
    })();
  };
  if (every > 0) {
    void (async () => {
      const last = await ctx.store.db
        .selectFrom('doi_soat_cursors')
        .select((eb) => eb.fn.min('fetched_at').as('at'))
        .executeTakeFirst()
        .catch(() => undefined);
      // Never fetched: one interval after start (a fresh node settles first; tests never see it).
      const at = Number(last?.at ?? 0);
      arm(at ? Math.max(FIRST_RUN_MIN_MS, at + every - Date.now()) : every);
    })();
  }
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
