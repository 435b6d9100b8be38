/**
 * A submission's working rows on disk instead of in the heap: the repeating-part rows (joined to
 * their record by personal id on the second pass over the workbook), the records' personal ids
 * (to name part rows without a record), one outcome per records-sheet row (read back when the
 * answer is written), the cell problems (looked up row by row while the answer streams: its red
 * cells' comments, each row's detail, the list of every problem) and, for `ndxp excel status`,
 * what the earlier answer said of each row (taken in pages to ask the queue). Kept in memory they made a 50,000-row submission's heap grow with the
 * workbook (and V8 let the process grow several times that before collecting); in a throwaway
 * SQLite file in a temporary directory the process stays about as small for 50,000 rows as for
 * 10,000. Synchronous (better-sqlite3 / node:sqlite), so the answer writer can look a row up
 * while it streams.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../../core/store/sqlite.js';
import type { AnsweredRow, AnswerStateSink, CellIssue, IssueLookup, OutcomeLookup, RowOutcome } from '../../adapters/excel/answer.js';
import { parseCellRef } from '../../adapters/excel/layout.js';
import type { WireRow } from '../../adapters/excel/wire.js';

/** Rows written per transaction (one transaction per row would cost a file sync each). */
const CHUNK = 2000;

/** Problems read per page when the list of every problem is written. */
const PAGE = 1000;

export class SubmissionSpill implements OutcomeLookup, IssueLookup, AnswerStateSink {
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
    issue: SqliteStatement<[number, string | null, number | null, number, string]>;
    onRow: SqliteStatement<[string, number], { json: string }>;
    ofRecord: SqliteStatement<[number], { json: string }>;
    issuesAfter: SqliteStatement<[number, number], { seq: number; json: string }>;
    errorCount: SqliteStatement<[], { n: number }>;
    answered: SqliteStatement<[number, string]>;
    answeredAfter: SqliteStatement<[number, number], { row: number; json: string }>;
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
        -- ord: the order the answer lists them in (orphans()).
        CREATE TABLE orphan (ord INTEGER PRIMARY KEY, id TEXT NOT NULL, k INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE TABLE outcome (row INTEGER PRIMARY KEY, json TEXT NOT NULL);
        -- rec: the records-sheet row the problem belongs to; sheet, srow: where its cell is (NULL when its ref names no cell).
        CREATE TABLE issue (seq INTEGER PRIMARY KEY, rec INTEGER NOT NULL, sheet TEXT, srow INTEGER, error INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE INDEX issue_cell ON issue (sheet, srow, seq);
        CREATE INDEX issue_rec ON issue (rec, seq);
        CREATE TABLE answered (row INTEGER PRIMARY KEY, json TEXT NOT NULL);
      `);
      this.stmt = {
        part: this.db.prepare('INSERT INTO part (id, k, json) VALUES (?, ?, ?)'),
        record: this.db.prepare('INSERT OR IGNORE INTO record (id) VALUES (?)'),
        partsOf: this.db.prepare('SELECT k, json FROM part WHERE id = ? ORDER BY k, seq'),
        outcome: this.db.prepare('INSERT OR REPLACE INTO outcome (row, json) VALUES (?, ?)'),
        outcomeOf: this.db.prepare('SELECT json FROM outcome WHERE row = ?'),
        outcomes: this.db.prepare('SELECT json FROM outcome ORDER BY row'),
        count: this.db.prepare('SELECT count(*) AS n FROM outcome'),
        issue: this.db.prepare('INSERT INTO issue (rec, sheet, srow, error, json) VALUES (?, ?, ?, ?, ?)'),
        onRow: this.db.prepare('SELECT json FROM issue WHERE sheet = ? AND srow = ? ORDER BY seq'),
        ofRecord: this.db.prepare('SELECT json FROM issue WHERE rec = ? ORDER BY seq'),
        issuesAfter: this.db.prepare('SELECT seq, json FROM issue WHERE seq > ? ORDER BY seq LIMIT ?'),
        errorCount: this.db.prepare('SELECT count(*) AS n FROM issue WHERE error = 1'),
        answered: this.db.prepare('INSERT OR REPLACE INTO answered (row, json) VALUES (?, ?)'),
        answeredAfter: this.db.prepare('SELECT row, json FROM answered WHERE row > ? ORDER BY row LIMIT ?'),
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

  /**
   * Part rows whose personal id has no record, by part number, then by the first row of their id,
   * then in sheet order. Put in that order in a table of their own first and read a page at a
   * time, so the caller may write to this file (its problems) between two (a statement kept
   * open while iterating keeps the connection busy).
   */
  *orphans(): Generator<{ id: string; k: number; row: WireRow }> {
    this.settle();
    this.db.exec(`
      DELETE FROM orphan;
      INSERT INTO orphan (id, k, json)
      SELECT p.id, p.k, p.json FROM part p
      WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.id = p.id)
      ORDER BY p.k, (SELECT min(q.seq) FROM part q WHERE q.id = p.id AND q.k = p.k), p.seq`);
    const after = this.db.prepare<[number, number], { ord: number; id: string; k: number; json: string }>('SELECT ord, id, k, json FROM orphan WHERE ord > ? ORDER BY ord LIMIT ?');
    for (let last = 0; ; ) {
      const page = after.all(last, PAGE);
      for (const r of page) yield { id: r.id, k: r.k, row: JSON.parse(r.json) as WireRow };
      if (page.length < PAGE) return;
      last = page[page.length - 1].ord;
    }
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

  /** A cell problem, after those added before it. */
  addIssue(issue: CellIssue): void {
    const at = parseCellRef(issue.ref);
    this.write(() => this.stmt.issue.run(issue.row, at?.sheet ?? null, at?.row ?? null, issue.warning ? 0 : 1, JSON.stringify(issue)));
  }

  /** readAnswerState's sink: a problem the earlier answer lists. */
  issue(issue: CellIssue): void {
    this.addIssue(issue);
  }

  onRow(sheet: string, row: number): CellIssue[] {
    return this.stmt.onRow.all(sheet, row).map((r) => JSON.parse(r.json) as CellIssue);
  }

  ofRecord(row: number): CellIssue[] {
    return this.stmt.ofRecord.all(row).map((r) => JSON.parse(r.json) as CellIssue);
  }

  /** Every problem in the order added, a page at a time (no statement stays open between pages). */
  *all(): Generator<CellIssue> {
    this.settle();
    for (let after = 0; ; ) {
      const page = this.stmt.issuesAfter.all(after, PAGE);
      for (const r of page) yield JSON.parse(r.json) as CellIssue;
      if (page.length < PAGE) return;
      after = page[page.length - 1].seq;
    }
  }

  get errorCount(): number {
    this.settle();
    return this.stmt.errorCount.get()!.n;
  }

  /** readAnswerState's sink: what the earlier answer says of records-sheet row `row`. */
  row(row: number, answered: AnsweredRow): void {
    // The detail is written anew from the outcome and the problems: not kept.
    const { detail: _detail, ...kept } = answered;
    this.write(() => this.stmt.answered.run(row, JSON.stringify(kept)));
  }

  /** Up to `limit` answered rows after row `after`, by row number. */
  answeredAfter(after: number, limit: number): { row: number; answered: AnsweredRow }[] {
    return this.stmt.answeredAfter.all(after, limit).map((r) => ({ row: r.row, answered: JSON.parse(r.json) as AnsweredRow }));
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
