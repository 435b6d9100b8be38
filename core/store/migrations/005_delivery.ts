import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '005_delivery',
  async up(db) {
    await db.schema
      .createTable('outbox')
      .addColumn('tracking_id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text')
      .addColumn('record_id', 'text')
      .addColumn('version_ms', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('version', 'text')
      .addColumn('idempotency_key', 'text')
      .addColumn('body', 'text')
      .addColumn('unit_code', 'text', (c) => c.notNull())
      .addColumn('software_id', 'text')
      .addColumn('key_id', 'text')
      .addColumn('front', 'text')
      .addColumn('request_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('http_status', 'integer')
      .addColumn('central_answer', 'text')
      .addColumn('errors', 'text')
      .addColumn('enqueued', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    // Relay and status: rows by state, oldest first.
    await db.schema.createIndex('outbox_state_created').on('outbox').columns(['state', 'created_at']).execute();
    // Coalescing and ordering: all versions of one person / unit.
    await db.schema.createIndex('outbox_subject_version').on('outbox').columns(['kind', 'subject_id', 'version_ms']).execute();
    // Batching in workers: waiting rows of one sending unit.
    await db.schema.createIndex('outbox_unit_state').on('outbox').columns(['unit_code', 'state', 'next_attempt_at']).execute();
    // Delivery rate over the last minutes.
    await db.schema.createIndex('outbox_delivered_at').on('outbox').column('delivered_at').execute();
  },
};
