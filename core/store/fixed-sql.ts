/**
 * Fixed statements for hot paths: SQL written once as text with `?` placeholders and run through
 * Kysely's executor (its connection, transaction and SQLite busy handling) without its query
 * builder. Building a query with Kysely (expression builders, frozen operation nodes, compiling
 * them to text) cost more CPU than SQLite spent running it: for every record the outbox ran four
 * to six such queries. A fixed text is numbered `$1…` once for PostgreSQL, and SQLite finds its
 * prepared statement by the same text (sqlite.ts `cachingStatements`).
 *
 * Only for statements whose text both engines read alike; parameters bind positionally, in the
 * order the placeholders appear, and must be null rather than undefined.
 */
import { CompiledQuery, PostgresAdapter, type Kysely, type QueryResult } from 'kysely';

/** What a fixed statement needs of a store's handle or of a transaction: its executor, whatever the tables. */
export type Runs = Pick<Kysely<never>, 'getExecutor' | 'executeQuery'>;

/** True when `db` (a store's handle or a transaction of it) runs on PostgreSQL. */
export function onPostgres(db: Runs): boolean {
  // getExecutor() is marked internal in Kysely's types but is how its own raw `sql` compiles.
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** `?` placeholders numbered `$1…` in order (no text here contains a `?` of its own). */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** One fixed statement; its PostgreSQL text is made on first use. */
export class FixedSql {
  private postgresText: string | undefined;
  constructor(readonly text: string) {}

  /** The text for `db`'s engine. */
  textFor(db: Runs): string {
    if (!onPostgres(db)) return this.text;
    return (this.postgresText ??= numbered(this.text));
  }

  run<R = Record<string, unknown>>(db: Runs, params: readonly unknown[]): Promise<QueryResult<R>> {
    return db.executeQuery<R>(CompiledQuery.raw(this.textFor(db), params as unknown[]));
  }
}

/** Rows an UPDATE/INSERT/DELETE without RETURNING changed (both drivers report it). */
export function changedRows(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0);
}

/**
 * A statement whose text depends on how many values a list holds (`IN (…)` lists, multi-row
 * VALUES): `build(n)` writes the text for n once, kept per length. Callers cut lists with
 * chunks.ts, so the lengths, and the texts kept, are bounded.
 */
export class FixedSqlByLength {
  private readonly byLength = new Map<number, FixedSql>();
  constructor(private readonly build: (n: number) => string) {}

  /** The statement for a list of `n` values. */
  of(n: number): FixedSql {
    let s = this.byLength.get(n);
    if (!s) this.byLength.set(n, (s = new FixedSql(this.build(n))));
    return s;
  }
}

/** `?, ?, …` for n values. */
export function placeholders(n: number): string {
  return n === 1 ? '?' : `?${', ?'.repeat(n - 1)}`;
}
