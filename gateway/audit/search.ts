/**
 * Auditor search and summaries over the live trail.
 *
 * Search filters combine with AND; paging is by seq cursor (stable while the trail grows).
 * A personal id is matched exactly: the auditor supplies the full id, we compute its keyed
 * digest and look it up in `audit_refs`; the trail itself never holds the id in clear.
 * Summaries are JSON data for the console's charts; days are calendar days in Vietnam
 * (UTC+7) unless another offset is given.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Config } from '../../config/config.js';
import type { Store } from '../../core/store/db.js';
import type { DB } from '../../core/store/schema.js';
import type { AuditEntryRow } from '../../core/store/tables/audit.js';
import { personalIdDigester } from './protect.js';
import { normalizeSerial } from '../../core/serial.js';

export interface AuditFilters {
  from?: number;
  to?: number;
  kind?: string;
  unit?: string;
  key?: string;
  /** Certificate serial (hex, any case, colons allowed) or a substring of the subject. */
  cert?: string;
  software?: string;
  front?: string;
  operation?: string;
  outcome?: string;
  code?: string;
  /** Full personal id (exact match through its keyed digest). */
  personalId?: string;
  trackingId?: string;
  requestId?: string;
  actor?: string;
}

export interface AuditPage {
  limit?: number;
  /** Seq after which (asc) / before which (desc) to continue. */
  cursor?: number;
  order?: 'asc' | 'desc';
}

/** An entry as auditors see it: JSON fields decoded, encrypted bodies replaced by flags. */
export interface AuditRecordView {
  seq: number;
  at: string;
  atMs: number;
  node: string;
  kind: string;
  requestId: string | null;
  trackingIds: string[];
  certSubject: string | null;
  certSerial: string | null;
  keyId: string | null;
  softwareId: string | null;
  unitCode: string | null;
  front: string | null;
  operation: string | null;
  personalIds: string[];
  outcome: string;
  code: string | null;
  latencyMs: number | null;
  requestBytes: number | null;
  responseBytes: number | null;
  requestSha256: string | null;
  responseSha256: string | null;
  actor: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  remoteAddress: string | null;
  bodyRetention: string;
  hasRequestBody: boolean;
  hasResponseBody: boolean;
  hash: string;
}

export interface AuditSearchResult {
  items: AuditRecordView[];
  nextCursor: number | null;
}

const parseList = (s: string | null): string[] => {
  if (!s) return [];
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
};

export function toView(r: AuditEntryRow): AuditRecordView {
  let details: Record<string, unknown> | null = null;
  if (r.details) {
    try {
      details = JSON.parse(r.details) as Record<string, unknown>;
    } catch {
      details = { raw: r.details };
    }
  }
  const atMs = Number(r.at);
  return {
    seq: Number(r.seq),
    at: new Date(atMs).toISOString(),
    atMs,
    node: r.node,
    kind: r.kind,
    requestId: r.request_id,
    trackingIds: parseList(r.tracking_ids),
    certSubject: r.cert_subject,
    certSerial: r.cert_serial,
    keyId: r.key_id,
    softwareId: r.software_id,
    unitCode: r.unit_code,
    front: r.front,
    operation: r.operation,
    personalIds: parseList(r.personal_ids_masked),
    outcome: r.outcome,
    code: r.code,
    latencyMs: r.latency_ms == null ? null : Number(r.latency_ms),
    requestBytes: r.request_bytes == null ? null : Number(r.request_bytes),
    responseBytes: r.response_bytes == null ? null : Number(r.response_bytes),
    requestSha256: r.request_sha256,
    responseSha256: r.response_sha256,
    actor: r.actor,
    target: r.target,
    details,
    remoteAddress: r.remote_address,
    bodyRetention: r.body_retention,
    hasRequestBody: Boolean(r.request_body),
    hasResponseBody: Boolean(r.response_body),
    hash: r.hash,
  };
}

type EntryQuery = SelectQueryBuilder<DB, 'audit_entries', object>;

function applyFilters(q: EntryQuery, f: AuditFilters, config: Pick<Config, 'masterKey' | 'dataDir'>, db: Kysely<DB>): EntryQuery {
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<=', f.to);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.unit) q = q.where('unit_code', '=', f.unit);
  if (f.key) q = q.where('key_id', '=', f.key);
  if (f.software) q = q.where('software_id', '=', f.software);
  if (f.front) q = q.where('front', '=', f.front);
  if (f.operation) q = q.where('operation', '=', f.operation);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.code) q = q.where('code', '=', f.code);
  if (f.requestId) q = q.where('request_id', '=', f.requestId);
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.cert) {
    const cert = f.cert.trim();
    const serial = /^[0-9a-fA-F:\s]+$/.test(cert) ? normalizeSerial(cert) || undefined : undefined;
    // LIKE wildcards typed by the auditor are taken literally (dropped), not as patterns.
    const subject = `%${cert.replace(/[%_\\]/g, '')}%`;
    q = q.where((eb) => (serial ? eb.or([eb('cert_serial', '=', serial), eb('cert_subject', 'like', subject)]) : eb('cert_subject', 'like', subject)));
  }
  if (f.personalId) {
    const d = personalIdDigester(config)(f.personalId);
    q = q.where('seq', 'in', db.selectFrom('audit_refs').select('seq').where('ref_type', '=', 'pid').where('ref', '=', d));
  }
  if (f.trackingId) {
    q = q.where('seq', 'in', db.selectFrom('audit_refs').select('seq').where('ref_type', '=', 'tid').where('ref', '=', f.trackingId));
  }
  return q;
}

export async function searchAudit(
  store: Store,
  config: Pick<Config, 'masterKey' | 'dataDir'>,
  filters: AuditFilters,
  page: AuditPage = {},
): Promise<AuditSearchResult> {
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 5000);
  const order = page.order ?? 'asc';
  let q = applyFilters(store.db.selectFrom('audit_entries').selectAll() as EntryQuery, filters, config, store.db);
  if (page.cursor !== undefined) q = q.where('seq', order === 'asc' ? '>' : '<', page.cursor);
  const rows = (await q.orderBy('seq', order).limit(limit + 1).execute()) as unknown as AuditEntryRow[];
  const more = rows.length > limit;
  const items = rows.slice(0, limit).map(toView);
  return { items, nextCursor: more ? items[items.length - 1].seq : null };
}

/** Every matching entry, page by page (for exports). */
export async function* searchAll(store: Store, config: Pick<Config, 'masterKey' | 'dataDir'>, filters: AuditFilters, max = Infinity): AsyncGenerator<AuditRecordView> {
  let cursor: number | undefined;
  let n = 0;
  for (;;) {
    const page = await searchAudit(store, config, filters, { limit: 1000, cursor });
    for (const item of page.items) {
      if (n++ >= max) return;
      yield item;
    }
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

export async function getEntry(store: Store, seq: number): Promise<AuditEntryRow | undefined> {
  return (await store.db.selectFrom('audit_entries').selectAll().where('seq', '=', seq).executeTakeFirst()) as AuditEntryRow | undefined;
}

// ---------------------------------------------------------------------------------------------
// CSV / JSON Lines

export const CSV_COLUMNS: (keyof AuditRecordView)[] = [
  'seq',
  'at',
  'kind',
  'requestId',
  'trackingIds',
  'certSubject',
  'certSerial',
  'keyId',
  'softwareId',
  'unitCode',
  'front',
  'operation',
  'personalIds',
  'outcome',
  'code',
  'latencyMs',
  'requestBytes',
  'responseBytes',
  'requestSha256',
  'responseSha256',
  'actor',
  'target',
  'remoteAddress',
  'bodyRetention',
  'node',
  'details',
  'hash',
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Spreadsheet formula injection: a cell starting with = + - @ is shown as text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

export function csvRow(item: AuditRecordView): string {
  return CSV_COLUMNS.map((c) => csvCell(item[c])).join(',') + '\r\n';
}

export function jsonlRow(item: AuditRecordView): string {
  return JSON.stringify(item) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface SummaryOptions {
  from?: number;
  to?: number;
  /** Minutes east of UTC for day buckets (default 420, Asia/Ho_Chi_Minh). */
  tzOffsetMinutes?: number;
  /** Bucket for delivery latency and backlog series (default 1 hour). */
  bucketMs?: number;
}

export interface AuditSummary {
  from: number | null;
  to: number | null;
  tzOffsetMinutes: number;
  exchangesPerUnitDay: { day: string; unitCode: string | null; exchanges: number; ok: number; refused: number }[];
  exchangesPerKeyDay: { day: string; keyId: string | null; exchanges: number }[];
  refusalsByCode: { code: string | null; count: number }[];
  delivery: { bucketStart: string; attempts: number; delivered: number; failed: number; avgLatencyMs: number | null; maxLatencyMs: number | null }[];
  /** Records waiting for delivery at the end of each bucket (entered: exchange "queued" or a retried attempt; left: final delivery outcome). */
  backlog: { bucketStart: string; queued: number; settled: number; backlog: number }[];
}

const FINAL_DELIVERY_OUTCOMES = ['delivered', 'stale', 'rejected', 'dead', 'discarded', 'superseded'];

export async function auditSummary(store: Store, options: SummaryOptions = {}): Promise<AuditSummary> {
  const db = store.db;
  const tz = options.tzOffsetMinutes ?? 420;
  const offset = tz * 60_000;
  const bucketMs = Math.max(60_000, options.bucketMs ?? 3_600_000);
  const range = <Q extends EntryQuery>(q: Q): Q => {
    let out = q;
    if (options.from !== undefined) out = out.where('at', '>=', options.from) as Q;
    if (options.to !== undefined) out = out.where('at', '<=', options.to) as Q;
    return out;
  };
  // Integer division of epoch ms works alike on SQLite and PostgreSQL for integer operands.
  const dayExpr = sql<number>`(at + ${sql.lit(offset)}) / ${sql.lit(86_400_000)}`;
  const bucketExpr = sql<number>`at / ${sql.lit(bucketMs)}`;
  const dayIso = (d: number) => new Date(Number(d) * 86_400_000).toISOString().slice(0, 10);
  const bucketIso = (b: number) => new Date(Number(b) * bucketMs).toISOString();
  const base = () => db.selectFrom('audit_entries') as unknown as EntryQuery;

  const perUnit = await range(base().where('kind', '=', 'exchange'))
    .select([
      dayExpr.as('d'),
      'unit_code',
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`sum(case when outcome in ('ok','accepted','queued','delivered') then 1 else 0 end)`.as('ok'),
    ])
    .groupBy([dayExpr, 'unit_code'])
    .orderBy(dayExpr)
    .orderBy('unit_code')
    .execute();
  const refusedPerUnit = await range(base().where('kind', '=', 'refusal'))
    .select([dayExpr.as('d'), 'unit_code', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy([dayExpr, 'unit_code'])
    .execute();
  const refusedMap = new Map(refusedPerUnit.map((r) => [`${r.d}|${r.unit_code}`, Number(r.n)]));
  const exchangesPerUnitDay = perUnit.map((r) => ({
    day: dayIso(r.d),
    unitCode: r.unit_code,
    exchanges: Number(r.n),
    ok: Number(r.ok),
    refused: refusedMap.get(`${r.d}|${r.unit_code}`) ?? 0,
  }));
  const perKey = await range(base().where('kind', '=', 'exchange'))
    .select([dayExpr.as('d'), 'key_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy([dayExpr, 'key_id'])
    .orderBy(dayExpr)
    .orderBy('key_id')
    .execute();
  const refusals = await range(base().where((eb) => eb.or([eb('kind', '=', 'refusal'), eb('outcome', '=', 'refused')])))
    .select(['code', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('code')
    .orderBy('code')
    .execute();
  const delivery = await range(base().where('kind', '=', 'delivery'))
    .select([
      bucketExpr.as('b'),
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`sum(case when outcome = 'delivered' then 1 else 0 end)`.as('delivered'),
      sql<number>`sum(case when outcome in ('retry','failed','dead','rejected') then 1 else 0 end)`.as('failed'),
      sql<number | null>`avg(latency_ms)`.as('avg'),
      sql<number | null>`max(latency_ms)`.as('max'),
    ])
    .groupBy(bucketExpr)
    .orderBy(bucketExpr)
    .execute();
  // Backlog: records waiting for delivery, per tracking id. A record enters when its exchange
  // answered "queued" or when a delivery attempt had to be retried, and leaves with its final
  // delivery outcome. Streamed by seq so memory holds only the records in flight.
  const inFlight = new Set<string>();
  const series = new Map<number, { queued: number; settled: number; backlog: number }>();
  let cursor = 0;
  for (;;) {
    const rows = await range(base().where((eb) => eb.or([eb('kind', '=', 'delivery'), eb.and([eb('kind', '=', 'exchange'), eb('outcome', '=', 'queued')])])))
      .select(['seq', 'at', 'kind', 'outcome', 'tracking_ids'])
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(5000)
      .execute();
    for (const r of rows) {
      const b = Math.floor(Number(r.at) / bucketMs);
      const cur = series.get(b) ?? { queued: 0, settled: 0, backlog: 0 };
      for (const t of parseList(r.tracking_ids)) {
        if (r.outcome === 'queued' || r.outcome === 'retry') {
          if (!inFlight.has(t)) {
            inFlight.add(t);
            cur.queued++;
          }
        } else if (FINAL_DELIVERY_OUTCOMES.includes(r.outcome) && inFlight.delete(t)) {
          cur.settled++;
        }
      }
      cur.backlog = inFlight.size;
      series.set(b, cur);
    }
    if (rows.length < 5000) break;
    cursor = Number(rows[rows.length - 1].seq);
  }
  const backlog = [...series.entries()].sort((x, y) => x[0] - y[0]).map(([b, v]) => ({ bucketStart: bucketIso(b), ...v }));
  return {
    from: options.from ?? null,
    to: options.to ?? null,
    tzOffsetMinutes: tz,
    exchangesPerUnitDay,
    exchangesPerKeyDay: perKey.map((r) => ({ day: dayIso(r.d), keyId: r.key_id, exchanges: Number(r.n) })),
    refusalsByCode: refusals.map((r) => ({ code: r.code, count: Number(r.n) })),
    delivery: delivery.map((r) => ({
      bucketStart: bucketIso(r.b),
      attempts: Number(r.n),
      delivered: Number(r.delivered),
      failed: Number(r.failed),
      avgLatencyMs: r.avg == null ? null : Math.round(Number(r.avg)),
      maxLatencyMs: r.max == null ? null : Number(r.max),
    })),
    backlog,
  };
}
