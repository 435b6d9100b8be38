/**
 * Vendor C's answers: `<KetQua><Ma/><ThongBao/><MaTheoDoi/><Loi truong="…">…</Loi>*</KetQua>` in
 * UTF-8. Record outcomes use the HoSo dialect's result codes (0, 1, 2, 3, 9, as vendor A) with
 * HTTP 200; refusals keep the same shape: Ma 401 with HTTP 401 for a refused key, Ma 429 with HTTP 429 (and Retry-After)
 * when rate-limited, the wait stated in ThongBao; every other refusal Ma 9 with its HTTP status.
 */
import type { GatewayError } from '../../core/errors.js';
import type { IncomingCall, OperationResult } from '../types.js';
import type { HttpAnswer } from '../../core/http.js';
import { RECORD_STATUS_TEXT, recordStatusText } from '../record-status.js';
import { RESULT_CODES, listedIssues } from '../legacy-hoso/result.js';
import { withRetryAfter } from '../xml/soap.js';
import { XmlWriter } from '../xml/write.js';

const CONTENT_TYPE = 'text/xml; charset=utf-8';

export function renderVendorCResult(_call: IncomingCall, result: OperationResult): HttpAnswer {
  const r = [...result.results].sort((a, b) => a.index - b.index)[0];
  const w = new XmlWriter().declaration().open('KetQua');
  if (!r) {
    w.leaf('Ma', RESULT_CODES.ERROR).leaf('ThongBao', RECORD_STATUS_TEXT.ERROR);
  } else {
    w.leaf('Ma', RESULT_CODES[r.status]).leaf('ThongBao', recordStatusText(r)).leaf('MaTheoDoi', r.trackingId);
    for (const i of listedIssues(r)) w.leaf('Loi', i.message, { truong: i.field });
  }
  w.close('KetQua');
  return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: w.toString() };
}

export function renderVendorCError(err: GatewayError): HttpAnswer {
  const status = err.httpStatus;
  const ma = status === 401 || status === 429 ? status : RESULT_CODES.ERROR;
  const body = new XmlWriter().declaration().open('KetQua').leaf('Ma', ma).leaf('ThongBao', err.display).close('KetQua').toString();
  return { status, headers: withRetryAfter(err, { 'content-type': CONTENT_TYPE }), body };
}
