/**
 * What the legacy software hears about a mismatch: its status operations (vendor A
 * TraCuuTrangThai, vendor B getStatus, the JSON tracking path) answer a delivered record with
 * each open mismatch as a warning that names the software's own field and the value the
 * population database holds. Warnings never change the result code the vendor contract defines.
 * A newer version sent since (the correction) hears that it awaits the next matching.
 */
import type { Kysely } from 'kysely';
import type { FieldIssue, RecordResult } from '../../adapters/types.js';
import type { DB } from '../../core/store/schema.js';
import type { DoiSoatMismatchRow } from '../../core/store/tables/doi-soat.js';
import { getRows } from '../delivery/outbox.js';
import { chunks } from '../../core/store/chunks.js';
import { displayValue, fieldLabel, vendorFieldName, viDate } from './fields.js';

export interface MismatchWarnings {
  /** Adds the warnings to the SYNCED results among `results` (in place). */
  annotate(results: RecordResult[], front: string): Promise<void>;
}

/** The warning for one open mismatch, in the caller's field names. */
export function mismatchWarning(m: Pick<DoiSoatMismatchRow, 'truong' | 'gia_tri_ho_so' | 'gia_tri_dan_cu' | 'ket_qua' | 'last_seen_day'>, front: string): FieldIssue {
  const field = vendorFieldName(front, m.truong);
  const day = viDate(m.last_seen_day);
  if (m.ket_qua === 'KHONG_TIM_THAY') {
    return {
      pointer: m.truong,
      field,
      code: 'KHONG_TIM_THAY_DAN_CU',
      message: `Số định danh cá nhân ${m.gia_tri_ho_so ?? ''} không có trong CSDL quốc gia về dân cư (đối soát ngày ${day}); đề nghị kiểm tra lại số định danh (${field}) và gửi lại hồ sơ`,
    };
  }
  const ours = displayValue(m.truong, m.gia_tri_ho_so);
  const theirs = displayValue(m.truong, m.gia_tri_dan_cu);
  return {
    pointer: m.truong,
    field,
    code: 'CHENH_LECH_DAN_CU',
    message: `${fieldLabel(m.truong)} (${field}) khác CSDL quốc gia về dân cư (đối soát ngày ${day}): hồ sơ ghi «${ours || '(trống)'}», CSDL dân cư ghi «${theirs || '(trống)'}»; đề nghị kiểm tra, sửa tại phần mềm và gửi lại hồ sơ`,
  };
}

function awaitingWarning(m: DoiSoatMismatchRow, front: string): FieldIssue {
  const field = vendorFieldName(front, m.truong);
  return {
    pointer: m.truong,
    field,
    code: 'CHO_DOI_SOAT_LAI',
    message: `Bản gửi này sửa chênh lệch về ${fieldLabel(m.truong).toLowerCase()} (${field}) so với CSDL quốc gia về dân cư (đối soát ngày ${viDate(m.last_seen_day)}); lần đối soát tiếp theo sẽ xác nhận`,
  };
}

export function createMismatchWarnings(db: Kysely<DB>): MismatchWarnings {
  return {
    async annotate(results, front) {
      const asked = results.filter((r) => r.status === 'SYNCED' && r.trackingId);
      if (asked.length === 0) return;
      const rows = new Map<string, { subject: string; v: number }>();
      for (const f of await getRows(db, asked.map((r) => r.trackingId!), ['tracking_id', 'kind', 'subject_id', 'version_ms'])) {
        if (f.kind === 'profile' && f.subject_id) rows.set(f.tracking_id, { subject: f.subject_id, v: Number(f.version_ms) });
      }
      const open = new Map<string, DoiSoatMismatchRow[]>();
      for (const part of chunks([...new Set([...rows.values()].map((r) => r.subject))])) {
        for (const m of await db.selectFrom('doi_soat_mismatches').selectAll().where('so_dinh_danh', 'in', part).where('state', '=', 'open').orderBy('truong').execute()) {
          open.set(m.so_dinh_danh, [...(open.get(m.so_dinh_danh) ?? []), m]);
        }
      }
      for (const r of asked) {
        const row = rows.get(r.trackingId!);
        if (!row) continue;
        for (const m of open.get(row.subject) ?? []) {
          // The matched version (or an older one) carries the disagreeing value; a newer one is the correction.
          r.warnings.push(row.v <= Number(m.phien_ban_ms) ? mismatchWarning(m, front) : awaitingWarning(m, front));
        }
      }
    },
  };
}
