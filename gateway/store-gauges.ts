/**
 * Gauges read from the store when /metrics is scraped: queue depth by state, dead letters, the
 * age of the oldest waiting record, days left on each certificate, connection keys by status,
 * open mismatches with the population database and the reconciled share per unit.
 * Every process sharing a store reads the same figures, so when the cluster primary merges its
 * workers' registries each gauge takes the first worker's value (`aggregator: 'first'`) instead
 * of adding them up. A failed read leaves the gauge empty for that scrape rather than failing
 * the whole exposition.
 */
import client from 'prom-client';
import type { Kysely } from 'kysely';
import { registry } from '../core/metrics.js';
import type { DB } from '../core/store/schema.js';
import type { Config } from '../config/config.js';
import { countByState, oldestWaiting } from './delivery/outbox.js';
import { listCertificates } from '../certs/registry.js';

let source: { db: Kysely<DB>; config: Pick<Config, 'tls'> } | undefined;

/** Reads the gauges from this store from now on (one per process; the last bound wins). */
export function bindStoreGauges(db: Kysely<DB> | undefined, config?: Pick<Config, 'tls'>): void {
  source = db && config ? { db, config } : undefined;
}

async function read(fn: (s: NonNullable<typeof source>) => Promise<void>): Promise<void> {
  if (!source) return;
  try {
    await fn(source);
  } catch {
    /* the store is unreachable: the gauge stays empty for this scrape (ndxp_up-style alerts see the gap) */
  }
}

export const queueDepth = new client.Gauge({
  name: 'ndxp_queue_records',
  help: 'Outbox records by state (pending, queued, delivering: waiting; dead: dead letters; delivered, invalid, …)',
  labelNames: ['state'] as const,
  registers: [registry],
  aggregator: 'first',
  async collect() {
    this.reset();
    await read(async ({ db }) => {
      for (const [state, n] of Object.entries(await countByState(db))) this.set({ state }, n);
    });
  },
});

export const deadLetters = new client.Gauge({
  name: 'ndxp_queue_dead_letters',
  help: 'Records dead-lettered after the attempt cap, waiting for an operator (ndxp queue dead)',
  registers: [registry],
  aggregator: 'first',
  async collect() {
    await read(async ({ db }) => {
      this.set((await countByState(db)).dead ?? 0);
    });
  },
});

export const oldestWaitingAge = new client.Gauge({
  name: 'ndxp_queue_oldest_waiting_seconds',
  help: 'Age of the oldest record still waiting for delivery (0 when none waits)',
  registers: [registry],
  aggregator: 'first',
  async collect() {
    await read(async ({ db }) => {
      const oldest = await oldestWaiting(db);
      this.set(oldest ? Math.max(0, (Date.now() - Number(oldest.created_at)) / 1000) : 0);
    });
  },
});

export const certificateDaysLeft = new client.Gauge({
  name: 'ndxp_certificate_days_left',
  help: 'Days until each active certificate expires (revoked and expired ones are not listed)',
  labelNames: ['serial', 'kind', 'cn', 'unit'] as const,
  registers: [registry],
  aggregator: 'first',
  async collect() {
    this.reset();
    await read(async ({ db, config }) => {
      for (const c of await listCertificates(db, config, { status: 'active' })) this.set({ serial: c.serial, kind: c.kind, cn: c.cn, unit: c.unit ?? '' }, c.daysLeft);
    });
  },
});

export const connectionKeys = new client.Gauge({
  name: 'ndxp_connection_keys',
  help: 'Connection keys by status (active, suspended, cancelled)',
  labelNames: ['status'] as const,
  registers: [registry],
  aggregator: 'first',
  async collect() {
    this.reset();
    await read(async ({ db }) => {
      const rows = await db.selectFrom('connection_keys').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute();
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    });
  },
});

export const mismatchesOpen = new client.Gauge({
  name: 'ndxp_doi_soat_mismatches_open',
  help: 'Fields that disagree with the National Population Database and are not yet corrected, per unit',
  labelNames: ['unit'] as const,
  registers: [registry],
  aggregator: 'first',
  async collect() {
    this.reset();
    await read(async ({ db }) => {
      const rows = await db.selectFrom('doi_soat_mismatches').select(['ma_don_vi']).select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'open').groupBy('ma_don_vi').execute();
      for (const r of rows) this.set({ unit: r.ma_don_vi }, Number(r.n));
    });
  },
});

export const reconcileCompleteShare = new client.Gauge({
  name: 'ndxp_reconcile_complete_ratio',
  help: "Share of a unit's records (unit and descendants) that the central database holds complete and current, as of the unit's last reconciliation",
  labelNames: ['unit'] as const,
  registers: [registry],
  aggregator: 'first',
  async collect() {
    this.reset();
    await read(async ({ db }) => {
      for (const r of await db.selectFrom('reconcile_runs').select(['ma_don_vi', 'total', 'complete']).execute()) {
        this.set({ unit: r.ma_don_vi }, Number(r.total) ? Number(r.complete) / Number(r.total) : 1);
      }
    });
  },
});
