/**
 * A submission's working rows on disk instead of in the heap: the repeating-part rows (joined to
 * their record by personal id on the second pass over the workbook), the records' personal ids
 * (to name part rows without a record) and one outcome per records-sheet row (read back when the
 * answer is written). Kept in memory they made a 50,000-row submission's heap grow with the
 * workbook (and V8 let the process grow several times that before collecting); in a throwaway
 * SQLite file in a temporary directory the process stays about as small for 50,000 rows as for
 * 10,000. Synchronous (better-sqlite3 / node:sqlite), so the answer writer can look a row up
 * while it streams.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../../core/store/sqlite.js';
import type { OutcomeLookup, RowOutcome } from '../../adapters/excel/answer.js';
import type { WireRow } from '../../adapters/excel/wire.js';

/** Rows written per transaction (one transaction per row would cost a file sync each). */
const CHUNK = 2000;

export class SubmissionSpill implements OutcomeLookup {
  /** The scratch directory (removed by dispose). */
  readonly dir: string;
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    part: SqliteStatement<[string, number, string]>;
    record: SqliteStatement<[string]>;
    partsOf: SqliteStatement<[string], { k: number; json: string }>;
    outcome: SqliteStatement<[number, string]>;
    outcomeOf: SqliteStatement<[number], { json: string }>;
    outcomes: SqliteStatement<[], { json: string }>;
    count: SqliteStatement<[], { n: number }>;
  };
  private pending = 0;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-excel-spill-'));
    try {
      this.db = openSqlite(path.join(this.dir, 'rows.sqlite'));
      // A scratch file: nothing to recover after a crash, so no journal and no sync.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.exec(`
        CREATE TABLE part (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, k INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE INDEX part_id ON part (id, k, seq);
        CREATE TABLE record (id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE outcome (row INTEGER PRIMARY KEY, json TEXT NOT NULL);
      `);
      this.stmt = {
        part: this.db.prepare('INSERT INTO part (id, k, json) VALUES (?, ?, ?)'),
        record: this.db.prepare('INSERT OR IGNORE INTO record (id) VALUES (?)'),
        partsOf: this.db.prepare('SELECT k, json FROM part WHERE id = ? ORDER BY k, seq'),
        outcome: this.db.prepare('INSERT OR REPLACE INTO outcome (row, json) VALUES (?, ?)'),
        outcomeOf: this.db.prepare('SELECT json FROM outcome WHERE row = ?'),
        outcomes: this.db.prepare('SELECT json FROM outcome ORDER BY row'),
        count: this.db.prepare('SELECT count(*) AS n FROM outcome'),
      };
    } catch (err) {
      rmSync(this.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Groups writes into transactions of CHUNK rows; reads see them all the same (one connection). */
  private write(fn: () => void): void {
    if (this.pending === 0) this.db.exec('BEGIN');
    fn();
    if (++this.pending >= CHUNK) this.settle();
  }

  /** Ends the open write transaction, if any. */
  settle(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    this.db.exec('COMMIT');
  }

  /** A repeating-part row of part number `k` (its sheet's place in PART_SHEETS), under its personal id. */
  addPart(id: string, k: number, row: WireRow): void {
    this.write(() => this.stmt.part.run(id, k, JSON.stringify(row)));
  }

  /** A personal id that has a row on the records sheet. */
  addRecord(id: string): void {
    this.write(() => this.stmt.record.run(id));
  }

  /** The part rows of one personal id, by part number, in sheet order. */
  partsOf(id: string): Map<number, WireRow[]> {
    const found = new Map<number, WireRow[]>();
    for (const r of this.stmt.partsOf.all(id)) (found.get(r.k) ?? found.set(r.k, []).get(r.k)!).push(JSON.parse(r.json) as WireRow);
    return found;
  }

  /** Part rows whose personal id has no record, by part number, then by the first row of their id, then in sheet order. */
  *orphans(): Generator<{ id: string; k: number; row: WireRow }> {
    this.settle();
    const rows = this.db.prepare<[], { id: string; k: number; json: string }>(`
      SELECT p.id, p.k, p.json FROM part p
      WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.id = p.id)
      ORDER BY p.k, (SELECT min(q.seq) FROM part q WHERE q.id = p.id AND q.k = p.k), p.seq`);
    for (const r of rows.iterate()) yield { id: r.id, k: r.k, row: JSON.parse(r.json) as WireRow };
  }

  set(row: number, outcome: RowOutcome): void {
    this.write(() => this.stmt.outcome.run(row, JSON.stringify(outcome)));
  }

  get(row: number): RowOutcome | undefined {
    const r = this.stmt.outcomeOf.get(row);
    return r ? (JSON.parse(r.json) as RowOutcome) : undefined;
  }

  get size(): number {
    this.settle();
    return this.stmt.count.get()!.n;
  }

  *values(): Generator<RowOutcome> {
    this.settle();
    for (const r of this.stmt.outcomes.iterate()) yield JSON.parse(r.json) as RowOutcome;
  }

  /** Closes and removes the file. */
  dispose(): void {
    try {
      this.db.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
