/**
 * Vendor A: .NET ASMX personnel software, SOAP 1.1 (contract/QLCBService.wsdl, contract/README.md).
 * `POST /QLCBService.asmx` with a quoted SOAPAction; `GET /QLCBService.asmx?WSDL` and `?disco`.
 * The path matches in any case, as IIS did. Every gateway error is a SOAP 1.1 fault (HTTP 500),
 * as its clients expect.
 */
import type { VendorFront } from '../types.js';
import { soap11Fault } from '../xml/soap.js';
import { discoDescriber } from '../xml/disco.js';
import { describers, readContractFile, wsdlDescriber } from '../xml/wsdl.js';
import { redactXmlElements } from '../xml/redact.js';
import { renderVendorAResult } from './answer.js';
import { readVendorARequest } from './parse.js';

export const VENDOR_A_PATH = '/QLCBService.asmx';

let wsdl: string | undefined;
/** The contract WSDL as shipped (address not yet rewritten). */
export function vendorAWsdl(): string {
  wsdl ??= readContractFile(import.meta.url, 'QLCBService.wsdl');
  return wsdl;
}

export const vendorA: VendorFront = {
  id: 'vendor-a-asmx',
  // The WSDL's DongBoHoSo / DongBoDanhSachHoSo, CapNhatDonVi and TraCuuTrangThai.
  operations: ['submitProfiles', 'upsertUnit', 'status'],
  paths: [VENDOR_A_PATH],
  caseInsensitivePaths: true,
  describe: describers(wsdlDescriber(vendorAWsdl, VENDOR_A_PATH), discoDescriber(vendorAWsdl, VENDOR_A_PATH)),
  readRequest: readVendorARequest,
  renderResult: renderVendorAResult,
  renderError: (err) => soap11Fault(err),
  // The connection key travels in the SOAP header XacThuc/MaKetNoi.
  redactBody: (body) => redactXmlElements(body, ['MaKetNoi']),
};

export default vendorA;
