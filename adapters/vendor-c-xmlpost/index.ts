/**
 * Vendor C: Visual Basic 6 desktop software posting plain XML in Windows-1258
 * (contract/README.md). `POST /vendor-c/hoso`, key in `X-Connection-Key`, unit in `X-Ma-Don-Vi`.
 */
import type { VendorFront } from '../types.js';
import { renderVendorCError, renderVendorCResult } from './answer.js';
import { readVendorCRequest } from './parse.js';

export const VENDOR_C_PATH = '/vendor-c/hoso';

export const vendorC: VendorFront = {
  id: 'vendor-c-xmlpost',
  // One record per post; status is allowed so a later status path needs no key change.
  operations: ['submitProfiles', 'status'],
  paths: [VENDOR_C_PATH],
  readRequest: readVendorCRequest,
  renderResult: renderVendorCResult,
  renderError: (err) => renderVendorCError(err),
};

export default vendorC;
