/** The shared XML layer of the vendor fronts: hostile-input-safe parsing, SOAP envelopes and faults, writing. */
export { parseXmlBytes, parseXmlString, type XmlAttribute, type XmlElement, type XmlLimits, type ParseOptions } from './parse.js';
export { contentTypeCharset, decodeXmlBytes, declaredEncoding } from './decode.js';
export { attr, child, children, childText, hasText } from './tree.js';
export {
  GATEWAY_ERROR_NS,
  SOAP11_CONTENT_TYPE,
  SOAP11_NS,
  SOAP12_CONTENT_TYPE,
  SOAP12_NS,
  mediaType,
  readSoapEnvelope,
  soap11Action,
  soap11Envelope,
  soap11Fault,
  soap12Action,
  soap12Envelope,
  soap12Fault,
  withRetryAfter,
  type SoapEnvelope,
  type SoapVersion,
} from './soap.js';
export { XmlWriter, escapeAttr, escapeText } from './write.js';
export { asksForWsdl, readContractFile, wsdlDescriber, wsdlWithAddress } from './wsdl.js';
export { IssueCollector, quote } from './issues.js';
export { REDACTED, redactXmlElements } from './redact.js';
