/** Row types of the core area's tables, as Kysely sees them (DDL: ../migrations/001_core.ts, 008_job_leases.ts). */

export interface CoreTables {
  /**
   * One row per area whose state every gateway instance caches (keys, certificates, trust,
   * remap). A change bumps the area's revision; each instance polls this small table and
   * reloads an area when its revision moved. Works alike on SQLite and PostgreSQL.
   */
  state_revisions: { area: string; revision: number; updated_at: number };
  /** Small named values the gateway keeps for itself (e.g. first-start markers). */
  settings: { name: string; value: string; updated_at: number };
  /**
   * Who runs a scheduled job now, when several nodes share the store: the holder renews before
   * `until` (epoch ms); once it has passed, any node may take the job over (../leases.ts).
   */
  job_leases: { name: string; owner: string; until: number; updated_at: number };
}
