/**
 * How the HoSo dialect answers per record, shared by vendor A (`KetQuaDongBo`) and vendor C
 * (`KetQua`): the numeric result code and the list of field problems a clerk sees.
 */
import type { RecordResult, RecordStatus } from '../types.js';

/** MaKetQua (vendor A) and Ma (vendor C): 0 synced, 1 queued, 2 invalid, 3 stale, 9 gateway error. */
export const RESULT_CODES: Readonly<Record<RecordStatus, number>> = {
  SYNCED: 0,
  QUEUED: 1,
  INVALID: 2,
  STALE: 3,
  ERROR: 9,
};

/** What a clerk sees per field: errors first, then warnings marked as such (they do not block). */
export function listedIssues(r: RecordResult): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const e of r.errors) out.push({ field: e.field, message: e.message });
  for (const w of r.warnings) out.push({ field: w.field, message: `Cảnh báo: ${w.message}` });
  return out;
}
