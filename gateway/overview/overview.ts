/**
 * The console's Overview in one answer: traffic per front and per unit over time, refusals by
 * reason, latency percentiles, the queue (depth, oldest waiting, breakers, dead letters),
 * certificates and keys expiring soon, and whether the central database answers.
 *
 * Traffic, refusals and latency come from the audit trail rather than from /metrics: the trail
 * is shared by every node (metrics are per process and reset on restart) and already carries the
 * front, unit, outcome, code and latency of each exchange. Only aggregates leave this module:
 * counts and durations, never who or what was sent, so both admin roles may read it.
 */
import { sql } from 'kysely';
import type { AppContext } from '../../core/context.js';
import { listCertificates } from '../../certs/registry.js';
import { listKeys } from '../keys/service.js';
import { listDead, queueStatus, type DeadLetter, type QueueStatus } from '../delivery/status.js';
import { probeCentral } from './central-probe.js';
import type { Overview, Series } from './types.js';

export interface OverviewOptions {
  /** How far back the charts reach (default 24 h). */
  hours?: number;
  now?: number;
}

/** Units shown one by one in the per-unit chart; the rest are summed as "khác" (other). */
const TOP_UNITS = 8;
/** Latency samples read from the trail (the most recent ones); enough for stable percentiles. */
const LATENCY_SAMPLES = 50_000;

function bucketMinutesFor(hours: number): number {
  // About 48–96 points per chart whatever the range.
  const candidates = [1, 5, 10, 15, 30, 60, 120, 240, 720, 1440];
  return candidates.find((m) => (hours * 60) / m <= 96) ?? 1440;
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function computeOverview(ctx: AppContext, options: OverviewOptions = {}): Promise<Overview> {
  const db = ctx.store.db;
  const now = options.now ?? Date.now();
  const hours = Math.min(24 * 31, Math.max(1, options.hours ?? 24));
  const bucketMinutes = bucketMinutesFor(hours);
  const bucketMs = bucketMinutes * 60_000;
  const first = Math.floor((now - hours * 3_600_000) / bucketMs);
  const last = Math.floor(now / bucketMs);
  const from = first * bucketMs;
  const buckets = Array.from({ length: last - first + 1 }, (_, i) => (first + i) * bucketMs);
  const bucketExpr = sql<number>`at / ${sql.lit(bucketMs)}`;
  const entries = () => db.selectFrom('audit_entries').where('at', '>=', from).where('at', '<=', now);

  const seriesOf = (rows: { b: number | string; name: string | null; n: number | string }[], rename: (name: string) => string = (n) => n): Series => {
    const series: Record<string, number[]> = {};
    for (const r of rows) {
      const name = rename(r.name ?? '(không rõ)');
      const i = Number(r.b) - first;
      if (i < 0 || i >= buckets.length) continue;
      (series[name] ??= new Array<number>(buckets.length).fill(0))[i] += Number(r.n);
    }
    return { buckets, series };
  };

  const perFrontRows = await entries()
    .where('kind', '=', 'exchange')
    .select([bucketExpr.as('b'), 'front as name', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy([bucketExpr, 'front'])
    .execute();
  const unitTotals = await entries()
    .where('kind', '=', 'exchange')
    .select(['unit_code', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('unit_code')
    .execute();
  const top = new Set(
    unitTotals
      .sort((a, b) => Number(b.n) - Number(a.n))
      .slice(0, TOP_UNITS)
      .map((u) => u.unit_code ?? '(không rõ)'),
  );
  const perUnitRows = await entries()
    .where('kind', '=', 'exchange')
    .select([bucketExpr.as('b'), 'unit_code as name', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy([bucketExpr, 'unit_code'])
    .execute();
  const refusals = await entries()
    .where((eb) => eb.or([eb('kind', '=', 'refusal'), eb('outcome', '=', 'refused')]))
    .select(['code', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('code')
    .execute();
  const latencies = await entries()
    .where('kind', '=', 'exchange')
    .where('latency_ms', 'is not', null)
    .select(['at', 'latency_ms'])
    .orderBy('seq', 'desc')
    .limit(LATENCY_SAMPLES)
    .execute();

  const perBucket: number[][] = buckets.map(() => []);
  const all: number[] = [];
  for (const r of latencies) {
    const i = Math.floor(Number(r.at) / bucketMs) - first;
    const ms = Number(r.latency_ms);
    all.push(ms);
    if (i >= 0 && i < buckets.length) perBucket[i].push(ms);
  }
  const sorted = perBucket.map((l) => l.sort((a, b) => a - b));
  all.sort((a, b) => a - b);

  const withinDays = ctx.config.tls.expiryWarningDays;
  const [queue, deadLatest, certs, keys, central] = await Promise.all([
    queueStatus(ctx),
    listDead(ctx, { limit: 5 }),
    listCertificates(ctx.store.db, ctx.config, { expiring: true }),
    listKeys(ctx, { status: 'active' }),
    probeCentral(ctx),
  ]);
  const dayMs = 86_400_000;
  const expiringKeys = keys
    .filter((k) => k.expiresAt && Date.parse(k.expiresAt) > now && Date.parse(k.expiresAt) - now <= withinDays * dayMs)
    .map((k) => ({ keyId: k.keyId, softwareId: k.softwareId, unitCode: k.unitCode, expiresAt: k.expiresAt!, daysLeft: Math.floor((Date.parse(k.expiresAt!) - now) / dayMs) }))
    .sort((a, b) => a.daysLeft - b.daysLeft);

  const perFront = seriesOf(perFrontRows);
  return {
    generatedAt: new Date(now).toISOString(),
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    bucketMinutes,
    traffic: {
      perFront,
      perUnit: seriesOf(perUnitRows, (name) => (top.has(name) ? name : 'khác')),
      total: Object.values(perFront.series).reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0),
    },
    refusals: refusals.map((r) => ({ code: r.code ?? '(không rõ)', count: Number(r.n) })).sort((a, b) => b.count - a.count),
    latency: {
      buckets,
      p50: sorted.map((l) => percentile(l, 50)),
      p95: sorted.map((l) => percentile(l, 95)),
      p99: sorted.map((l) => percentile(l, 99)),
      overall: { p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99), samples: all.length },
    },
    queue,
    deadLetters: { count: queue.depth.dead ?? 0, latest: deadLatest },
    expiring: {
      withinDays,
      certificates: certs.map((c) => ({ serial: c.serial, kind: c.kind, cn: c.cn, unit: c.unit, notAfter: c.notAfter, daysLeft: c.daysLeft })).sort((a, b) => a.daysLeft - b.daysLeft),
      keys: expiringKeys,
    },
    central,
  };
}
