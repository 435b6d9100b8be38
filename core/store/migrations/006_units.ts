import { sql, type Generated } from 'kysely';
import type { Migration } from '../migrate.js';

/**
 * Unit re-mapping after the 1 July 2025 reorganisation (adapters/national/remap.ts):
 * - unit_remap_rules: what network admins load (`ndxp units remap load`), replaced as a whole;
 * - units: the current (post-2025) unit tree as the central database publishes it; a unit's
 *   `ma_cu` lists the codes of the units it replaced, so those re-home too.
 * Dates are ISO yyyy-MM-dd text (contract form); timestamps epoch ms.
 */
export interface UnitTables {
  unit_remap_rules: {
    id: Generated<number>;
    /** exact: ma_cu → ma_moi; level1: the last group ma_cu → ma_moi in any code under it. */
    kind: 'exact' | 'level1';
    ma_cu: string;
    ma_moi: string;
    tu_ngay: string;
    ghi_chu: string | null;
    created_at: number;
    created_by: string;
  };
  units: {
    ma_dinh_danh: string;
    ten: string;
    ma_don_vi_cha: string | null;
    cap: number;
    hieu_luc_tu: string;
    hieu_luc_den: string | null;
    /** JSON array of replaced codes, or null. */
    ma_cu: string | null;
    ngay_cap_nhat: string | null;
    updated_at: number;
    updated_by: string;
  };
}

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
