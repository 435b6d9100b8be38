/**
 * The daily matching results of the centre (contract 1.1 `GET /api/v1/doi-soat`), kept by the
 * gateway so every party hears about a mismatch in its own terms:
 *   fetch   each unit's feed resumes strictly after the last maKetQua stored (a result is never
 *           fetched twice); each page is stored, applied to the open mismatches and the cursor
 *           moved in ONE transaction, so a crash or a central outage mid-fetch loses nothing and
 *           repeats nothing: the next fetch (scheduled or `ndxp doi-soat fetch`) goes on from there;
 *   store   each result with the outbox row of the matched version (tracking id, sending software);
 *   track   one mismatch per person and field: opened by a result, refreshed while later results
 *           still disagree, linked to the corrected version sent afterwards, closed by the first
 *           result that no longer shows it; closed rows are the history.
 */
import type { Kysely, Transaction } from 'kysely';
import type { AppContext } from '../../core/context.js';
import type { DB } from '../../core/store/schema.js';
import type { DoiSoatMismatchRow, DoiSoatResultRow } from '../../core/store/tables/doi-soat.js';
import { versionMillis } from '../delivery/idempotency.js';
import { HELD_STATES, profileRows, unitsWithDeliveredProfiles } from '../delivery/outbox.js';
import { createCentralReads, CentralReadError, type CentralReads, type KetQuaDoiSoat } from './central-reads.js';
import { topUnits, unitSubtree } from './scope.js';
import { chunks } from '../../core/store/chunks.js';
import { resultsFetched, fetchFailures } from './metrics.js';

export interface UnitFetch {
  unit: string;
  fetched: number;
  /** The last maKetQua stored for this unit (where the next fetch resumes). */
  since: string | null;
  error?: { code: string; message: string };
}

export interface FetchReport {
  fetched: number;
  units: UnitFetch[];
  opened: number;
  closed: number;
}

/** The units whose feeds are read: configured, else the top units of the keys and of the records sent. */
export async function feedUnits(ctx: AppContext): Promise<string[]> {
  if (ctx.config.doiSoat.units.length) return [...new Set(ctx.config.doiSoat.units)].sort();
  const db = ctx.store.db;
  const keys = await db.selectFrom('connection_keys').select('unit_code').distinct().where('status', '!=', 'cancelled').execute();
  return topUnits(db, [...keys.map((k) => k.unit_code), ...(await unitsWithDeliveredProfiles(db))]);
}

/** Fetches every new result of the given units (default: feedUnits) and applies it. A unit whose fetch fails keeps what was stored before the failure. */
export async function fetchResults(ctx: AppContext, options: { units?: string[]; reads?: CentralReads } = {}): Promise<FetchReport> {
  const reads = options.reads ?? (await createCentralReads(ctx));
  const report: FetchReport = { fetched: 0, units: [], opened: 0, closed: 0 };
  try {
    for (const unit of options.units ?? (await feedUnits(ctx))) {
      const u = await fetchUnit(ctx, reads, unit, report);
      report.units.push(u);
      report.fetched += u.fetched;
    }
  } finally {
    if (!options.reads) await reads.close();
  }
  if (report.fetched) await linkCorrections(ctx.store.db);
  return report;
}

async function fetchUnit(ctx: AppContext, reads: CentralReads, unit: string, report: FetchReport): Promise<UnitFetch> {
  const db = ctx.store.db;
  const cursor = await db.selectFrom('doi_soat_cursors').selectAll().where('ma_don_vi', '=', unit).executeTakeFirst();
  let since = cursor?.since ?? null;
  let fetched = 0;
  const saveCursor = async (trx: Kysely<DB>, error: { code: string; message: string } | null) => {
    const now = Date.now();
    const row = { ma_don_vi: unit, since, fetched_at: error ? (cursor?.fetched_at ?? null) : now, last_attempt_at: now, last_error: error ? `${error.message} (${error.code})` : null };
    await trx.insertInto('doi_soat_cursors').values(row).onConflict((oc) => oc.column('ma_don_vi').doUpdateSet(row)).execute();
  };
  for (;;) {
    let page;
    try {
      page = await reads.matchingResults({ maDonVi: unit, since, limit: ctx.config.doiSoat.pageSize });
    } catch (err) {
      const e = err instanceof CentralReadError ? { code: err.code, message: err.message } : { code: 'LOI_HE_THONG', message: (err as Error).message };
      fetchFailures.inc({ code: e.code });
      await saveCursor(db, e);
      ctx.log.warn('Dừng lấy kết quả đối soát; lần lấy sau tiếp tục từ chỗ dừng', { unit, since, code: e.code });
      return { unit, fetched, since, error: e };
    }
    const list = [...page.ketQua].sort((a, b) => (a.maKetQua < b.maKetQua ? -1 : a.maKetQua > b.maKetQua ? 1 : 0));
    await db.transaction().execute(async (trx) => {
      const applied = await storePage(trx, unit, list);
      report.opened += applied.opened;
      report.closed += applied.closed;
      if (list.length) since = list[list.length - 1].maKetQua;
      await saveCursor(trx, null);
    });
    fetched += list.length;
    for (const r of list) resultsFetched.inc({ ket_qua: r.ketQua });
    if (!page.conNua || list.length === 0) return { unit, fetched, since };
  }
}

interface Matched {
  tracking_id: string;
  software_id: string | null;
  front: string | null;
}

/** The outbox row of each (person, version): delivered first, else any the gateway held. */
async function matchedRows(trx: Kysely<DB>, results: KetQuaDoiSoat[]): Promise<Map<string, Matched>> {
  const found = new Map<string, Matched & { rank: number }>();
  const people = [...new Set(results.map((r) => r.soDinhDanh))];
  for (const r of await profileRows(trx, { people }, [...HELD_STATES, 'stale'], ['tracking_id', 'subject_id', 'version_ms', 'software_id', 'front', 'state'])) {
    const key = `${r.subject_id}\u0000${Number(r.version_ms)}`;
    const rank = r.state === 'delivered' ? 0 : 1;
    const cur = found.get(key);
    if (!cur || rank < cur.rank) found.set(key, { tracking_id: r.tracking_id, software_id: r.software_id, front: r.front, rank });
  }
  return found as Map<string, Matched>;
}

const valueText = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** Stores one page of results (already in maKetQua order) and applies them to the mismatches. */
async function storePage(trx: Transaction<DB>, unit: string, results: KetQuaDoiSoat[]): Promise<{ opened: number; closed: number }> {
  if (results.length === 0) return { opened: 0, closed: 0 };
  const now = Date.now();
  const matched = await matchedRows(trx, results);
  const known = new Set<string>();
  for (const part of chunks(results.map((r) => r.maKetQua))) {
    for (const r of await trx.selectFrom('doi_soat_results').select('ma_ket_qua').where('ma_ket_qua', 'in', part).execute()) known.add(r.ma_ket_qua);
  }
  const fresh = results.filter((r) => !known.has(r.maKetQua));
  const rows: DoiSoatResultRow[] = fresh.map((r) => {
    const m = matched.get(`${r.soDinhDanh}\u0000${versionMillis(r.phienBan)}`);
    return {
      ma_ket_qua: r.maKetQua,
      so_dinh_danh: r.soDinhDanh,
      ma_don_vi: r.maDonVi,
      ngay_doi_soat: r.ngayDoiSoat,
      phien_ban: r.phienBan,
      phien_ban_ms: versionMillis(r.phienBan),
      ket_qua: r.ketQua,
      chenh_lech: r.chenhLech?.length ? JSON.stringify(r.chenhLech) : null,
      tracking_id: m?.tracking_id ?? null,
      software_id: m?.software_id ?? null,
      front: m?.front ?? null,
      fetched_for: unit,
      fetched_at: now,
    };
  });
  for (const part of chunks(rows, 100)) await trx.insertInto('doi_soat_results').values(part).onConflict((oc) => oc.column('ma_ket_qua').doNothing()).execute();

  // Open mismatches of the people concerned, then each result in order.
  const open = new Map<string, DoiSoatMismatchRow[]>();
  for (const part of chunks([...new Set(rows.map((r) => r.so_dinh_danh))])) {
    for (const m of await trx.selectFrom('doi_soat_mismatches').selectAll().where('so_dinh_danh', 'in', part).where('state', '=', 'open').execute()) {
      open.set(m.so_dinh_danh, [...(open.get(m.so_dinh_danh) ?? []), m]);
    }
  }
  let opened = 0;
  let closed = 0;
  for (const r of rows) {
    const mine = open.get(r.so_dinh_danh) ?? [];
    // An older version's result (published late) neither opens nor closes what a newer one found.
    if (mine.some((m) => Number(m.phien_ban_ms) > r.phien_ban_ms)) continue;
    const diffs: { truong: string; giaTriHoSo?: unknown; giaTriDanCu?: unknown }[] =
      r.ket_qua === 'KHONG_TIM_THAY' ? [{ truong: '/soDinhDanh', giaTriHoSo: r.so_dinh_danh }] : r.ket_qua === 'KHONG_KHOP' ? (JSON.parse(r.chenh_lech ?? '[]') as []) : [];
    const still: DoiSoatMismatchRow[] = [];
    for (const m of mine) {
      const d = diffs.find((x) => x.truong === m.truong);
      if (!d) {
        await trx
          .updateTable('doi_soat_mismatches')
          .set({ state: 'closed', closed_by: r.ma_ket_qua, closed_day: r.ngay_doi_soat, closed_at: now, updated_at: now })
          .where('id', '=', m.id)
          .execute();
        closed++;
        continue;
      }
      const set = {
        gia_tri_ho_so: valueText(d.giaTriHoSo),
        gia_tri_dan_cu: valueText(d.giaTriDanCu),
        last_seen_by: r.ma_ket_qua,
        last_seen_day: r.ngay_doi_soat,
        phien_ban: r.phien_ban,
        phien_ban_ms: r.phien_ban_ms,
        tracking_id: r.tracking_id,
        software_id: r.software_id,
        front: r.front,
        ma_don_vi: r.ma_don_vi,
        // The version that answered it was matched and still disagrees: the link is spent.
        ...(r.phien_ban_ms > Number(m.phien_ban_ms) ? { answered_by: null, answered_at: null } : {}),
        updated_at: now,
      };
      await trx.updateTable('doi_soat_mismatches').set(set).where('id', '=', m.id).execute();
      still.push({ ...m, ...set });
    }
    for (const d of diffs) {
      if (mine.some((m) => m.truong === d.truong)) continue;
      const row: DoiSoatMismatchRow = {
        id: `${r.ma_ket_qua}:${d.truong}`,
        so_dinh_danh: r.so_dinh_danh,
        ma_don_vi: r.ma_don_vi,
        truong: d.truong,
        gia_tri_ho_so: valueText(d.giaTriHoSo),
        gia_tri_dan_cu: valueText(d.giaTriDanCu),
        ket_qua: r.ket_qua as 'KHONG_KHOP' | 'KHONG_TIM_THAY',
        phien_ban: r.phien_ban,
        phien_ban_ms: r.phien_ban_ms,
        tracking_id: r.tracking_id,
        software_id: r.software_id,
        front: r.front,
        opened_by: r.ma_ket_qua,
        opened_day: r.ngay_doi_soat,
        last_seen_by: r.ma_ket_qua,
        last_seen_day: r.ngay_doi_soat,
        state: 'open',
        answered_by: null,
        answered_at: null,
        closed_by: null,
        closed_day: null,
        closed_at: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('doi_soat_mismatches').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
      still.push(row);
      opened++;
    }
    open.set(r.so_dinh_danh, still);
  }
  return { opened, closed };
}

/**
 * Links each open mismatch to the corrected version sent after it was found: the newest version
 * of the person this gateway delivered or holds that is newer than the one matched. The next
 * matching of that version closes the mismatch (or shows it again).
 */
export async function linkCorrections(db: Kysely<DB>, people?: string[]): Promise<number> {
  let q = db.selectFrom('doi_soat_mismatches').select(['id', 'so_dinh_danh', 'phien_ban_ms', 'answered_by']).where('state', '=', 'open');
  if (people) {
    if (people.length === 0) return 0;
    q = q.where('so_dinh_danh', 'in', people);
  }
  const open = await q.execute();
  let linked = 0;
  const now = Date.now();
  for (const part of chunks([...new Set(open.map((m) => m.so_dinh_danh))])) {
    const newest = new Map<string, { tracking_id: string; v: number }>();
    for (const r of await profileRows(db, { people: part }, HELD_STATES, ['tracking_id', 'subject_id', 'version_ms'])) {
      const cur = newest.get(r.subject_id!);
      if (!cur || Number(r.version_ms) > cur.v) newest.set(r.subject_id!, { tracking_id: r.tracking_id, v: Number(r.version_ms) });
    }
    for (const m of open.filter((x) => part.includes(x.so_dinh_danh))) {
      const n = newest.get(m.so_dinh_danh);
      if (!n || n.v <= Number(m.phien_ban_ms) || n.tracking_id === m.answered_by) continue;
      await db.updateTable('doi_soat_mismatches').set({ answered_by: n.tracking_id, answered_at: now, updated_at: now }).where('id', '=', m.id).execute();
      linked++;
    }
  }
  return linked;
}

// ---- reading ----------------------------------------------------------------------------------

export interface MismatchFilter {
  unit?: string;
  state?: 'open' | 'closed' | 'all';
  soDinhDanh?: string;
  limit?: number;
}

export interface Mismatch {
  id: string;
  soDinhDanh: string;
  maDonVi: string;
  truong: string;
  ketQua: string;
  giaTriHoSo: string | null;
  giaTriDanCu: string | null;
  phienBan: string;
  trackingId: string | null;
  softwareId: string | null;
  front: string | null;
  state: 'open' | 'closed';
  openedBy: string;
  openedDay: string;
  lastSeenDay: string;
  answeredBy: string | null;
  closedBy: string | null;
  closedDay: string | null;
}

export function toMismatch(m: DoiSoatMismatchRow): Mismatch {
  return {
    id: m.id,
    soDinhDanh: m.so_dinh_danh,
    maDonVi: m.ma_don_vi,
    truong: m.truong,
    ketQua: m.ket_qua,
    giaTriHoSo: m.gia_tri_ho_so,
    giaTriDanCu: m.gia_tri_dan_cu,
    phienBan: m.phien_ban,
    trackingId: m.tracking_id,
    softwareId: m.software_id,
    front: m.front,
    state: m.state,
    openedBy: m.opened_by,
    openedDay: m.opened_day,
    lastSeenDay: m.last_seen_day,
    answeredBy: m.answered_by,
    closedBy: m.closed_by,
    closedDay: m.closed_day,
  };
}

export async function listMismatches(ctx: AppContext, filter: MismatchFilter = {}): Promise<Mismatch[]> {
  const db = ctx.store.db;
  await linkCorrections(db);
  let q = db.selectFrom('doi_soat_mismatches').selectAll();
  if (filter.unit) q = q.where('ma_don_vi', 'in', await unitSubtree(db, filter.unit));
  if (filter.soDinhDanh) q = q.where('so_dinh_danh', '=', filter.soDinhDanh);
  const state = filter.state ?? 'open';
  if (state !== 'all') q = q.where('state', '=', state);
  const rows = await q.orderBy('ma_don_vi').orderBy('so_dinh_danh').orderBy('truong').orderBy('opened_by').limit(filter.limit ?? 1000).execute();
  return rows.map(toMismatch);
}

export interface Summary {
  results: { total: number; byKetQua: Record<string, number> };
  open: { total: number; byField: Record<string, number>; byUnit: Record<string, number>; answered: number };
  closed: number;
  feeds: { unit: string; since: string | null; fetchedAt: string | null; lastError: string | null }[];
}

export async function summary(ctx: AppContext, options: { unit?: string } = {}): Promise<Summary> {
  const db = ctx.store.db;
  await linkCorrections(db);
  const units = options.unit ? await unitSubtree(db, options.unit) : undefined;
  let rq = db.selectFrom('doi_soat_results').select(['ket_qua']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('ket_qua');
  if (units) rq = rq.where('ma_don_vi', 'in', units);
  const byKetQua: Record<string, number> = {};
  for (const r of await rq.execute()) byKetQua[r.ket_qua] = Number(r.n);
  let mq = db.selectFrom('doi_soat_mismatches').select(['state', 'truong', 'ma_don_vi', 'answered_by']);
  if (units) mq = mq.where('ma_don_vi', 'in', units);
  const s: Summary = { results: { total: Object.values(byKetQua).reduce((a, b) => a + b, 0), byKetQua }, open: { total: 0, byField: {}, byUnit: {}, answered: 0 }, closed: 0, feeds: [] };
  for (const m of await mq.execute()) {
    if (m.state === 'closed') {
      s.closed++;
      continue;
    }
    s.open.total++;
    s.open.byField[m.truong] = (s.open.byField[m.truong] ?? 0) + 1;
    s.open.byUnit[m.ma_don_vi] = (s.open.byUnit[m.ma_don_vi] ?? 0) + 1;
    if (m.answered_by) s.open.answered++;
  }
  for (const c of await db.selectFrom('doi_soat_cursors').selectAll().orderBy('ma_don_vi').execute()) {
    s.feeds.push({ unit: c.ma_don_vi, since: c.since, fetchedAt: c.fetched_at ? new Date(Number(c.fetched_at)).toISOString() : null, lastError: c.last_error });
  }
  return s;
}

/** Open mismatches per unit, for the metric. */
export async function openPerUnit(db: Kysely<DB>): Promise<Record<string, number>> {
  const rows = await db.selectFrom('doi_soat_mismatches').select(['ma_don_vi']).select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'open').groupBy('ma_don_vi').execute();
  return Object.fromEntries(rows.map((r) => [r.ma_don_vi, Number(r.n)]));
}
