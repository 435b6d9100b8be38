/**
 * ASMX's DISCO document (`GET service.asmx?disco`): Visual Studio's "Update Web Reference" and
 * disco.exe ask for it before the WSDL, and a 500 there stops them. Built from the served WSDL,
 * so it names the same SOAP bindings, with every address at the gateway's canonical service URL
 * (the same one the WSDL's soap:address carries).
 */
import type { XmlLimits } from './parse.js';
import { parseXmlString } from './parse.js';
import { attr, children } from './tree.js';
import { queryDocument, type Describer } from './wsdl.js';
import { XmlWriter } from './write.js';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP_NS = new Set(['http://schemas.xmlsoap.org/wsdl/soap/', 'http://schemas.xmlsoap.org/wsdl/soap12/']);
export const DISCO_NS = 'http://schemas.xmlsoap.org/disco/';
const DISCO_SCL_NS = 'http://schemas.xmlsoap.org/disco/scl/';
const DISCO_SOAP_NS = 'http://schemas.xmlsoap.org/disco/soap/';

/** Our own contract file, not caller input: limits only guard against a broken checkout. */
const CONTRACT_LIMITS: XmlLimits = { xmlMaxDepth: 64, xmlMaxElements: 100_000, xmlMaxAttributes: 64, xmlMaxAttributeLength: 4096, xmlMaxTextLength: 1 << 20 };

/** The WSDL's target namespace and the names of its SOAP (1.1 or 1.2) bindings, in document order. */
export function soapBindings(wsdl: string): { targetNamespace: string; bindings: string[] } {
  const root = parseXmlString(wsdl, CONTRACT_LIMITS);
  const bindings = children(root, 'binding', WSDL_NS)
    .filter((b) => b.children.some((c) => c.local === 'binding' && WSDL_SOAP_NS.has(c.uri)))
    .map((b) => attr(b, 'name'))
    .filter((n): n is string => !!n);
  return { targetNamespace: attr(root, 'targetNamespace') ?? '', bindings };
}

/** The DISCO document ASMX wrote for a service at `serviceUrl`. */
export function discoDocument(wsdl: string, serviceUrl: string): string {
  const { targetNamespace, bindings } = soapBindings(wsdl);
  const w = new XmlWriter()
    .declaration()
    .open('discovery', { 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', xmlns: DISCO_NS })
    .empty('contractRef', { ref: `${serviceUrl}?wsdl`, docRef: serviceUrl, xmlns: DISCO_SCL_NS });
  bindings.forEach((name, i) => {
    w.empty('soap', { address: serviceUrl, [`xmlns:q${i + 1}`]: targetNamespace, binding: `q${i + 1}:${name}`, xmlns: DISCO_SOAP_NS });
  });
  return w.close('discovery').toString();
}

/** Builds a `describe` that answers `?disco` (any case) for the service at `servicePath`. */
export function discoDescriber(loadWsdl: () => string, servicePath: string): Describer {
  return queryDocument('disco', (publicUrl) => discoDocument(loadWsdl(), publicUrl.replace(/\/+$/, '') + servicePath));
}
