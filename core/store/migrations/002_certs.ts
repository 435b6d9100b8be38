import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '002_certs',
  async up(db) {
    await db.schema
      .createTable('certificates')
      .addColumn('serial', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('cn', 'text', (c) => c.notNull())
      .addColumn('unit_code', 'text')
      .addColumn('role', 'text')
      .addColumn('sans', 'text')
      .addColumn('not_before', 'bigint', (c) => c.notNull())
      .addColumn('not_after', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revocation_reason', 'text')
      .addColumn('fingerprint_sha256', 'text', (c) => c.notNull().unique())
      .addColumn('pem', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('certificates_status_idx').on('certificates').column('status').execute();
    await db.schema.createIndex('certificates_unit_idx').on('certificates').column('unit_code').execute();
    await db.schema.createIndex('certificates_not_after_idx').on('certificates').column('not_after').execute();

    await db.schema
      .createTable('trust_anchors')
      .addColumn('fingerprint_sha256', 'text', (c) => c.primaryKey())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_before', 'bigint', (c) => c.notNull())
      .addColumn('not_after', 'bigint', (c) => c.notNull())
      .addColumn('pem', 'text', (c) => c.notNull())
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('pki_identities')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('serial', 'text', (c) => c.notNull())
      .addColumn('cert_pem', 'text', (c) => c.notNull())
      .addColumn('key_pem', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
