/**
 * The Excel front: units whose software is not connected yet submit a workbook (the Ministry's
 * plans let them update their records by hand until it is). Unlike the protocol fronts it has no
 * data-plane path: the operator's doors (`ndxp excel submit`, the admin API; gateway/excel/) read
 * the workbook, join each records-sheet row with its repeating parts and hand the rows to the
 * request pipeline in batches — this front's "request" is one such batch (wire.ts), its answer
 * the rows' results, which gateway/excel/ writes back into a copy of the workbook (answer.ts).
 * Everything else is the pipeline every front goes through: key check (a key of vendor `excel`
 * bound to the unit), unit scope, text repair, re-mapping, validation, signing, outbox, delivery,
 * audit; the records' `nguon.dinhDangGoc` is `excel`.
 */
import { GatewayError } from '../../core/errors.js';
import { jsonAnswer, problemAnswer, type HttpAnswer, type RequestMeta } from '../../core/http.js';
import type { IncomingCall, OperationResult, PresentedCredentials, RequestLimits, TextRepair, VendorFront } from '../types.js';
import { mapRecord } from './map.js';
import type { WireBatch } from './wire.js';

export const EXCEL_FRONT_ID = 'excel';

/** What one batch's answer says of each row (the answer workbook is written from these). */
export interface RowResult {
  recordId: string;
  status: string;
  trackingId?: string;
  message?: string;
  errors: { field: string; code: string; message: string }[];
  warnings: { field: string; code: string; message: string }[];
}

function credentials(meta: RequestMeta): PresentedCredentials {
  const auth = meta.headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return { bearer: auth.slice(7).trim() };
  const key = meta.headers['x-connection-key'];
  return { key: typeof key === 'string' ? key : undefined };
}

function readBatch(body: Buffer): WireBatch {
  let batch: WireBatch;
  try {
    batch = JSON.parse(body.toString('utf8')) as WireBatch;
  } catch (err) {
    throw new GatewayError('JSON_KHONG_HOP_LE', { detail: (err as Error).message.slice(0, 120) });
  }
  if (!batch || typeof batch !== 'object' || !Array.isArray(batch.records) || typeof batch.columns !== 'object' || batch.columns === null) {
    throw new GatewayError('JSON_KHONG_HOP_LE', { detail: 'cần {columns, records[]}' });
  }
  return batch;
}

export const excelFront: VendorFront = {
  id: EXCEL_FRONT_ID,
  // A workbook submits records; status lets `ndxp excel status` ask about its tracking ids.
  operations: ['submitProfiles', 'status'],
  // No data-plane path: workbooks come through the operator's doors (gateway/excel/).
  paths: [],
  readRequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall {
    if (meta.method !== 'POST') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: meta.method, path: meta.path });
    if (body.length > limits.maxBodyBytes) throw new GatewayError('DU_LIEU_QUA_LON', { limit: limits.maxBodyBytes });
    const batch = readBatch(body);
    return {
      vendorOperation: 'workbook',
      operation: 'submitProfiles',
      credentials: credentials(meta),
      records: (repair: TextRepair) => batch.records.map((r, i) => mapRecord(r, i, batch, repair)),
    };
  },
  renderResult(_call: IncomingCall, result: OperationResult): HttpAnswer {
    const rows: RowResult[] = result.results.map((r) => ({
      recordId: r.recordId,
      status: r.status,
      trackingId: r.trackingId,
      message: r.message,
      errors: r.errors.map((e) => ({ field: e.field, code: e.code, message: e.message })),
      warnings: r.warnings.map((e) => ({ field: e.field, code: e.code, message: e.message })),
    }));
    return jsonAnswer(200, { results: rows });
  },
  renderError: (err: GatewayError) => problemAnswer(err),
};

export default excelFront;
