/**
 * Results → vendor A's `KetQuaDongBo` answers (samples/DongBoHoSo.response.xml and
 * DongBoHoSo.invalid.response.xml), and the result code / message rules vendor C shares.
 */
import type { IncomingCall, OperationResult, RecordResult, RecordStatus } from '../types.js';
import type { HttpAnswer } from '../../core/http.js';
import { SOAP11_CONTENT_TYPE, soap11Envelope } from '../xml/soap.js';
import { XmlWriter } from '../xml/write.js';
import { VENDOR_A_NS } from './parse.js';

/** MaKetQua (vendor A) and Ma (vendor C): 0 synced, 1 queued, 2 invalid, 3 stale, 9 gateway error. */
export const RESULT_CODES: Readonly<Record<RecordStatus, number>> = {
  SYNCED: 0,
  QUEUED: 1,
  INVALID: 2,
  STALE: 3,
  ERROR: 9,
};

const DEFAULT_MESSAGES: Readonly<Record<RecordStatus, string>> = {
  SYNCED: 'Đồng bộ thành công',
  QUEUED: 'Đã tiếp nhận, đang chờ đồng bộ',
  INVALID: 'Dữ liệu không hợp lệ',
  STALE: 'Bản ghi cũ hơn bản đã có',
  ERROR: 'Lỗi hệ thống',
};

/** ThongBao: the pipeline's Vietnamese summary, or the contract's wording for the status. */
export function resultMessage(r: RecordResult): string {
  if (r.message) return r.message;
  if (r.status === 'INVALID') return `${DEFAULT_MESSAGES.INVALID}: ${r.errors.length} lỗi`;
  return DEFAULT_MESSAGES[r.status];
}

/** What a clerk sees per field: errors first, then warnings marked as such (they do not block). */
export function listedIssues(r: RecordResult): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const e of r.errors) out.push({ field: e.field, message: e.message });
  for (const w of r.warnings) out.push({ field: w.field, message: `Cảnh báo: ${w.message}` });
  return out;
}

function writeKetQua(w: XmlWriter, element: string, r: RecordResult | undefined): void {
  w.open(element);
  if (!r) {
    w.leaf('MaKetQua', RESULT_CODES.ERROR).leaf('ThongBao', DEFAULT_MESSAGES.ERROR);
    w.close(element);
    return;
  }
  w.leaf('MaKetQua', RESULT_CODES[r.status]).leaf('ThongBao', resultMessage(r)).leaf('MaTheoDoi', r.trackingId);
  const issues = listedIssues(r);
  if (issues.length > 0) {
    w.open('DanhSachLoi');
    for (const i of issues) w.open('Loi').leaf('Truong', i.field).leaf('MoTa', i.message).close('Loi');
    w.close('DanhSachLoi');
  }
  w.close(element);
}

function inOrder(results: RecordResult[]): RecordResult[] {
  return [...results].sort((a, b) => a.index - b.index);
}

/** The SOAP 1.1 answer to one call. */
export function renderVendorAResult(call: IncomingCall, result: OperationResult): HttpAnswer {
  const op = call.vendorOperation;
  const w = new XmlWriter();
  w.open(`${op}Response`, { xmlns: VENDOR_A_NS });
  if (op === 'DongBoDanhSachHoSo') {
    w.open(`${op}Result`);
    for (const r of inOrder(result.results)) writeKetQua(w, 'KetQuaDongBo', r);
    w.close(`${op}Result`);
  } else {
    writeKetQua(w, `${op}Result`, inOrder(result.results)[0]);
  }
  w.close(`${op}Response`);
  return { status: 200, headers: { 'content-type': SOAP11_CONTENT_TYPE }, body: soap11Envelope(w.toString()) };
}

