import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '008_job_leases',
  async up(db) {
    // Scheduled jobs that one node of several sharing the store should run at a time (leases.ts).
    await db.schema
      .createTable('job_leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('until', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
