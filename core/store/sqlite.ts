/**
 * The embedded SQLite engine. On Node 20 and 22 it is better-sqlite3. On Node 24 it is Node's own
 * `node:sqlite`: better-sqlite3 12 aborts the process there (a statement finalised by the garbage
 * collector calls RemoveEnvironmentCleanupHook without an Environment — WiseLibs/better-sqlite3
 * #1515, closed without a fix), and better-sqlite3 13, which Node 24 would need, no longer builds
 * for Node 20. Both engines are exposed through the small better-sqlite3-shaped interface below,
 * which is all Kysely's SqliteDialect and the central simulator use.
 * NDXP_SQLITE_DRIVER=better-sqlite3|node forces one (tests of the shim use it).
 */
import { createRequire } from 'node:module';

export interface SqliteRunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  /** True when the statement returns rows. */
  readonly reader: boolean;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): SqliteRunResult;
  iterate(...params: P): IterableIterator<R>;
}

export interface SqliteDatabase {
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  exec(sql: string): void;
  /** `PRAGMA <text>`; returns the rows. */
  pragma(text: string): unknown;
  /** Wraps fn in BEGIN/COMMIT (ROLLBACK on throw). */
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): void;
}

const require = createRequire(import.meta.url);

export function sqliteDriver(): 'better-sqlite3' | 'node' {
  const forced = process.env.NDXP_SQLITE_DRIVER;
  if (forced === 'node' || forced === 'better-sqlite3') return forced;
  return Number(process.versions.node.split('.')[0]) >= 24 ? 'node' : 'better-sqlite3';
}

export function openSqlite(file: string): SqliteDatabase {
  if (sqliteDriver() === 'better-sqlite3') {
    const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;
    return new Database(file);
  }
  return new NodeSqlite(file);
}

/**
 * Keeps prepared statements by their SQL text. Kysely's SQLite driver prepares every query anew,
 * and compiling the SQL cost more than running it (a sixth of a single-record request's CPU):
 * the gateway's queries are a few dozen fixed texts, so each is compiled once. A statement still
 * busy (an iterator left open) is never handed out again; SQLite re-prepares a cached statement
 * by itself after a schema change. Bounded: the oldest text is dropped past `max`.
 */
export function cachingStatements(db: SqliteDatabase, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  const prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> => {
    const hit = cache.get(sql);
    if (hit && !(hit as { busy?: boolean }).busy) return hit as unknown as SqliteStatement<P, R>;
    const stmt = db.prepare<P, R>(sql);
    if (!hit) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt as unknown as SqliteStatement);
    }
    return stmt;
  };
  return {
    prepare,
    exec: (sql) => db.exec(sql),
    pragma: (text) => db.pragma(text),
    transaction: (fn) => db.transaction(fn),
    close: () => {
      cache.clear();
      db.close();
    },
  };
}

// --- node:sqlite behind the better-sqlite3 shape --------------------------------------------

interface NodeStatementSync {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): SqliteRunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
}

interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
}

/** better-sqlite3 binds an array given as the only argument positionally; node:sqlite wants them spread. */
const spread = (params: unknown[]): unknown[] => (params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params);

/** BLOBs come back as Uint8Array from node:sqlite and as Buffer from better-sqlite3: give Buffers. */
function row(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const r = value as Record<string, unknown>;
  for (const k in r) {
    const v = r[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return r;
}

class NodeStatement implements SqliteStatement {
  readonly reader: boolean;
  constructor(private readonly st: NodeStatementSync) {
    this.reader = st.columns().length > 0;
  }
  get(...params: unknown[]): unknown {
    return row(this.st.get(...spread(params)));
  }
  all(...params: unknown[]): unknown[] {
    return this.st.all(...spread(params)).map(row);
  }
  run(...params: unknown[]): SqliteRunResult {
    return this.st.run(...spread(params));
  }
  /** True while an iteration is open, as better-sqlite3 reports it: the statement cache (cachingStatements) must not hand a busy statement out again. */
  busy = false;
  *iterate(...params: unknown[]): IterableIterator<unknown> {
    this.busy = true;
    try {
      for (const r of this.st.iterate(...spread(params))) yield row(r);
    } finally {
      this.busy = false;
    }
  }
}

class NodeSqlite implements SqliteDatabase {
  private readonly db: NodeDatabaseSync;
  private depth = 0;
  constructor(file: string) {
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (file: string) => NodeDatabaseSync };
    this.db = new DatabaseSync(file);
  }
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> {
    return new NodeStatement(this.db.prepare(sql)) as unknown as SqliteStatement<P, R>;
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
  pragma(text: string): unknown {
    return this.db.prepare(`PRAGMA ${text}`).all();
  }
  transaction<F extends (...args: never[]) => unknown>(fn: F): F {
    // Nested calls use savepoints, as better-sqlite3 does.
    return ((...args: never[]) => {
      const name = `ndxp_tx_${this.depth}`;
      this.db.exec(this.depth === 0 ? 'BEGIN' : `SAVEPOINT ${name}`);
      this.depth++;
      try {
        const result = fn(...args);
        this.depth--;
        this.db.exec(this.depth === 0 ? 'COMMIT' : `RELEASE ${name}`);
        return result;
      } catch (err) {
        this.depth--;
        this.db.exec(this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
        throw err;
      }
    }) as F;
  }
  close(): void {
    this.db.close();
  }
}
