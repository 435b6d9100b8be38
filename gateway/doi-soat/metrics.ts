/**
 * Matching and reconciliation metrics, on the process registry (core/metrics.ts). The gauges are
 * read from the store when scraped, in the process that runs the scheduled fetch (bindMetrics),
 * so every node sharing a store reports the same figures.
 */
import client from 'prom-client';
import type { Kysely } from 'kysely';
import { registry } from '../../core/metrics.js';
import type { DB } from '../../core/store/schema.js';

export const resultsFetched = new client.Counter({
  name: 'ndxp_doi_soat_results_fetched_total',
  help: 'Matching results fetched from the central database, by outcome (KHOP, KHONG_KHOP, KHONG_TIM_THAY)',
  labelNames: ['ket_qua'] as const,
  registers: [registry],
});

export const fetchFailures = new client.Counter({
  name: 'ndxp_doi_soat_fetch_failures_total',
  help: 'Fetches of matching results that stopped (central outage, refusal), by code; the next fetch resumes where it stopped',
  labelNames: ['code'] as const,
  registers: [registry],
});

let source: Kysely<DB> | undefined;

/** Reads the gauges from this store from now on (one per process; the last bound wins). */
export function bindMetrics(db: Kysely<DB> | undefined): void {
  source = db;
}

export const mismatchesOpen = new client.Gauge({
  name: 'ndxp_doi_soat_mismatches_open',
  help: 'Fields that disagree with the National Population Database and are not yet corrected, per unit',
  labelNames: ['unit'] as const,
  registers: [registry],
  aggregator: 'first', // every worker reads the same store: the cluster merge must not add them up
  async collect() {
    this.reset();
    if (!source) return;
    const rows = await source.selectFrom('doi_soat_mismatches').select(['ma_don_vi']).select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'open').groupBy('ma_don_vi').execute();
    for (const r of rows) this.set({ unit: r.ma_don_vi }, Number(r.n));
  },
});

export const reconcileCompleteShare = new client.Gauge({
  name: 'ndxp_reconcile_complete_ratio',
  help: "Share of a unit's records (unit and descendants) that the central database holds complete and current, as of the unit's last reconciliation",
  labelNames: ['unit'] as const,
  registers: [registry],
  aggregator: 'first', // every worker reads the same store: the cluster merge must not add them up
  async collect() {
    this.reset();
    if (!source) return;
    for (const r of await source.selectFrom('reconcile_runs').select(['ma_don_vi', 'total', 'complete']).execute()) {
      this.set({ unit: r.ma_don_vi }, Number(r.total) ? Number(r.complete) / Number(r.total) : 1);
    }
  },
});
