/**
 * Reconciliation: what the central database holds for a unit and its descendants (contract 1.1
 * inventory, paged, with `bam` = SHA-256 of the RFC 8785 canonical JSON without chuKySo) against
 * the newest version this gateway delivered or still holds of each person. Each person falls in
 * exactly one class:
 *   complete          the centre holds the gateway's newest version, same content (same bam);
 *   missingAtCentre   the gateway has the person, the centre does not;
 *   centreBehind      the centre holds an older version than the gateway's newest;
 *   differs           same version, different content;
 *   unknownToGateway  at the centre, never sent through this gateway (e.g. retired software);
 *   centreAhead       the centre holds a newer version than any this gateway sent (another sender);
 *   underOldCodes     the gateway's newest version names an old code that the re-mapping rules or
 *                     the unit tree (maCu) now re-home into the unit, and the centre's inventory of
 *                     the unit does not list the person: after a merger, before the selected
 *                     software re-sent under the new codes. Not missing (the centre holds them under
 *                     the old code) and not re-sent (re-sending would carry the old code again: the
 *                     fix is the new software sending them), but not complete either.
 * `resend` puts the gateway's newest version of the missing and behind back in the outbox queue
 * (delivered or dead rows become queued; rows already waiting are left alone: idempotent), and
 * the relay of every running gateway sends them. Transient failures of the centre are retried on
 * the same cursor; an outage that lasts fails the run before anything is changed.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../../core/context.js';
import { chunks } from '../../core/store/chunks.js';
import { signedBytes } from '../../adapters/national/sign.js';
import { versionMillis } from '../delivery/idempotency.js';
import { getRows, HELD_STATES, profileUnits, profileVersions, replayRows, type ProfileVersion } from '../delivery/outbox.js';
import { loadUnitIndex } from '../units/service.js';
import { resolveUnitCode } from '../../adapters/national/remap.js';
import { vietnamDate } from '../../adapters/national/validate.js';
import { createCentralReads, CentralReadError, type CentralReads, type InventoryLine } from '../doi-soat/central-reads.js';
import { DoiSoatError, fromCentralRead } from '../doi-soat/errors.js';
import { unitSubtree } from '../doi-soat/scope.js';

export const CLASSES = ['complete', 'missingAtCentre', 'centreBehind', 'differs', 'unknownToGateway', 'centreAhead', 'underOldCodes'] as const;
export type ReconcileClass = (typeof CLASSES)[number];

export interface ReconcileEntry {
  soDinhDanh: string;
  maDonVi: string;
  /** underOldCodes: the unit of the current tree the old code in maDonVi re-maps to. */
  maDonViMoi?: string;
  /** The gateway's newest version (and its tracking id), when it has one. */
  gateway?: { phienBan: string | null; trackingId: string; state: string; bam: string };
  centre?: { phienBan: string; bam: string };
}

export interface ReconcileReport {
  unit: string;
  total: number;
  complete: number;
  missingAtCentre: number;
  centreBehind: number;
  differs: number;
  unknownToGateway: number;
  centreAhead: number;
  underOldCodes: number;
  resent: number;
  /** complete / total (1 when the unit has no records). */
  share: number;
  lists?: Record<ReconcileClass, ReconcileEntry[]>;
  resentTrackingIds?: string[];
}

export interface ReconcileOptions {
  resend?: boolean;
  verbose?: boolean;
  reads?: CentralReads;
  pageSize?: number;
  actor?: string;
  /** After each inventory page (progress; tests cut the centre off here). */
  onPage?: (page: number, lines: number) => void | Promise<void>;
}

const RETRIES = 3;

async function readInventory(ctx: AppContext, reads: CentralReads, unit: string, options: ReconcileOptions): Promise<Map<string, InventoryLine>> {
  const lines = new Map<string, InventoryLine>();
  let cursor: string | null = null;
  let page = 0;
  do {
    let attempt = 0;
    for (;;) {
      try {
        const p = await reads.inventory(unit, cursor, options.pageSize ?? 5000);
        for (const l of p.hoSo) lines.set(l.soDinhDanh, l);
        cursor = p.tiepTheo;
        break;
      } catch (err) {
        if (!(err instanceof CentralReadError)) throw err;
        const transient = err.status === undefined || err.status >= 500 || err.status === 429;
        if (!transient || ++attempt > RETRIES) throw fromCentralRead(err, `Đối chiếu đơn vị ${unit}`);
        ctx.log.info('CSDL quốc gia không trả lời một trang khi đối chiếu; thử lại trang đó', { unit, page, code: err.code, attempt });
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
    await options.onPage?.(++page, lines.size);
  } while (cursor);
  return lines;
}

/** The gateway's newest version of a person: the record itself is not kept, only its content hash and the unit it names. */
interface Held {
  trackingId: string;
  versionMs: number;
  version: string | null;
  state: string;
  unit: string;
  bam: string;
}

/** The newest held version per person: highest version, a delivered row before a waiting one of the same version. */
function keepNewest(into: Map<string, ProfileVersion>, rows: ProfileVersion[]): void {
  for (const r of rows) {
    if (!r.subject_id) continue;
    const cur = into.get(r.subject_id);
    const v = Number(r.version_ms);
    if (!cur || v > Number(cur.version_ms) || (v === Number(cur.version_ms) && r.state === 'delivered' && cur.state !== 'delivered')) into.set(r.subject_id, r);
  }
}

/**
 * Records read at a time to hash them, however large the unit. Small on purpose: bodies that live
 * through a chunk's hashing get promoted to V8's old space as garbage; at 500 the 200,000-record
 * bench peaked at ~800 MiB RSS, at 200 (one IN list) ~380 MiB.
 */
const BODY_CHUNK = 200;

/**
 * The gateway's side: newest held version of each person whose record names one of `units`,
 * plus of each person the centre lists. Versions are chosen without their bodies (a long history
 * costs a few columns per version); only the chosen rows' records are then read, a chunk at a
 * time, hashed and dropped, so memory grows with the people, not with versions × record size.
 */
async function gatewaySide(ctx: AppContext, units: string[], centreIds: Iterable<string>): Promise<Map<string, Held>> {
  const newest = new Map<string, ProfileVersion>();
  keepNewest(newest, await profileVersions(ctx.store, { units }, HELD_STATES));
  // People the centre lists whose newest version here names another unit (moved, re-mapped).
  const rest: string[] = [];
  for (const id of centreIds) if (!newest.has(id)) rest.push(id);
  keepNewest(newest, await profileVersions(ctx.store, { people: rest }, HELD_STATES));

  const held = new Map<string, Held>();
  for (const part of chunks([...newest.values()], BODY_CHUNK)) {
    const bodies = new Map((await getRows(ctx.store.db, part.map((v) => v.tracking_id), ['tracking_id', 'body'])).map((r) => [r.tracking_id, r.body]));
    for (const v of part) {
      const body = bodies.get(v.tracking_id);
      if (!body) continue; // purged since the versions were read
      held.set(v.subject_id!, { trackingId: v.tracking_id, versionMs: Number(v.version_ms), version: v.version, state: v.state, unit: v.unit ?? '', bam: bamOf(body) });
    }
  }
  return held;
}

const bamOf = (body: string): string => createHash('sha256').update(signedBytes(JSON.parse(body) as Record<string, unknown>)).digest('hex');

/**
 * The codes this gateway's held records name that are not among `units` but re-map into them today
 * (old code → unit of the subtree), by the same resolver that re-homes incoming records. Reads the
 * distinct units of the held records only when there are rules or replaced codes at all.
 */
async function oldCodesInto(ctx: AppContext, units: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const index = await loadUnitIndex(ctx);
  if (!index.exact.size && !index.level1.size && !index.successors.size) return out;
  const today = vietnamDate(new Date());
  for (const code of await profileUnits(ctx.store, HELD_STATES)) {
    if (units.has(code)) continue;
    const r = resolveUnitCode(index, code, today);
    if ('code' in r && r.code !== code && units.has(r.code)) out.set(code, r.code);
  }
  return out;
}

export async function reconcileUnit(ctx: AppContext, unit: string, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const reads = options.reads ?? (await createCentralReads(ctx));
  let centre: Map<string, InventoryLine>;
  try {
    centre = await readInventory(ctx, reads, unit, options);
  } finally {
    if (!options.reads) await reads.close();
  }
  // The unit's codes: its subtree here, and whatever the centre's inventory of it names.
  const units = new Set(await unitSubtree(ctx.store.db, unit));
  for (const l of centre.values()) units.add(l.maDonVi);
  const oldCodes = await oldCodesInto(ctx, units);
  for (const code of oldCodes.keys()) units.add(code);
  const held = await gatewaySide(ctx, [...units], centre.keys());

  // Counts always; the per-person lists only when asked for (they would double the memory).
  const counts = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ReconcileClass, number>;
  const lists = options.verbose ? (Object.fromEntries(CLASSES.map((c) => [c, [] as ReconcileEntry[]])) as Record<ReconcileClass, ReconcileEntry[]>) : undefined;
  const toResend: Held[] = [];
  const classify = (id: string, c: InventoryLine | undefined, g: Held | undefined): void => {
    let cls: ReconcileClass;
    if (!c) cls = g && oldCodes.has(g.unit) ? 'underOldCodes' : 'missingAtCentre';
    else if (!g) cls = 'unknownToGateway';
    else {
      const cv = versionMillis(c.phienBan);
      cls = g.versionMs > cv ? 'centreBehind' : g.versionMs < cv ? 'centreAhead' : g.bam === c.bam ? 'complete' : 'differs';
    }
    counts[cls]++;
    if ((cls === 'missingAtCentre' || cls === 'centreBehind') && g) toResend.push(g);
    if (lists) {
      const entry: ReconcileEntry = { soDinhDanh: id, maDonVi: c?.maDonVi ?? g?.unit ?? '' };
      if (cls === 'underOldCodes') entry.maDonViMoi = oldCodes.get(g!.unit);
      if (c) entry.centre = { phienBan: c.phienBan, bam: c.bam };
      if (g) entry.gateway = { phienBan: g.version, trackingId: g.trackingId, state: g.state, bam: g.bam };
      lists[cls].push(entry);
    }
  };
  for (const [id, c] of centre) classify(id, c, held.get(id));
  for (const [id, g] of held) if (!centre.has(id)) classify(id, undefined, g);
  if (lists) for (const c of CLASSES) lists[c].sort((a, b) => (a.soDinhDanh < b.soDinhDanh ? -1 : a.soDinhDanh > b.soDinhDanh ? 1 : 0));

  let resentIds: string[] = [];
  if (options.resend && toResend.length) resentIds = await requeue(ctx, unit, toResend, options.actor ?? 'system');

  const total = CLASSES.reduce((n, c) => n + counts[c], 0);
  const report: ReconcileReport = {
    unit,
    total,
    complete: counts.complete,
    missingAtCentre: counts.missingAtCentre,
    centreBehind: counts.centreBehind,
    differs: counts.differs,
    unknownToGateway: counts.unknownToGateway,
    centreAhead: counts.centreAhead,
    underOldCodes: counts.underOldCodes,
    resent: resentIds.length,
    share: total ? counts.complete / total : 1,
  };
  await saveRun(ctx, report);
  if (lists) {
    report.lists = lists;
    report.resentTrackingIds = resentIds;
  }
  return report;
}

/** Puts delivered or dead rows back in the queue (recorded in the audit trail first); rows already waiting are on their way. */
async function requeue(ctx: AppContext, unit: string, rows: Held[], actor: string): Promise<string[]> {
  const ids = rows.filter((r) => r.state === 'delivered' || r.state === 'dead').map((r) => r.trackingId);
  if (ids.length === 0) return [];
  try {
    await ctx.audit.recordDurable({ kind: 'admin', front: 'admin', operation: 'reconcile.resend', actor, target: unit, trackingIds: ids.slice(0, 1000), outcome: 'ok', details: { count: ids.length } });
  } catch {
    throw new DoiSoatError('NHAT_KY_KHONG_SAN_SANG', 'Không ghi được nhật ký kiểm toán nên chưa gửi lại; vui lòng thử lại sau');
  }
  return replayRows(ctx.store.db, ids, { from: ['delivered', 'dead'], lastError: 'Gửi lại sau khi đối chiếu với CSDL quốc gia (reconcile)', newIdempotencyKey: true });
}

async function saveRun(ctx: AppContext, r: ReconcileReport): Promise<void> {
  const { lists: _l, resentTrackingIds: _t, ...counts } = r;
  const row = { ma_don_vi: r.unit, total: r.total, complete: r.complete, summary: JSON.stringify(counts), ran_at: Date.now() };
  await ctx.store.db.insertInto('reconcile_runs').values(row).onConflict((oc) => oc.column('ma_don_vi').doUpdateSet(row)).execute();
}

/** The units `reconcile --all` goes through: configured feed units, else every unit a connection key is issued to. */
export async function allUnits(ctx: AppContext): Promise<string[]> {
  if (ctx.config.doiSoat.units.length) return [...new Set(ctx.config.doiSoat.units)].sort();
  const keys = await ctx.store.db.selectFrom('connection_keys').select('unit_code').distinct().where('status', '!=', 'cancelled').execute();
  return keys.map((k) => k.unit_code).sort();
}

export interface AllLine {
  unit: string;
  total?: number;
  complete?: number;
  share?: number;
  error?: { code: string; message: string };
}

export async function reconcileAll(ctx: AppContext, options: Omit<ReconcileOptions, 'verbose' | 'onPage'> = {}): Promise<AllLine[]> {
  const reads = options.reads ?? (await createCentralReads(ctx));
  const out: AllLine[] = [];
  try {
    for (const unit of await allUnits(ctx)) {
      try {
        const r = await reconcileUnit(ctx, unit, { ...options, reads });
        out.push({ unit, total: r.total, complete: r.complete, share: r.share });
      } catch (err) {
        if (!(err instanceof DoiSoatError)) throw err;
        out.push({ unit, error: { code: err.code, message: err.message } });
      }
    }
  } finally {
    if (!options.reads) await reads.close();
  }
  return out;
}

/** The last reconciliation of every unit, without calling the centre. */
export async function lastRuns(ctx: AppContext): Promise<(ReconcileReport & { ranAt: string })[]> {
  const rows = await ctx.store.db.selectFrom('reconcile_runs').selectAll().orderBy('ma_don_vi').execute();
  return rows.map((r) => ({ ...(JSON.parse(r.summary) as ReconcileReport), ranAt: new Date(Number(r.ran_at)).toISOString() }));
}
