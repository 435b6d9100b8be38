/**
 * SOAP 1.1 and 1.2 envelopes: reading one (exactly one Body holding exactly one operation
 * element, at most one Header, the right SOAP version for the front) and writing answers and
 * faults in the shape the legacy clients were generated for.
 *
 * Faults: SOAP 1.1 always travels with HTTP 500 (WS-I Basic Profile, and what ASMX clients
 * expect); SOAP 1.2 uses 400 for env:Sender and 500 for env:Receiver as the SOAP 1.2 HTTP binding
 * says, whatever HTTP status the error would have in a JSON API (429, 401, 413 …): a rate-limit
 * wait travels in the fault detail and in a Retry-After header instead. An envelope of the
 * other SOAP version gets a VersionMismatch fault in SOAP 1.1 from either kind of service
 * (SOAP 1.1 §4.4.1; SOAP 1.2 part 1 appendix A), the only form its sender can read.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { HttpAnswer } from '../../core/http.js';
import type { XmlElement } from './parse.js';
import { attr, hasText } from './tree.js';
import { XmlWriter, escapeText } from './write.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
/** Namespace of the gateway's own fault detail element `MaLoi`. */
export const GATEWAY_ERROR_NS = 'urn:ndxp-gateway:loi';

export type SoapVersion = '1.1' | '1.2';

const NS_OF: Record<SoapVersion, string> = { '1.1': SOAP11_NS, '1.2': SOAP12_NS };

export const SOAP11_CONTENT_TYPE = 'text/xml; charset=utf-8';
export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export interface SoapEnvelope {
  version: SoapVersion;
  envelope: XmlElement;
  header?: XmlElement;
  body: XmlElement;
  /** The single element inside Body. */
  operation: XmlElement;
}

export interface HeaderName {
  local: string;
  uri: string;
}

export interface ReadEnvelopeOptions {
  /** Header blocks this front processes; any other block marked mustUnderstand is refused. */
  understood?: HeaderName[];
}

function soapInvalid(detail: string, internal?: string): GatewayError {
  return new GatewayError('SOAP_KHONG_HOP_LE', { detail }, internal ?? detail);
}

/** Checks the envelope structure of a parsed document. Throws SAI_PHIEN_BAN_SOAP / SOAP_KHONG_HOP_LE. */
export function readSoapEnvelope(root: XmlElement, expected: SoapVersion, options: ReadEnvelopeOptions = {}): SoapEnvelope {
  const ns = NS_OF[expected];
  if (root.local === 'Envelope' && root.uri !== ns) {
    if (root.uri === SOAP11_NS || root.uri === SOAP12_NS) {
      throw new GatewayError('SAI_PHIEN_BAN_SOAP', { expected: `SOAP ${expected}` }, `envelope namespace ${root.uri}`);
    }
  }
  if (root.local !== 'Envelope' || root.uri !== ns) {
    throw soapInvalid(`phần tử gốc phải là Envelope của SOAP ${expected} (nhận được <${root.name.slice(0, 60)}>)`);
  }
  if (hasText(root)) throw soapInvalid('Envelope chứa văn bản ngoài các phần tử Header và Body');
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  for (const c of root.children) {
    if (c.uri === ns && c.local === 'Header') {
      if (header) throw soapInvalid('Envelope có nhiều hơn một Header');
      if (body) throw soapInvalid('Header phải đứng trước Body');
      header = c;
    } else if (c.uri === ns && c.local === 'Body') {
      if (body) throw soapInvalid('Envelope có nhiều hơn một Body');
      body = c;
    } else {
      throw soapInvalid(`phần tử <${c.name.slice(0, 60)}> không được phép nằm trực tiếp trong Envelope`);
    }
  }
  if (!body) throw soapInvalid('Envelope không có Body');
  if (body.children.length === 0) throw soapInvalid('Body không chứa thao tác nào');
  if (body.children.length > 1) throw soapInvalid('Body chứa nhiều hơn một thao tác');
  if (hasText(body)) throw soapInvalid('Body chứa văn bản ngoài phần tử thao tác');
  const operation = body.children[0];
  if (operation.uri === ns && operation.local === 'Fault') throw soapInvalid('yêu cầu không được là một Fault');
  if (header) checkMustUnderstand(header, expected, options.understood ?? []);
  return { version: expected, envelope: root, header, body, operation };
}

function checkMustUnderstand(header: XmlElement, version: SoapVersion, understood: HeaderName[]): void {
  const ns = NS_OF[version];
  for (const block of header.children) {
    const mu = attr(block, 'mustUnderstand', ns);
    if (mu === undefined) continue;
    const v = mu.trim();
    if (v === '0' || v === 'false') continue;
    if (v !== '1' && v !== 'true') throw soapInvalid(`giá trị mustUnderstand «${v.slice(0, 20)}» không hợp lệ`);
    if (!understood.some((h) => h.local === block.local && h.uri === block.uri)) {
      throw soapInvalid(`không xử lý được phần tử tiêu đề bắt buộc <${block.name.slice(0, 60)}> (mustUnderstand)`);
    }
  }
}

/** SOAP 1.1 `SOAPAction` header without its quotes; undefined when absent, '' when empty. */
export function soap11Action(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['soapaction'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** SOAP 1.2 `action` parameter of the Content-Type; undefined when absent. */
export function soap12Action(headers: IncomingHttpHeaders): string | undefined {
  const ct = headers['content-type'];
  if (!ct) return undefined;
  const m = /;\s*action\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(ct);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The media type of the Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: IncomingHttpHeaders): string | undefined {
  const ct = headers['content-type'];
  return ct ? ct.split(';', 1)[0].trim().toLowerCase() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Answers

/** A SOAP 1.1 answer envelope around already-escaped body content (ASMX declares xsi and xsd). */
export function soap11Envelope(bodyContent: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP11_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    `<soap:Body>${bodyContent}</soap:Body></soap:Envelope>`
  );
}

/** A SOAP 1.2 answer envelope around already-escaped body content. */
export function soap12Envelope(bodyContent: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP12_NS}"><soap:Body>${bodyContent}</soap:Body></soap:Envelope>`;
}

function retryHeaders(err: GatewayError, headers: Record<string, string>): Record<string, string> {
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterSeconds)));
  return headers;
}

/**
 * A SOAP 1.1 fault: HTTP 500, faultcode soap:Client or soap:Server (soap:VersionMismatch for an
 * envelope of the other SOAP version, SOAP 1.1 §4.4.1), faultstring "message (CODE)", detail
 * `<MaLoi xmlns="urn:ndxp-gateway:loi">CODE</MaLoi>`. `upgrade`: the envelope namespace a SOAP 1.2
 * node supports, announced in an env:Upgrade header block (SOAP 1.2 part 1 §5.4.7).
 */
export function soap11Fault(err: GatewayError, upgrade?: string): HttpAnswer {
  const faultcode = err.code === 'SAI_PHIEN_BAN_SOAP' ? 'soap:VersionMismatch' : err.side === 'client' ? 'soap:Client' : 'soap:Server';
  const header = upgrade
    ? `<soap:Header><upg:Upgrade xmlns:upg="${SOAP12_NS}"><upg:SupportedEnvelope qname="ns1:Envelope" xmlns:ns1="${upgrade}"/></upg:Upgrade></soap:Header>`
    : '';
  const body =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP11_NS}">${header}<soap:Body><soap:Fault>` +
    `<faultcode>${faultcode}</faultcode>` +
    `<faultstring>${escapeText(err.display)}</faultstring>` +
    `<detail><MaLoi xmlns="${GATEWAY_ERROR_NS}">${err.code}</MaLoi></detail>` +
    '</soap:Fault></soap:Body></soap:Envelope>';
  return { status: 500, headers: retryHeaders(err, { 'content-type': SOAP11_CONTENT_TYPE }), body };
}

/**
 * A SOAP 1.2 fault: HTTP 400 (env:Sender) or 500 (env:Receiver), Reason in Vietnamese with
 * xml:lang="vi", and a Detail the front writes (vendor B: its WSDL's SyncFault).
 */
export function soap12Fault(err: GatewayError, writeDetail?: (w: XmlWriter) => void): HttpAnswer {
  // A SOAP 1.1 envelope reached this SOAP 1.2 service: SOAP 1.2 part 1 appendix A has the
  // version mismatch answered as a SOAP 1.1 fault over the SOAP 1.1 HTTP binding, so that the
  // SOAP 1.1 sender can read it, with an Upgrade block naming SOAP 1.2 (§5.4.7).
  if (err.code === 'SAI_PHIEN_BAN_SOAP') return soap11Fault(err, SOAP12_NS);
  const sender = err.side === 'client';
  const w = new XmlWriter();
  w.declaration()
    .open('soap:Envelope', { 'xmlns:soap': SOAP12_NS })
    .open('soap:Body')
    .open('soap:Fault')
    .open('soap:Code')
    .leaf('soap:Value', sender ? 'soap:Sender' : 'soap:Receiver')
    .close('soap:Code')
    .open('soap:Reason')
    .leaf('soap:Text', err.display, { 'xml:lang': 'vi' })
    .close('soap:Reason');
  if (writeDetail) {
    w.open('soap:Detail');
    writeDetail(w);
    w.close('soap:Detail');
  }
  w.close('soap:Fault').close('soap:Body').close('soap:Envelope');
  return {
    status: sender ? 400 : 500,
    headers: retryHeaders(err, { 'content-type': SOAP12_CONTENT_TYPE }),
    body: w.toString(),
  };
}

/** `retry-after` for answers that are not faults (vendor C) but carry a rate-limit refusal. */
export function withRetryAfter(err: GatewayError, headers: Record<string, string>): Record<string, string> {
  return retryHeaders(err, headers);
}
