/**
 * The SQLite statement cache under Kysely (core/store/sqlite.ts cachingStatements): a query text
 * is compiled once and its statement reused, a statement still iterating is never handed out
 * twice, and results stay those of the real database (better-sqlite3 and node:sqlite alike).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachingStatements, openSqlite, sqliteDriver, type SqliteDatabase } from '../core/store/sqlite.js';

/** The engine, counting how often a statement is compiled. */
function counted(raw: SqliteDatabase): { db: SqliteDatabase; prepared: () => number } {
  let n = 0;
  const db: SqliteDatabase = {
    prepare: (sql) => (n++, raw.prepare(sql)),
    exec: (s) => raw.exec(s),
    pragma: (t) => raw.pragma(t),
    transaction: (fn) => raw.transaction(fn),
    close: () => raw.close(),
  };
  return { db, prepared: () => n };
}
import { openStore } from '../core/store/db.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-stmt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`SQLite statement cache (${sqliteDriver()})`, () => {
  it('prepares a query text once and reuses its statement', () => {
    const c = counted(openSqlite(path.join(dir, 'a.sqlite')));
    const db = cachingStatements(c.db);
    db.exec('create table t (id integer primary key, v text)');
    for (let i = 0; i < 50; i++) db.prepare('insert into t (v) values (?)').run([`v${i}`]);
    expect(c.prepared()).toBe(1);
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 50 });
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 50 });
    expect(c.prepared()).toBe(2);
    db.close();
  });

  it('hands out a fresh statement while the cached one is still iterating', () => {
    const db = cachingStatements(openSqlite(path.join(dir, 'b.sqlite')));
    db.exec('create table t (id integer primary key)');
    for (let i = 1; i <= 3; i++) db.prepare('insert into t (id) values (?)').run([i]);
    const sql = 'select id from t order by id';
    const outer = db.prepare(sql);
    const seen: number[] = [];
    for (const row of outer.iterate() as Iterable<{ id: number }>) {
      // The same text again, mid-iteration: must not be the busy statement.
      const inner = db.prepare(sql);
      if (sqliteDriver() === 'better-sqlite3') expect(inner).not.toBe(outer);
      seen.push(row.id, (inner.all() as { id: number }[]).length);
    }
    expect(seen).toEqual([1, 3, 2, 3, 3, 3]);
    db.close();
  });

  it('keeps at most `max` statements', () => {
    const c = counted(openSqlite(path.join(dir, 'c.sqlite')));
    const db = cachingStatements(c.db, 2);
    db.prepare('select 1');
    db.prepare('select 2');
    db.prepare('select 3'); // drops 'select 1'
    db.prepare('select 2');
    expect(c.prepared()).toBe(3);
    db.prepare('select 1');
    expect(c.prepared()).toBe(4);
    db.close();
  });

  it('serves the store: Kysely queries and transactions give the same results through the cache', async () => {
    const store = await openStore({ dataDir: path.join(dir, 'store'), databaseUrl: undefined, databaseSchema: undefined });
    try {
      for (let i = 0; i < 20; i++) await store.db.insertInto('settings').values({ name: `k${i}`, value: String(i), updated_at: i }).execute();
      await store.db.transaction().execute(async (trx) => {
        await trx.updateTable('settings').set({ value: 'x' }).where('name', '=', 'k3').execute();
      });
      const rows = await store.db.selectFrom('settings').select(['name', 'value']).where('name', 'in', ['k1', 'k3']).orderBy('name').execute();
      expect(rows).toEqual([
        { name: 'k1', value: '1' },
        { name: 'k3', value: 'x' },
      ]);
    } finally {
      await store.close();
    }
  });
});
