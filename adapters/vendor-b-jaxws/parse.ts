/**
 * Vendor B's request (SOAP 1.2, JAX-WS document/literal, WS-Security) → IncomingCall.
 * The `payload` of submitRecords is a whole XML document inside a string; it is parsed here, with
 * the same hostile-input rules and limits as the envelope, so a refused payload is a whole-call
 * fault and the record count is known before anything else runs.
 */
import { GatewayError } from '../../core/errors.js';
import { MAX_CALLER_ID_LENGTH } from '../../core/ids.js';
import type { IncomingCall, Operation, RequestLimits, TextRepair } from '../types.js';
import type { RequestMeta } from '../../core/http.js';
import { contentTypeCharset } from '../xml/decode.js';
import { parseXmlBytes, parseXmlString, type XmlElement } from '../xml/parse.js';
import { readSoapEnvelope, soap12Action } from '../xml/soap.js';
import { child, children } from '../xml/tree.js';
import { mapEmployee } from './employee.js';
import { WSSE_NS, readWsSecurity } from './security.js';

export const VENDOR_B_NS = 'http://ws.vendor-b.vn/hrm/sync/v2';

export type VendorBOperation = 'submitRecords' | 'getStatus';

export const VENDOR_B_OPERATIONS: Readonly<Record<VendorBOperation, Operation>> = {
  submitRecords: 'submitProfiles',
  getStatus: 'status',
};

function isOperation(name: string): name is VendorBOperation {
  return Object.prototype.hasOwnProperty.call(VENDOR_B_OPERATIONS, name);
}

function operationFromAction(action: string | undefined): VendorBOperation | undefined {
  if (action === undefined || action === '') return undefined;
  const name = action.startsWith('urn:') ? action.slice(4) : action.slice(action.lastIndexOf('/') + 1);
  if (!isOperation(name)) throw new GatewayError('THAO_TAC_KHONG_TON_TAI', { operation: action.slice(0, 120) }, `action ${action}`);
  return name;
}

function missing(element: string, operation: string): GatewayError {
  return new GatewayError('SOAP_KHONG_HOP_LE', { detail: `thao tác ${operation} thiếu phần tử ${element}` }, `missing ${element}`);
}

function textOf(el: XmlElement, name: string): string | undefined {
  const v = child(el, name)?.text.trim();
  return v ? v : undefined;
}

export function readVendorBRequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall {
  if (meta.method !== 'POST') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: meta.method, path: meta.path });
  const actionOp = operationFromAction(soap12Action(meta.headers));
  const root = parseXmlBytes(body, limits, { charset: contentTypeCharset(meta.headers['content-type']) });
  const env = readSoapEnvelope(root, '1.2', { understood: [{ local: 'Security', uri: WSSE_NS }] });
  const op = env.operation;
  if (op.uri !== VENDOR_B_NS || !isOperation(op.local)) {
    throw new GatewayError('THAO_TAC_KHONG_TON_TAI', { operation: op.local.slice(0, 120) }, `body element {${op.uri}}${op.local}`);
  }
  if (actionOp !== undefined && actionOp !== op.local) {
    throw new GatewayError('SOAP_KHONG_HOP_LE', { detail: `action ${actionOp} không khớp với thao tác ${op.local} trong Body` }, 'action / body mismatch');
  }
  const { key, softwareId } = readWsSecurity(env.header, limits.now(), limits.maxFutureSkewSeconds);
  const name = op.local;

  if (name === 'getStatus') {
    const ids = children(op, 'trackingId')
      .map((e) => e.text.trim())
      .filter((s) => s.length > 0);
    if (ids.length === 0) throw missing('trackingId', name);
    if (ids.length > limits.maxStatusIdsPerCall) throw new GatewayError('QUA_NHIEU_MA_THEO_DOI', { limit: limits.maxStatusIdsPerCall, count: ids.length });
    return { vendorOperation: name, operation: 'status', credentials: { key, softwareId }, trackingIds: ids, trackingField: 'trackingId' };
  }

  const batchId = textOf(op, 'batchId');
  if (batchId === undefined) throw missing('batchId', name);
  // Echoed in the answer: a batch id cannot be a megabyte.
  if (batchId.length > MAX_CALLER_ID_LENGTH) throw new GatewayError('GIA_TRI_QUA_DAI', { field: 'batchId', limit: MAX_CALLER_ID_LENGTH });
  const orgCode = textOf(op, 'orgCode');
  const payloadEl = child(op, 'payload');
  if (!payloadEl || payloadEl.text.trim() === '') throw missing('payload', name);
  const records = parseXmlString(payloadEl.text.trim(), limits, { context: 'tài liệu payload' });
  if (records.local !== 'records') {
    throw new GatewayError('SOAP_KHONG_HOP_LE', { detail: `payload phải là tài liệu <records> (nhận được <${records.name.slice(0, 60)}>)` }, 'payload root');
  }
  const employees = children(records, 'employee');
  if (employees.length === 0) throw new GatewayError('SOAP_KHONG_HOP_LE', { detail: 'payload không có hồ sơ <employee> nào' }, 'empty payload');
  if (employees.length > limits.maxRecordsPerCall) {
    throw new GatewayError('QUA_NHIEU_BAN_GHI', { limit: limits.maxRecordsPerCall, count: employees.length });
  }
  return {
    vendorOperation: name,
    operation: 'submitProfiles',
    credentials: { key, softwareId, unitCode: orgCode },
    correlation: { batchId },
    records: (repair: TextRepair) => employees.map((e, i) => mapEmployee(e, i, repair)),
  };
}
