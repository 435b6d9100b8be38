/**
 * The state store: SQLite under the data directory by default, PostgreSQL when DATABASE_URL is
 * set. One Kysely query layer over both; migrations run at open. Everything the gateway keeps
 * (certificates, keys, audit trail, outbox, re-mapping table) lives here.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver } from 'kysely';
import type { Config } from '../../config/config.js';
import type { DB } from './schema.js';
import { migrate } from './migrate.js';
import type { Dialect } from './migration.js';
import { cachingStatements, openSqlite } from './sqlite.js';


export interface Store {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Human description without credentials, for logs and /readyz. */
  describe: string;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and counters that fit a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * SQLite transactions that read and then write fail at once with SQLITE_BUSY in WAL mode when
 * another process (a second data-plane worker, the CLI) committed in between: a deferred
 * transaction cannot upgrade its snapshot, and busy_timeout does not apply. Every transaction
 * here writes, so each one starts with BEGIN IMMEDIATE: it takes the write lock first (waiting for
 * it without blocking the event loop, see busyRetrying) and never has to upgrade.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    let w = this.wrapped.get(connection);
    if (!w) this.wrapped.set(connection, (w = busyRetrying(connection)));
    return w;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite's own wait for a lock is a synchronous sleep that would freeze this process's event loop. */
const SQLITE_BUSY_SYNC_WAIT_MS = 20;
const SQLITE_BUSY_DEADLINE_MS = 15_000;

const isBusy = (err: unknown): boolean => /database is locked|SQLITE_BUSY/i.test(`${(err as { code?: string })?.code ?? ''} ${(err as Error)?.message ?? ''}`);

/**
 * Waits for another process's write lock asynchronously: SQLite blocks at most
 * SQLITE_BUSY_SYNC_WAIT_MS (busy_timeout), then the statement is retried after a timer, so the
 * event loop keeps answering clients while another worker writes. Only BEGIN IMMEDIATE and
 * autocommit statements can meet a busy lock (a transaction holds the write lock from its first
 * statement), and both are safe to run again.
 */
function busyRetrying(inner: DatabaseConnection): DatabaseConnection {
  return {
    async executeQuery(query) {
      const deadline = Date.now() + SQLITE_BUSY_DEADLINE_MS;
      let delay = 2;
      for (;;) {
        try {
          return await inner.executeQuery(query);
        } catch (err) {
          if (!isBusy(err) || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
          delay = Math.min(delay * 2, 50);
        }
      }
    },
    streamQuery: (query, chunkSize) => inner.streamQuery(query, chunkSize),
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(settings);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

/**
 * CREATE SCHEMA IF NOT EXISTS is not safe against itself on PostgreSQL: two nodes starting
 * together on a fresh database can both pass the check and one fails on the catalogue's unique
 * index. The statement runs under a transaction-scoped advisory lock instead.
 */
async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ndxp-schema:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export type StoreSettings = Pick<Config, 'dataDir' | 'databaseUrl' | 'databaseSchema'>;

export async function openStore(settings: StoreSettings, options: { migrate?: boolean } = {}): Promise<Store> {
  let store: Store;
  if (settings.databaseUrl) {
    const url = new URL(settings.databaseUrl);
    const schema = settings.databaseSchema;
    const pool = new pg.Pool({
      connectionString: settings.databaseUrl,
      max: 10,
      options: schema ? `-c search_path=${schema}` : undefined,
    });
    pool.on('error', () => {
      /* idle client errors surface on the next query; do not crash the process */
    });
    if (schema) await createSchema(pool, schema);
    store = {
      db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      describe: `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${schema ? `#${schema}` : ''}`,
      close: async () => {
        await store.db.destroy();
      },
    };
  } else {
    mkdirSync(settings.dataDir, { recursive: true });
    const file = path.join(settings.dataDir, 'ndxp.sqlite');
    const sqlite = openSqlite(file);
    // WAL lets the CLI and every worker process read while one writes. busy_timeout is short on
    // purpose: longer waits for the write lock happen asynchronously (see busyRetrying).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_SYNC_WAIT_MS}`);
    sqlite.pragma('foreign_keys = ON');
    store = {
      db: new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) as unknown as ConstructorParameters<typeof SqliteDialect>[0]['database'] & object }) }),
      dialect: 'sqlite',
      describe: `sqlite:${file}`,
      close: async () => {
        await store.db.destroy();
      },
    };
  }
  if (options.migrate !== false) await migrate(store.db, store.dialect);
  return store;
}

/** Cheap liveness query for /readyz. */
export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}

/**
 * Runs `fn` in a transaction that holds the store's write lock from its first statement:
 * SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory lock named by `lockName`.
 * Used where a read-then-write must not interleave across processes (audit hash chain).
 */
export async function withWriteLock<T>(store: Store, lockName: string, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      // Advisory locks are database-wide: key them by schema too, so deployments (or test runs)
      // in different schemas of one database do not queue behind each other.
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':' || ${lockName}))`.execute(trx);
      return fn(trx);
    });
  }
  return store.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (err) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

export const now = (): number => Date.now();
