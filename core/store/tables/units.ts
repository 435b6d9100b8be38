/** Row types of the units area's tables, as Kysely sees them (DDL: ../migrations/006_units.ts). */
import type { Generated } from 'kysely';

/**
 * Unit re-mapping after the 1 July 2025 reorganisation (gateway/units/service.ts):
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
