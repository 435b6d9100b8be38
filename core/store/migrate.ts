/**
 * Forward-only migrations, applied in order at open and recorded in `schema_migrations`.
 * Each area of the gateway owns one migration file under migrations/; migrations/index.ts lists
 * them. A migration receives the dialect so triggers and types can differ where they must.
 */
import { sql, type Kysely } from 'kysely';
import { migrations } from './migrations/index.js';
import type { Dialect } from './migration.js';

/** Two processes starting together on PostgreSQL take turns (CREATE … IF NOT EXISTS is not safe against itself there). */
async function lockMigrations(trx: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':ndxp-migrate'))`.execute(trx);
}

export async function migrate(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  await db.transaction().execute(async (trx) => {
    await lockMigrations(trx, dialect);
    await trx.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    // One transaction per migration, under the lock so two processes starting together do not
    // both apply it.
    const done = await db.transaction().execute(async (trx) => {
      await lockMigrations(trx, dialect);
      const row = await trx.selectFrom('schema_migrations').select('name').where('name', '=', migration.name).executeTakeFirst();
      if (row) return false;
      await migration.up(trx, dialect);
      await trx.insertInto('schema_migrations').values({ name: migration.name, applied_at: Date.now() }).execute();
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}
