/**
 * The scheduled fetch of matching results, run where delivery runs (gateway/runtime.ts). The
 * next run is due one interval after the last successful fetch recorded in the store (or after
 * start, before the first ever), so a gateway restarted more often than the interval still fetches, and a fetch stopped by a central
 * outage is retried at the next tick, resuming after the last result stored. Nodes sharing one
 * store take turns: a node fetches only while it holds the job's lease, and a node whose tick
 * finds the results freshly fetched by another waits for the rest of the interval.
 */
import type { AppContext } from '../../core/context.js';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { releaseLease, takeLease } from '../../core/store/leases.js';
import { fetchResults } from './service.js';

export interface DoiSoatSchedule {
  stop(): Promise<void>;
}

/** Earliest first run after start: lets the node finish starting before it calls out. */
const FIRST_RUN_MIN_MS = 5000;

/** The lease that lets one node of several sharing the store fetch at a time (core/store/leases.ts). */
const LEASE = 'doi-soat-fetch';
/** Held this long per take, renewed while a fetch runs: a node that dies mid-fetch hands over after it. */
const LEASE_MS = 5 * 60_000;

/** When the results were last fetched for every unit (the oldest unit's last success), or 0. */
async function lastFetch(ctx: AppContext): Promise<number> {
  const last = await ctx.store.db.selectFrom('doi_soat_cursors').select((eb) => eb.fn.min('fetched_at').as('at')).executeTakeFirst();
  return Number(last?.at ?? 0);
}

export function startDoiSoatSchedule(ctx: AppContext): DoiSoatSchedule {
  const every = ctx.config.doiSoat.fetchIntervalMs;
  const db = ctx.store.db;
  const owner = `${ctx.config.nodeName ?? os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const arm = (ms: number) => {
    if (stopped || every <= 0) return;
    timer = setTimeout(tick, Math.max(0, ms));
    timer.unref();
  };
  const fetchHoldingLease = async () => {
    const renew = setInterval(() => void takeLease(db, LEASE, owner, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
    renew.unref();
    try {
      const report = await fetchResults(ctx);
      const failed = report.units.filter((u) => u.error);
      if (report.fetched || failed.length) ctx.log.info('Đã lấy kết quả đối soát', { fetched: report.fetched, opened: report.opened, closed: report.closed, failed: failed.map((u) => `${u.unit}: ${u.error!.code}`) });
    } finally {
      clearInterval(renew);
      await releaseLease(db, LEASE, owner).catch(() => undefined);
    }
  };
  const tick = () => {
    running = (async () => {
      let next = every;
      try {
        // Another node sharing the store fetched meanwhile: wait out what is left of its interval.
        const last = await lastFetch(ctx);
        if (last && last + every - Date.now() > FIRST_RUN_MIN_MS) {
          next = last + every - Date.now();
          return;
        }
        // Another node is fetching now: look again once its lease would have run out.
        if (!(await takeLease(db, LEASE, owner, LEASE_MS))) {
          next = Math.min(every, LEASE_MS);
          return;
        }
        await fetchHoldingLease();
      } catch (err) {
        ctx.log.warn('Lấy kết quả đối soát theo lịch thất bại', { err: err as Error });
      } finally {
        running = undefined;
        arm(next);
      }
    })();
  };
  if (every > 0) {
    void (async () => {
      // Never fetched: one interval after start (a fresh node settles first; tests never see it).
      const at = await lastFetch(ctx).catch(() => 0);
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
