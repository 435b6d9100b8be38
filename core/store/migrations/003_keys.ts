import { sql, type RawBuilder } from 'kysely';
import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '003_keys',
  async up(db) {
    await db.schema
      .createTable('connection_keys')
      .addColumn('key_id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('previous_secret_hash', 'text')
      .addColumn('previous_valid_until', 'bigint')
      .addColumn('software_id', 'text', (c) => c.notNull())
      .addColumn('unit_code', 'text', (c) => c.notNull())
      // No CHECK on vendor/encoding: adding a vendor front must not need a migration; the
      // service validates them against the known fronts.
      .addColumn('vendor', 'text', (c) => c.notNull())
      .addColumn('encoding', 'text', (c) => c.notNull().defaultTo('unicode'))
      .addColumn('operations', 'text', (c) => c.notNull())
      .addColumn('cert_serial', 'text')
      .addColumn('cert_subject', 'text')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sqlIn('status', ['active', 'suspended', 'cancelled'])))
      .addColumn('status_reason', 'text')
      .addColumn('expires_at', 'bigint')
      .addColumn('contact_name', 'text')
      .addColumn('contact_agency', 'text')
      .addColumn('contact_phone', 'text')
      .addColumn('contact_email', 'text')
      .addColumn('body_retention', 'text', (c) => c.check(sqlIn('body_retention', ['off', 'metadata', 'full'], true)))
      .addColumn('limits', 'text')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('local').check(sqlIn('source', ['local', 'import'])))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('cancelled_at', 'bigint')
      .execute();
    // Listings filter by unit and status; the admin looks up a software's keys.
    await db.schema.createIndex('connection_keys_unit_idx').on('connection_keys').columns(['unit_code', 'status']).execute();
    await db.schema.createIndex('connection_keys_status_idx').on('connection_keys').column('status').execute();
    await db.schema.createIndex('connection_keys_software_idx').on('connection_keys').column('software_id').execute();
  },
};

/** CHECK (column IN (...)) that both SQLite and PostgreSQL accept; the values are constants of this file. */
function sqlIn(column: string, values: string[], nullable = false): RawBuilder<unknown> {
  const list = sql.join(values.map((v) => sql.lit(v)));
  return nullable ? sql`${sql.ref(column)} is null or ${sql.ref(column)} in (${list})` : sql`${sql.ref(column)} in (${list})`;
}
