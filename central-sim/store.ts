/**
 * The simulator's own persistence: one SQLite file (`<dataDir>/central-sim.sqlite`, WAL) holding
 * what the "central database" stores (profiles, units), the idempotency records, a journal of
 * every per-record outcome, and counters. Everything a write changes, including its counters and
 * its idempotency record, commits in one transaction, so the counts survive a restart and prove
 * "applied exactly once" even after a crash between commit and answer.
 *
 * Contract 1.1 adds, in the same file: each record's `bam` (for the inventory), the population
 * register (`dan_cu`) and the published matching results (`doi_soat`), which survive a restart
 * like everything else the "central database" holds.
 */
import { createHash } from 'node:crypto';
import { openSqlite, type SqliteDatabase } from '../core/store/sqlite.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from './signature.js';

export const SIM_DB_FILE = 'central-sim.sqlite';

export interface StoredProfile {
  soDinhDanh: string;
  ngayCapNhat: string;
  versionKey: string;
  body: string;
  appliedCount: number;
}

export interface StoredUnit {
  maDinhDanh: string;
  maDonViCha: string | null;
  ngayCapNhat: string | null;
  versionKey: string | null;
  bodyHash: string;
  body: string;
  appliedCount: number;
  changedAt: number;
}

export interface IdempotencyRecord {
  requestHash: string;
  status: number;
  answer: string;
}

export interface JournalEntry {
  seq: number;
  at: number;
  kind: 'profile' | 'unit';
  id: string;
  version: string | null;
  outcome: string;
  applied: boolean;
  idempotencyKey: string | null;
  requestId: string | null;
  maDonVi: string | null;
}

export interface JournalInput {
  kind: 'profile' | 'unit';
  id: string;
  version: string | null;
  outcome: string;
  applied: boolean;
  idempotencyKey?: string;
  requestId?: string;
  maDonVi?: string;
}

/** One line of a unit's inventory (contract 1.1, listUnitProfiles). */
export interface InventoryLine {
  soDinhDanh: string;
  phienBan: string;
  bam: string;
  maDonVi: string;
  /** Outcome of the latest matching of the stored version, if it was matched. */
  ketQuaDoiSoat: string | null;
}

/** What the population register holds for one personal id. */
export interface PopulationRow {
  soDinhDanh: string;
  /** derived: made from the record the first time it was needed; set: given by the control API;
   *  deleted: made unknown by the control API. */
  nguon: 'derived' | 'set' | 'deleted';
  /** The citizen as JSON, or null when the register has no one with this id. */
  congDan: string | null;
  /** For derived entries, the kind of mismatch the derivation introduced. */
  kieuLech: string | null;
}

/** One published matching result (contract 1.1, KetQuaDoiSoat). */
export interface MatchingRow {
  seq: number;
  soDinhDanh: string;
  maDonVi: string;
  ngayDoiSoat: string;
  phienBan: string;
  versionKey: string;
  ketQua: string;
  /** JSON array of differences, or null. */
  chenhLech: string | null;
}

/** A stored record as the matching run reads it. */
export interface MatchableProfile {
  soDinhDanh: string;
  ngayCapNhat: string;
  versionKey: string;
  maDonVi: string;
  body: string;
}

/** SHA-256 (hex) of the record's RFC 8785 canonical JSON without `chuKySo`: the inventory's `bam`. */
export function recordBam(unsignedCanonical: string): string {
  return createHash('sha256').update(unsignedCanonical, 'utf8').digest('hex');
}

// Small rows keyed by text are WITHOUT ROWID (one b-tree instead of table + index); the journal's
// seq is a plain rowid (no AUTOINCREMENT bookkeeping on every insert).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS profiles (
  so_dinh_danh TEXT PRIMARY KEY,
  ngay_cap_nhat TEXT NOT NULL,
  version_key TEXT NOT NULL,
  ma_don_vi TEXT NOT NULL,
  body TEXT NOT NULL,
  applied_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  bam TEXT
);
CREATE TABLE IF NOT EXISTS units (
  ma_dinh_danh TEXT PRIMARY KEY,
  ma_don_vi_cha TEXT,
  ngay_cap_nhat TEXT,
  version_key TEXT,
  body_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  applied_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  changed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS units_parent ON units (ma_don_vi_cha);
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  answer TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  version TEXT,
  outcome TEXT NOT NULL,
  applied INTEGER NOT NULL,
  idempotency_key TEXT,
  request_id TEXT,
  ma_don_vi TEXT
);
CREATE INDEX IF NOT EXISTS journal_record ON journal (kind, id);
CREATE TABLE IF NOT EXISTS dan_cu (
  so_dinh_danh TEXT PRIMARY KEY,
  nguon TEXT NOT NULL,
  cong_dan TEXT,
  kieu_lech TEXT,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doi_soat (
  seq INTEGER PRIMARY KEY,
  so_dinh_danh TEXT NOT NULL,
  ma_don_vi TEXT NOT NULL,
  ngay_doi_soat TEXT NOT NULL,
  phien_ban TEXT NOT NULL,
  version_key TEXT NOT NULL,
  ket_qua TEXT NOT NULL,
  chenh_lech TEXT,
  published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS doi_soat_unit ON doi_soat (ma_don_vi, seq);
CREATE INDEX IF NOT EXISTS doi_soat_record ON doi_soat (so_dinh_danh, seq);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

export class SimStore {
  readonly file: string;
  private readonly db: SqliteDatabase;
  private readonly counters = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly stmt;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, SIM_DB_FILE);
    this.db = openSqlite(this.file);
    this.db.pragma('journal_mode = WAL');
    // OFF: every commit is handed to the OS before the answer is sent, so a killed simulator
    // process loses nothing (the failure tests and benchmarks inflict); only an OS crash could,
    // which a test fixture need not survive. It also spares the fsyncs of WAL checkpoints, which
    // would otherwise stall the benchmark upstream every few hundred writes.
    this.db.pragma('synchronous = OFF');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(SCHEMA);
    this.migrate();
    const db = this.db;
    this.stmt = {
      getProfile: db.prepare<[string], { so_dinh_danh: string; ngay_cap_nhat: string; version_key: string; body: string; applied_count: number }>(
        'SELECT so_dinh_danh, ngay_cap_nhat, version_key, body, applied_count FROM profiles WHERE so_dinh_danh = ?',
      ),
      insertProfile: db.prepare(
        'INSERT INTO profiles (so_dinh_danh, ngay_cap_nhat, version_key, ma_don_vi, body, applied_count, created_at, updated_at, bam) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)',
      ),
      updateProfile: db.prepare(
        'UPDATE profiles SET ngay_cap_nhat = ?, version_key = ?, ma_don_vi = ?, body = ?, applied_count = applied_count + 1, updated_at = ?, bam = ? WHERE so_dinh_danh = ?',
      ),
      getUnit: db.prepare<[string], UnitRow>('SELECT * FROM units WHERE ma_dinh_danh = ?'),
      childUnits: db.prepare<[string], UnitRow>('SELECT * FROM units WHERE ma_don_vi_cha = ? ORDER BY ma_dinh_danh'),
      insertUnit: db.prepare(
        'INSERT INTO units (ma_dinh_danh, ma_don_vi_cha, ngay_cap_nhat, version_key, body_hash, body, applied_count, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)',
      ),
      updateUnit: db.prepare(
        'UPDATE units SET ma_don_vi_cha = ?, ngay_cap_nhat = ?, version_key = ?, body_hash = ?, body = ?, applied_count = applied_count + 1, changed_at = ? WHERE ma_dinh_danh = ?',
      ),
      getIdem: db.prepare<[string], { request_hash: string; status: number; answer: string }>(
        'SELECT request_hash, status, answer FROM idempotency WHERE key = ?',
      ),
      putIdem: db.prepare('INSERT INTO idempotency (key, request_hash, status, answer, created_at) VALUES (?, ?, ?, ?, ?)'),
      journal: db.prepare(
        'INSERT INTO journal (at, kind, id, version, outcome, applied, idempotency_key, request_id, ma_don_vi) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertCounter: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      counts: db.prepare<[], { profiles: number; units: number; keys: number }>(
        'SELECT (SELECT count(*) FROM profiles) AS profiles, (SELECT count(*) FROM units) AS units, (SELECT count(*) FROM idempotency) AS keys',
      ),
      duplicates: db.prepare<[], { n: number }>(
        'SELECT count(*) AS n FROM (SELECT 1 FROM journal WHERE applied = 1 AND version IS NOT NULL GROUP BY kind, id, version HAVING count(*) > 1)',
      ),
      appliedProfiles: db.prepare<[], { id: string; n: number }>('SELECT so_dinh_danh AS id, applied_count AS n FROM profiles'),
      appliedUnits: db.prepare<[], { id: string; n: number }>('SELECT ma_dinh_danh AS id, applied_count AS n FROM units'),
      journalFor: db.prepare<[string, string, number, number], JournalRow>(
        'SELECT * FROM journal WHERE kind = ? AND id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      journalAll: db.prepare<[number, number], JournalRow>('SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?'),
      childCodes: db.prepare<[string], { code: string }>('SELECT ma_dinh_danh AS code FROM units WHERE ma_don_vi_cha = ?'),
      profileSnapshot: db.prepare<[], { s: number }>('SELECT coalesce(max(rowid), 0) AS s FROM profiles'),
      // The unit set travels as one JSON array parameter (json_each), however large the subtree.
      inventory: db.prepare<[string, string, number, number], InventoryRow>(
        `SELECT p.so_dinh_danh, p.ngay_cap_nhat, p.bam, p.ma_don_vi,
                (SELECT d.ket_qua FROM doi_soat d WHERE d.so_dinh_danh = p.so_dinh_danh AND d.version_key = p.version_key ORDER BY d.seq DESC LIMIT 1) AS ket_qua
           FROM profiles p
          WHERE p.ma_don_vi IN (SELECT value FROM json_each(?)) AND p.so_dinh_danh > ? AND p.rowid <= ?
          ORDER BY p.so_dinh_danh LIMIT ?`,
      ),
      inventoryCount: db.prepare<[string, number], { n: number }>(
        'SELECT count(*) AS n FROM profiles WHERE ma_don_vi IN (SELECT value FROM json_each(?)) AND rowid <= ?',
      ),
      profilesAfter: db.prepare<[string, number], { so_dinh_danh: string; ngay_cap_nhat: string; version_key: string; ma_don_vi: string; body: string }>(
        'SELECT so_dinh_danh, ngay_cap_nhat, version_key, ma_don_vi, body FROM profiles WHERE so_dinh_danh > ? ORDER BY so_dinh_danh LIMIT ?',
      ),
      lastMatching: db.prepare<[string], { ngay_doi_soat: string }>('SELECT ngay_doi_soat FROM doi_soat WHERE so_dinh_danh = ? ORDER BY seq DESC LIMIT 1'),
      latestMatchingDay: db.prepare<[], { d: string | null }>('SELECT max(ngay_doi_soat) AS d FROM doi_soat'),
      insertMatching: db.prepare(
        'INSERT INTO doi_soat (so_dinh_danh, ma_don_vi, ngay_doi_soat, phien_ban, version_key, ket_qua, chenh_lech, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      matchingResults: db.prepare<[number, string, string | null, string | null, number], MatchingDbRow>(
        `SELECT * FROM doi_soat WHERE seq > ? AND ma_don_vi IN (SELECT value FROM json_each(?)) AND (? IS NULL OR ket_qua = ?)
          ORDER BY seq LIMIT ?`,
      ),
      getPopulation: db.prepare<[string], { so_dinh_danh: string; nguon: string; cong_dan: string | null; kieu_lech: string | null }>(
        'SELECT so_dinh_danh, nguon, cong_dan, kieu_lech FROM dan_cu WHERE so_dinh_danh = ?',
      ),
      putPopulation: db.prepare(
        `INSERT INTO dan_cu (so_dinh_danh, nguon, cong_dan, kieu_lech, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (so_dinh_danh) DO UPDATE SET nguon = excluded.nguon, cong_dan = excluded.cong_dan, kieu_lech = excluded.kieu_lech, updated_at = excluded.updated_at`,
      ),
      populationCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dan_cu'),
      matchingCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM doi_soat'),
    };
    for (const row of db.prepare<[], { name: string; value: number }>('SELECT name, value FROM counters').all()) {
      this.counters.set(row.name, row.value);
    }
    // Counters of requests that write nothing (reads, refusals, injected faults) are flushed on a
    // timer; counters of writes commit with the write itself (see transaction()).
    this.flushTimer = setInterval(() => this.flush(), 1000);
    this.flushTimer.unref();
  }

  /**
   * Brings a data file written before contract 1.1 up to date: the `bam` column (computed for the
   * records already stored) and the index the inventory reads by unit.
   */
  private migrate(): void {
    const columns = this.db.pragma('table_info(profiles)') as { name: string }[];
    if (!columns.some((c) => c.name === 'bam')) this.db.exec('ALTER TABLE profiles ADD COLUMN bam TEXT');
    const missing = this.db.prepare<[], { so_dinh_danh: string; body: string }>('SELECT so_dinh_danh, body FROM profiles WHERE bam IS NULL').all();
    if (missing.length > 0) {
      const set = this.db.prepare('UPDATE profiles SET bam = ? WHERE so_dinh_danh = ?');
      this.db.transaction(() => {
        for (const row of missing) {
          const { chuKySo: _signature, ...unsigned } = JSON.parse(row.body) as Record<string, unknown>;
          set.run(recordBam(canonicalJson(unsigned)), row.so_dinh_danh);
        }
      })();
    }
    this.db.exec('CREATE INDEX IF NOT EXISTS profiles_unit ON profiles (ma_don_vi, so_dinh_danh)');
  }

  bump(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    this.dirty.add(name);
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  allCounters(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  private writeDirty(): void {
    for (const name of this.dirty) this.stmt.upsertCounter.run(name, this.counters.get(name) ?? 0);
    this.dirty.clear();
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    this.db.transaction(() => this.writeDirty())();
  }

  /**
   * Runs fn in one SQLite transaction, together with the counters it bumped. If fn throws, its
   * counter bumps are undone as well, so counts never claim a write that did not commit.
   */
  transaction<T>(fn: () => T): T {
    const before = new Map(this.counters);
    const dirtyBefore = new Set(this.dirty);
    try {
      return this.db.transaction(() => {
        const result = fn();
        this.writeDirty();
        return result;
      })();
    } catch (err) {
      this.counters.clear();
      for (const [k, v] of before) this.counters.set(k, v);
      this.dirty.clear();
      for (const k of dirtyBefore) this.dirty.add(k);
      throw err;
    }
  }

  getProfile(soDinhDanh: string): StoredProfile | undefined {
    const r = this.stmt.getProfile.get(soDinhDanh);
    return r && { soDinhDanh: r.so_dinh_danh, ngayCapNhat: r.ngay_cap_nhat, versionKey: r.version_key, body: r.body, appliedCount: r.applied_count };
  }

  insertProfile(p: ProfileWrite, now: number): void {
    this.stmt.insertProfile.run(p.soDinhDanh, p.ngayCapNhat, p.versionKey, p.maDonVi, p.body, now, now, p.bam);
  }

  updateProfile(p: ProfileWrite, now: number): void {
    this.stmt.updateProfile.run(p.ngayCapNhat, p.versionKey, p.maDonVi, p.body, now, p.bam, p.soDinhDanh);
  }

  // ---- contract 1.1: inventory, population register, matching results ----------------------

  /** The unit and every unit below it in the stored tree (the unit itself even if not stored). */
  subtreeCodes(root: string): string[] {
    const codes = [root];
    const seen = new Set(codes);
    for (let i = 0; i < codes.length; i++) {
      for (const { code } of this.stmt.childCodes.all(codes[i])) {
        if (seen.has(code)) continue;
        seen.add(code);
        codes.push(code);
      }
    }
    return codes;
  }

  /** The newest record row so far: an inventory paged across writes lists only rows up to it. */
  profileSnapshot(): number {
    return this.stmt.profileSnapshot.get()!.s;
  }

  inventory(units: string[], afterSoDinhDanh: string, snapshot: number, limit: number): InventoryLine[] {
    return this.stmt.inventory.all(JSON.stringify(units), afterSoDinhDanh, snapshot, limit).map((r) => ({
      soDinhDanh: r.so_dinh_danh,
      phienBan: r.ngay_cap_nhat,
      bam: r.bam,
      maDonVi: r.ma_don_vi,
      ketQuaDoiSoat: r.ket_qua,
    }));
  }

  inventoryCount(units: string[], snapshot: number): number {
    return this.stmt.inventoryCount.get(JSON.stringify(units), snapshot)!.n;
  }

  /** Stored records in soDinhDanh order, after the given one (a matching run reads them in chunks). */
  profilesAfter(afterSoDinhDanh: string, limit: number): MatchableProfile[] {
    return this.stmt.profilesAfter.all(afterSoDinhDanh, limit).map((r) => ({
      soDinhDanh: r.so_dinh_danh,
      ngayCapNhat: r.ngay_cap_nhat,
      versionKey: r.version_key,
      maDonVi: r.ma_don_vi,
      body: r.body,
    }));
  }

  /** The day of the latest result published for a record, if any. */
  lastMatchingDay(soDinhDanh: string): string | undefined {
    return this.stmt.lastMatching.get(soDinhDanh)?.ngay_doi_soat;
  }

  /** The day of the latest result published at all. */
  latestMatchingDay(): string | undefined {
    return this.stmt.latestMatchingDay.get()?.d ?? undefined;
  }

  /** Publishes one result; returns its sequence number (the order of publication). */
  insertMatching(r: Omit<MatchingRow, 'seq'>, now: number): number {
    const res = this.stmt.insertMatching.run(r.soDinhDanh, r.maDonVi, r.ngayDoiSoat, r.phienBan, r.versionKey, r.ketQua, r.chenhLech, now);
    return Number(res.lastInsertRowid);
  }

  matchingResults(units: string[], afterSeq: number, ketQua: string | null, limit: number): MatchingRow[] {
    return this.stmt.matchingResults.all(afterSeq, JSON.stringify(units), ketQua, ketQua, limit).map((r) => ({
      seq: r.seq,
      soDinhDanh: r.so_dinh_danh,
      maDonVi: r.ma_don_vi,
      ngayDoiSoat: r.ngay_doi_soat,
      phienBan: r.phien_ban,
      versionKey: r.version_key,
      ketQua: r.ket_qua,
      chenhLech: r.chenh_lech,
    }));
  }

  getPopulation(soDinhDanh: string): PopulationRow | undefined {
    const r = this.stmt.getPopulation.get(soDinhDanh);
    return r && { soDinhDanh: r.so_dinh_danh, nguon: r.nguon as PopulationRow['nguon'], congDan: r.cong_dan, kieuLech: r.kieu_lech };
  }

  putPopulation(p: PopulationRow, now: number): void {
    this.stmt.putPopulation.run(p.soDinhDanh, p.nguon, p.congDan, p.kieuLech, now);
  }

  /** Sizes of the 1.1 tables, for the stats. */
  reconciliationSizes(): { population: number; results: number } {
    return { population: this.stmt.populationCount.get()!.n, results: this.stmt.matchingCount.get()!.n };
  }

  getUnit(maDinhDanh: string): StoredUnit | undefined {
    const r = this.stmt.getUnit.get(maDinhDanh);
    return r && unitFromRow(r);
  }

  childUnits(maDinhDanh: string): StoredUnit[] {
    return this.stmt.childUnits.all(maDinhDanh).map(unitFromRow);
  }

  insertUnit(u: Omit<StoredUnit, 'appliedCount' | 'changedAt'>, now: number): void {
    this.stmt.insertUnit.run(u.maDinhDanh, u.maDonViCha, u.ngayCapNhat, u.versionKey, u.bodyHash, u.body, now, now);
  }

  updateUnit(u: Omit<StoredUnit, 'appliedCount' | 'changedAt'>, now: number): void {
    this.stmt.updateUnit.run(u.maDonViCha, u.ngayCapNhat, u.versionKey, u.bodyHash, u.body, now, u.maDinhDanh);
  }

  getIdempotency(key: string): IdempotencyRecord | undefined {
    const r = this.stmt.getIdem.get(key);
    return r && { requestHash: r.request_hash, status: r.status, answer: r.answer };
  }

  putIdempotency(key: string, rec: IdempotencyRecord, now: number): void {
    this.stmt.putIdem.run(key, rec.requestHash, rec.status, rec.answer, now);
  }

  journal(e: JournalInput, now: number): void {
    this.stmt.journal.run(now, e.kind, e.id, e.version, e.outcome, e.applied ? 1 : 0, e.idempotencyKey ?? null, e.requestId ?? null, e.maDonVi ?? null);
  }

  journalEntries(filter: { kind?: 'profile' | 'unit'; id?: string; afterSeq?: number; limit?: number }): JournalEntry[] {
    const after = filter.afterSeq ?? 0;
    const limit = Math.min(Math.max(filter.limit ?? 1000, 1), 100_000);
    const rows = filter.id ? this.stmt.journalFor.all(filter.kind ?? 'profile', filter.id, after, limit) : this.stmt.journalAll.all(after, limit);
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      kind: r.kind as 'profile' | 'unit',
      id: r.id,
      version: r.version,
      outcome: r.outcome,
      applied: r.applied === 1,
      idempotencyKey: r.idempotency_key,
      requestId: r.request_id,
      maDonVi: r.ma_don_vi,
    }));
  }

  sizes(): { profiles: number; units: number; keys: number } {
    return this.stmt.counts.get()!;
  }

  /** (record, version) pairs applied more than once: must always be 0. Units written without
   *  ngayCapNhat have no version to compare and are left out. */
  duplicatesApplied(): number {
    return this.stmt.duplicates.get()!.n;
  }

  appliedBy(kind: 'profile' | 'unit'): Record<string, number> {
    const rows = kind === 'profile' ? this.stmt.appliedProfiles.all() : this.stmt.appliedUnits.all();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.id] = r.n;
    return out;
  }

  /** Forgets everything: records, units, idempotency keys, journal, population register, matching
   *  results and counters. `keepIdempotency`: the records are lost but the idempotency keys stay
   *  (a centre restored from an old backup whose key cache survived). */
  wipe(options: { keepIdempotency?: boolean } = {}): void {
    this.db.exec(
      `DELETE FROM profiles; DELETE FROM units; ${options.keepIdempotency ? '' : 'DELETE FROM idempotency; '}DELETE FROM journal; DELETE FROM dan_cu; DELETE FROM doi_soat; DELETE FROM counters;`,
    );
    this.counters.clear();
    this.dirty.clear();
  }

  close(): void {
    clearInterval(this.flushTimer);
    this.flush();
    this.db.close();
  }
}

interface ProfileWrite {
  soDinhDanh: string;
  ngayCapNhat: string;
  versionKey: string;
  maDonVi: string;
  body: string;
  bam: string;
}

interface InventoryRow {
  so_dinh_danh: string;
  ngay_cap_nhat: string;
  bam: string;
  ma_don_vi: string;
  ket_qua: string | null;
}

interface MatchingDbRow {
  seq: number;
  so_dinh_danh: string;
  ma_don_vi: string;
  ngay_doi_soat: string;
  phien_ban: string;
  version_key: string;
  ket_qua: string;
  chenh_lech: string | null;
}

interface UnitRow {
  ma_dinh_danh: string;
  ma_don_vi_cha: string | null;
  ngay_cap_nhat: string | null;
  version_key: string | null;
  body_hash: string;
  body: string;
  applied_count: number;
  changed_at: number;
}

interface JournalRow {
  seq: number;
  at: number;
  kind: string;
  id: string;
  version: string | null;
  outcome: string;
  applied: number;
  idempotency_key: string | null;
  request_id: string | null;
  ma_don_vi: string | null;
}

function unitFromRow(r: UnitRow): StoredUnit {
  return {
    maDinhDanh: r.ma_dinh_danh,
    maDonViCha: r.ma_don_vi_cha,
    ngayCapNhat: r.ngay_cap_nhat,
    versionKey: r.version_key,
    bodyHash: r.body_hash,
    body: r.body,
    appliedCount: r.applied_count,
    changedAt: r.changed_at,
  };
}
