import type { Migration } from '../migrate.js';

export interface CoreTables {
  /**
   * One row per area whose state every gateway instance caches (keys, certificates, trust,
   * remap). A change bumps the area's revision; each instance polls this small table and
   * reloads an area when its revision moved. Works alike on SQLite and PostgreSQL.
   */
  state_revisions: { area: string; revision: number; updated_at: number };
  /** Small named values the gateway keeps for itself (e.g. first-start markers). */
  settings: { name: string; value: string; updated_at: number };
}

export const migration: Migration = {
  name: '001_core',
  async up(db) {
    await db.schema
      .createTable('state_revisions')
      .addColumn('area', 'text', (c) => c.primaryKey())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('settings')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
