/** Row types of the matching (đối soát) and reconciliation areas' tables, as Kysely sees them (DDL: ../migrations/007_doi_soat.ts). */

/**
 * The centre's daily matching results against the National Population Database, as fetched
 * (`GET /api/v1/doi-soat`): one row per published result, never fetched twice (maKetQua is the
 * key), with the outbox row of the version that was matched (tracking id, sending software) when
 * this gateway sent it. Timestamps are epoch ms; dates are ISO yyyy-MM-dd text.
 */
export interface DoiSoatResultRow {
  ma_ket_qua: string;
  so_dinh_danh: string;
  ma_don_vi: string;
  ngay_doi_soat: string;
  /** ngayCapNhat of the matched version, as the centre gives it. */
  phien_ban: string;
  phien_ban_ms: number;
  ket_qua: 'KHOP' | 'KHONG_KHOP' | 'KHONG_TIM_THAY';
  /** JSON array of {truong, giaTriHoSo?, giaTriDanCu}, or null. */
  chenh_lech: string | null;
  tracking_id: string | null;
  software_id: string | null;
  front: string | null;
  /** The unit whose feed brought the result. */
  fetched_for: string;
  fetched_at: number;
}

/**
 * One field of one person that disagrees with the population database: opened by a result,
 * kept open (values refreshed) while later results still disagree, linked to the corrected
 * version sent afterwards (`answered_by`), closed by the first result that no longer shows it.
 * Closed rows stay: the history of what was corrected, when, and by which result.
 */
export interface DoiSoatMismatchRow {
  /** `<maKetQua that opened it>:<truong>`. */
  id: string;
  so_dinh_danh: string;
  ma_don_vi: string;
  /** JSON Pointer into the national record (`/hoVaTen`); `/soDinhDanh` for an id the register does not know. */
  truong: string;
  gia_tri_ho_so: string | null;
  gia_tri_dan_cu: string | null;
  ket_qua: 'KHONG_KHOP' | 'KHONG_TIM_THAY';
  /** The version last found to disagree, and its outbox row when this gateway sent it. */
  phien_ban: string;
  phien_ban_ms: number;
  tracking_id: string | null;
  software_id: string | null;
  front: string | null;
  opened_by: string;
  opened_day: string;
  last_seen_by: string;
  last_seen_day: string;
  state: 'open' | 'closed';
  /** Tracking id of a newer version sent after the mismatch was found (the correction). */
  answered_by: string | null;
  answered_at: number | null;
  closed_by: string | null;
  closed_day: string | null;
  closed_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Where each unit's feed of results stands: the last maKetQua stored (fetches resume after it). */
export interface DoiSoatCursorRow {
  ma_don_vi: string;
  since: string | null;
  fetched_at: number | null;
  last_attempt_at: number;
  last_error: string | null;
}

/** The last reconciliation of each unit (for `ndxp reconcile --all` without calling the centre, and the metric). */
export interface ReconcileRunRow {
  ma_don_vi: string;
  total: number;
  complete: number;
  /** JSON of the whole count summary. */
  summary: string;
  ran_at: number;
}

export interface DoiSoatTables {
  doi_soat_results: DoiSoatResultRow;
  doi_soat_mismatches: DoiSoatMismatchRow;
  doi_soat_cursors: DoiSoatCursorRow;
  reconcile_runs: ReconcileRunRow;
}
