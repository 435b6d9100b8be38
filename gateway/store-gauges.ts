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

type Source = NonNullable<typeof source>;
type Sample = [labels: Record<string, string>, value: number];

/**
 * A gauge whose samples are read from the bound store at each scrape. A labelled gauge starts
 * each scrape empty (labels that disappeared from the store disappear from /metrics); a failed
 * read leaves it empty for that scrape, an unlabelled one keeps its last value.
 */
function storeGauge(name: string, help: string, labelNames: readonly string[], samples: (s: Source) => Promise<Sample[]>): client.Gauge {
  return new client.Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      if (labelNames.length) this.reset();
      if (!source) return;
      try {
        for (const [labels, value] of await samples(source)) this.set(labels, value);
      } catch {
        /* the store is unreachable: the gauge stays empty for this scrape (ndxp_up-style alerts see the gap) */
      }
    },
  });
}

export const queueDepth = storeGauge('ndxp_queue_records', 'Outbox records by state (pending, queued, delivering: waiting; dead: dead letters; delivered, invalid, …)', ['state'], async ({ db }) =>
  Object.entries(await countByState(db)).map(([state, n]): Sample => [{ state }, n]),
);

export const deadLetters = storeGauge('ndxp_queue_dead_letters', 'Records dead-lettered after the attempt cap, waiting for an operator (ndxp queue dead)', [], async ({ db }) => [[{}, (await countByState(db)).dead ?? 0]]);

export const oldestWaitingAge = storeGauge('ndxp_queue_oldest_waiting_seconds', 'Age of the oldest record still waiting for delivery (0 when none waits)', [], async ({ db }) => {
  const oldest = await oldestWaiting(db);
  return [[{}, oldest ? Math.max(0, (Date.now() - Number(oldest.created_at)) / 1000) : 0]];
});

export const certificateDaysLeft = storeGauge('ndxp_certificate_days_left', 'Days until each active certificate expires (revoked and expired ones are not listed)', ['serial', 'kind', 'cn', 'unit'], async ({ db, config }) =>
  (await listCertificates(db, config, { status: 'active' })).map((c): Sample => [{ serial: c.serial, kind: c.kind, cn: c.cn, unit: c.unit ?? '' }, c.daysLeft]),
);

export const connectionKeys = storeGauge('ndxp_connection_keys', 'Connection keys by status (active, suspended, cancelled)', ['status'], async ({ db }) => {
  const rows = await db.selectFrom('connection_keys').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute();
  return rows.map((r): Sample => [{ status: r.status }, Number(r.n)]);
});

export const mismatchesOpen = storeGauge('ndxp_doi_soat_mismatches_open', 'Fields that disagree with the National Population Database and are not yet corrected, per unit', ['unit'], async ({ db }) => {
  const rows = await db.selectFrom('doi_soat_mismatches').select(['ma_don_vi']).select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'open').groupBy('ma_don_vi').execute();
  return rows.map((r): Sample => [{ unit: r.ma_don_vi }, Number(r.n)]);
});

export const reconcileCompleteShare = storeGauge(
  'ndxp_reconcile_complete_ratio',
  "Share of a unit's records (unit and descendants) that the central database holds complete and current, as of the unit's last reconciliation",
  ['unit'],
  async ({ db }) =>
    (await db.selectFrom('reconcile_runs').select(['ma_don_vi', 'total', 'complete']).execute()).map((r): Sample => [{ unit: r.ma_don_vi }, Number(r.total) ? Number(r.complete) / Number(r.total) : 1]),
);
