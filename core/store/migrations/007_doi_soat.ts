import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '007_doi_soat',
  async up(db) {
    await db.schema
      .createTable('doi_soat_results')
      .addColumn('ma_ket_qua', 'text', (c) => c.primaryKey())
      .addColumn('so_dinh_danh', 'text', (c) => c.notNull())
      .addColumn('ma_don_vi', 'text', (c) => c.notNull())
      .addColumn('ngay_doi_soat', 'text', (c) => c.notNull())
      .addColumn('phien_ban', 'text', (c) => c.notNull())
      .addColumn('phien_ban_ms', 'bigint', (c) => c.notNull())
      .addColumn('ket_qua', 'text', (c) => c.notNull())
      .addColumn('chenh_lech', 'text')
      .addColumn('tracking_id', 'text')
      .addColumn('software_id', 'text')
      .addColumn('front', 'text')
      .addColumn('fetched_for', 'text', (c) => c.notNull())
      .addColumn('fetched_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('doi_soat_results_person').on('doi_soat_results').columns(['so_dinh_danh', 'ma_ket_qua']).execute();
    await db.schema.createIndex('doi_soat_results_unit').on('doi_soat_results').columns(['ma_don_vi', 'ngay_doi_soat']).execute();

    await db.schema
      .createTable('doi_soat_mismatches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('so_dinh_danh', 'text', (c) => c.notNull())
      .addColumn('ma_don_vi', 'text', (c) => c.notNull())
      .addColumn('truong', 'text', (c) => c.notNull())
      .addColumn('gia_tri_ho_so', 'text')
      .addColumn('gia_tri_dan_cu', 'text')
      .addColumn('ket_qua', 'text', (c) => c.notNull())
      .addColumn('phien_ban', 'text', (c) => c.notNull())
      .addColumn('phien_ban_ms', 'bigint', (c) => c.notNull())
      .addColumn('tracking_id', 'text')
      .addColumn('software_id', 'text')
      .addColumn('front', 'text')
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('opened_day', 'text', (c) => c.notNull())
      .addColumn('last_seen_by', 'text', (c) => c.notNull())
      .addColumn('last_seen_day', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('answered_by', 'text')
      .addColumn('answered_at', 'bigint')
      .addColumn('closed_by', 'text')
      .addColumn('closed_day', 'text')
      .addColumn('closed_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('doi_soat_mismatches_person').on('doi_soat_mismatches').columns(['so_dinh_danh', 'state']).execute();
    await db.schema.createIndex('doi_soat_mismatches_unit').on('doi_soat_mismatches').columns(['ma_don_vi', 'state']).execute();

    await db.schema
      .createTable('doi_soat_cursors')
      .addColumn('ma_don_vi', 'text', (c) => c.primaryKey())
      .addColumn('since', 'text')
      .addColumn('fetched_at', 'bigint')
      .addColumn('last_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .execute();

    await db.schema
      .createTable('reconcile_runs')
      .addColumn('ma_don_vi', 'text', (c) => c.primaryKey())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('complete', 'integer', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('ran_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
