import { sql } from 'kysely';
import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '006_units',
  async up(db, dialect) {
    let rules = db.schema.createTable('unit_remap_rules');
    rules =
      dialect === 'postgres'
        ? rules.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : rules.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await rules
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('exact', 'level1')`))
      .addColumn('ma_cu', 'text', (c) => c.notNull())
      .addColumn('ma_moi', 'text', (c) => c.notNull())
      .addColumn('tu_ngay', 'text', (c) => c.notNull())
      .addColumn('ghi_chu', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('unit_remap_rules_kind_ma_cu', ['kind', 'ma_cu'])
      .execute();
    await db.schema
      .createTable('units')
      .addColumn('ma_dinh_danh', 'text', (c) => c.primaryKey())
      .addColumn('ten', 'text', (c) => c.notNull())
      .addColumn('ma_don_vi_cha', 'text')
      .addColumn('cap', 'integer', (c) => c.notNull())
      .addColumn('hieu_luc_tu', 'text', (c) => c.notNull())
      .addColumn('hieu_luc_den', 'text')
      .addColumn('ma_cu', 'text')
      .addColumn('ngay_cap_nhat', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('units_parent').on('units').column('ma_don_vi_cha').execute();
  },
};
