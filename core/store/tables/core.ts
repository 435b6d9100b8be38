/** Row types of the core area's tables, as Kysely sees them (DDL: ../migrations/001_core.ts). */

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
