/**
 * Results → vendor A's `KetQuaDongBo` answers (samples/DongBoHoSo.response.xml and
 * DongBoHoSo.invalid.response.xml); result codes and issue lists are the HoSo dialect's
 * (../legacy-hoso/result.ts), the wording the one record-status table's.
 */
import type { IncomingCall, OperationResult, RecordResult } from '../types.js';
import { RECORD_STATUS_TEXT, recordStatusText } from '../record-status.js';
import { RESULT_CODES, listedIssues } from '../legacy-hoso/result.js';
import type { HttpAnswer } from '../../core/http.js';
import { SOAP11_CONTENT_TYPE, soap11Envelope } from '../xml/soap.js';
import { XmlWriter } from '../xml/write.js';
import { VENDOR_A_NS } from './parse.js';

function writeKetQua(w: XmlWriter, element: string, r: RecordResult | undefined): void {
  w.open(element);
  if (!r) {
    w.leaf('MaKetQua', RESULT_CODES.ERROR).leaf('ThongBao', RECORD_STATUS_TEXT.ERROR);
    w.close(element);
    return;
  }
  w.leaf('MaKetQua', RESULT_CODES[r.status]).leaf('ThongBao', recordStatusText(r)).leaf('MaTheoDoi', r.trackingId);
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

