/**
 * Vendor C's request: one `<HoSoCanBo>` document posted as plain XML, usually in Windows-1258
 * (decoded by the declared encoding, then composed to NFC), key and unit in HTTP headers.
 * The record uses the HoSo dialect vendor A also speaks (same element names and forms), so the
 * shared mapping in ../legacy-hoso reads it.
 */
import { GatewayError } from '../../core/errors.js';
import type { IncomingCall, RequestLimits, TextRepair } from '../types.js';
import type { RequestMeta } from '../../core/http.js';
import { mapHoSo } from '../legacy-hoso/hoso.js';
import { contentTypeCharset } from '../xml/decode.js';
import { parseXmlBytes } from '../xml/parse.js';

function header(meta: RequestMeta, name: string): string | undefined {
  const raw = meta.headers[name];
  const v = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return v ? v : undefined;
}

export function readVendorCRequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall {
  if (meta.method !== 'POST') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: meta.method, path: meta.path });
  const root = parseXmlBytes(body, limits, { charset: contentTypeCharset(meta.headers['content-type']) });
  if (root.local !== 'HoSoCanBo') {
    throw new GatewayError('XML_KHONG_HOP_LE', { detail: `phần tử gốc phải là <HoSoCanBo> (nhận được <${root.name.slice(0, 60)}>)` }, 'root element');
  }
  const key = header(meta, 'x-connection-key');
  if (key === undefined) throw new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, 'no X-Connection-Key header');
  return {
    vendorOperation: 'hoso',
    operation: 'submitProfiles',
    credentials: { key, unitCode: header(meta, 'x-ma-don-vi') },
    records: (repair: TextRepair) => [mapHoSo(root, 0, repair, 'X-Ma-Don-Vi')],
  };
}
