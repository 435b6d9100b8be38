/**
 * Results → vendor B's `submitRecordsResponse` / `getStatusResponse` (HrmSyncService.wsdl,
 * elementFormDefault unqualified: only the wrapper element is in the service namespace), and its
 * SOAP 1.2 faults with the WSDL's `SyncFault` detail.
 */
import type { GatewayError } from '../../core/errors.js';
import type { IncomingCall, OperationResult, RecordResult } from '../types.js';
import type { HttpAnswer } from '../../core/http.js';
import { SOAP12_CONTENT_TYPE, soap12Envelope, soap12Fault } from '../xml/soap.js';
import { XmlWriter } from '../xml/write.js';
import { VENDOR_B_NS } from './parse.js';

const ACCEPTED = new Set(['SYNCED', 'QUEUED']);

function writeResult(w: XmlWriter, r: RecordResult, recordField: string): void {
  w.open('result').leaf('recordId', r.recordId).leaf('status', r.status).leaf('trackingId', r.trackingId);
  for (const e of r.errors) w.open('error').leaf('field', e.field).leaf('message', e.message).close('error');
  // Warnings do not block the record; they travel as error items marked as warnings so the
  // client's existing error display shows them.
  for (const e of r.warnings) w.open('error').leaf('field', e.field).leaf('message', `Cảnh báo: ${e.message}`).close('error');
  if (r.errors.length === 0 && (r.status === 'STALE' || r.status === 'ERROR') && r.message) {
    w.open('error').leaf('field', recordField).leaf('message', r.message).close('error');
  }
  w.close('result');
}

export function renderVendorBResult(call: IncomingCall, result: OperationResult): HttpAnswer {
  const results = [...result.results].sort((a, b) => a.index - b.index);
  const w = new XmlWriter();
  if (call.vendorOperation === 'getStatus') {
    w.open('ns2:getStatusResponse', { 'xmlns:ns2': VENDOR_B_NS });
    for (const r of results) writeResult(w, r, '');
    w.close('ns2:getStatusResponse');
  } else {
    const accepted = results.filter((r) => ACCEPTED.has(r.status)).length;
    w.open('ns2:submitRecordsResponse', { 'xmlns:ns2': VENDOR_B_NS })
      .leaf('batchId', result.correlation?.batchId ?? call.correlation?.batchId ?? '')
      .leaf('accepted', accepted)
      .leaf('rejected', results.length - accepted);
    for (const r of results) writeResult(w, r, `employee[${r.index + 1}]`);
    w.close('ns2:submitRecordsResponse');
  }
  return { status: 200, headers: { 'content-type': SOAP12_CONTENT_TYPE }, body: soap12Envelope(w.toString()) };
}

/** A SOAP 1.2 fault with `SyncFault{code, retryAfterSeconds?}` in the service namespace. */
export function renderVendorBError(err: GatewayError): HttpAnswer {
  return soap12Fault(err, (w) => {
    w.open('ns2:SyncFault', { 'xmlns:ns2': VENDOR_B_NS }).leaf('code', err.code);
    if (err.retryAfterSeconds !== undefined) w.leaf('retryAfterSeconds', Math.max(0, Math.ceil(err.retryAfterSeconds)));
    w.close('ns2:SyncFault');
  });
}
