/**
 * Vendor B: Java JAX-WS HRM suite, SOAP 1.2 with WS-Security UsernameToken
 * (contract/HrmSyncService.wsdl, contract/README.md). `POST /hrm/sync/v2`, `GET /hrm/sync/v2?wsdl`.
 * Every gateway error is a SOAP 1.2 fault: HTTP 400 for Sender, 500 for Receiver.
 */
import type { VendorFront } from '../types.js';
import { readContractFile, wsdlDescriber } from '../xml/wsdl.js';
import { redactXmlElements } from '../xml/redact.js';
import { renderVendorBError, renderVendorBResult } from './answer.js';
import { readVendorBRequest } from './parse.js';

export const VENDOR_B_PATH = '/hrm/sync/v2';

let wsdl: string | undefined;
/** The contract WSDL as shipped (address not yet rewritten). */
export function vendorBWsdl(): string {
  wsdl ??= readContractFile(import.meta.url, 'HrmSyncService.wsdl');
  return wsdl;
}

export const vendorB: VendorFront = {
  id: 'vendor-b-jaxws',
  // The WSDL's submitRecords and getStatus.
  operations: ['submitProfiles', 'status'],
  paths: [VENDOR_B_PATH],
  describe: wsdlDescriber(vendorBWsdl, VENDOR_B_PATH),
  readRequest: readVendorBRequest,
  renderResult: renderVendorBResult,
  renderError: (err) => renderVendorBError(err),
  // The connection key is the WS-Security UsernameToken's wsse:Password (text or digest alike).
  redactBody: (body) => redactXmlElements(body, ['Password']),
};

export default vendorB;
