/**
 * What became of a record, in the Vietnamese words a clerk reads (vendor A and C `ThongBao`,
 * vendor B's messages, the JSON front's `thongBao`). One table for the pipeline and every front,
 * so the same outcome reads the same whichever protocol the caller speaks.
 */
import type { RecordResult, RecordStatus } from './types.js';

/** The summary of each record status. */
export const RECORD_STATUS_TEXT: Readonly<Record<RecordStatus, string>> = Object.freeze({
  SYNCED: 'Đồng bộ thành công',
  QUEUED: 'Đã tiếp nhận, đang chờ đồng bộ lên CSDL quốc gia',
  INVALID: 'Dữ liệu không hợp lệ',
  STALE: 'Bản ghi cũ hơn bản đã có trên CSDL quốc gia; không cập nhật',
  ERROR: 'Lỗi hệ thống khi đồng bộ',
});

/** The INVALID summary with its error count: "Dữ liệu không hợp lệ: 2 lỗi". */
export function invalidText(errorCount: number): string {
  return `${RECORD_STATUS_TEXT.INVALID}: ${errorCount} lỗi`;
}

/** A result's summary: the pipeline's own message when it has one, else the table's text for its status. */
export function recordStatusText(r: Pick<RecordResult, 'status' | 'errors' | 'message'>): string {
  if (r.message) return r.message;
  return r.status === 'INVALID' ? invalidText(r.errors.length) : RECORD_STATUS_TEXT[r.status];
}
