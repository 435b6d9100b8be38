/**
 * The one XML parser every front uses on untrusted input: saxes (a non-validating, streaming
 * parser that never fetches anything) building a light element tree, with the hostile-input rules
 * enforced while parsing, before any memory is spent on what follows:
 * - any DOCTYPE is refused: no DTD, hence no entity definitions, no billion laughs, no XXE;
 * - only the five XML entities and character references exist; anything else is refused;
 * - processing instructions are refused (the XML declaration is not one);
 * - depth, element count, attributes per element, attribute length and text length are capped
 *   by RequestLimits.
 * Every refusal is a GatewayError (XML_KHONG_HOP_LE for broken XML, XML_BI_TU_CHOI for input
 * refused for safety) with a Vietnamese detail naming the line and column.
 *
 * Ordinary documents take a faster road first (fast.ts): it builds the same tree without saxes,
 * or gives up and leaves the whole document to saxes, which then accepts or refuses it as here.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { GatewayError } from '../../core/errors.js';
import { decodeXmlBytes } from './decode.js';
import type { XmlAttribute, XmlElement, XmlLimits } from './element.js';
import { parseKnownXml } from './fast.js';

export type { XmlAttribute, XmlElement, XmlLimits } from './element.js';

export interface ParseOptions {
  /** Prefixed to details ("tài liệu payload: …") when parsing a document nested inside another. */
  context?: string;
  /** The HTTP Content-Type charset: used only when the bytes carry no BOM and no declared encoding. */
  charset?: string;
}

function refused(detail: string, internal: string): GatewayError {
  return new GatewayError('XML_BI_TU_CHOI', { detail }, internal);
}

/** Parses untrusted XML bytes (decoded by BOM / declaration). Throws only GatewayError. */
export function parseXmlBytes(bytes: Uint8Array, limits: XmlLimits, options: ParseOptions = {}): XmlElement {
  if (limits.maxBodyBytes !== undefined && bytes.byteLength > limits.maxBodyBytes) {
    throw new GatewayError('DU_LIEU_QUA_LON', { limit: `${limits.maxBodyBytes} byte` }, `xml body ${bytes.byteLength} bytes`);
  }
  return parseXmlString(decodeXmlBytes(bytes, options.charset), limits, options);
}

/** Parses an untrusted XML document already held as a string. Throws only GatewayError. */
export function parseXmlString(xml: string, limits: XmlLimits, options: ParseOptions = {}): XmlElement {
  if (xml.length === 0 || xml.trim().length === 0) {
    const where = options.context ? `${options.context}: ` : '';
    throw new GatewayError('XML_KHONG_HOP_LE', { detail: `${where}nội dung rỗng` }, 'empty document');
  }
  return parseKnownXml(xml, limits) ?? parseXmlWithSaxes(xml, limits, options);
}

/**
 * The general road: saxes, with every rule above enforced as it reads. Decides every document
 * the fast road gives up on; exported for the test that holds the two roads to the same trees.
 */
export function parseXmlWithSaxes(xml: string, limits: XmlLimits, options: ParseOptions = {}): XmlElement {
  const where = options.context ? `${options.context}: ` : '';
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  const pos = () => `dòng ${parser.line}, cột ${parser.column}`;

  parser.on('doctype', () => {
    throw refused(`${where}không chấp nhận khai báo DOCTYPE/DTD (${pos()})`, 'doctype');
  });
  parser.on('processinginstruction', (pi) => {
    throw refused(`${where}không chấp nhận chỉ thị xử lý <?${pi.target.slice(0, 40)}?> (${pos()})`, `processing instruction ${pi.target}`);
  });
  // Counts and lengths are checked as saxes reports each tag start and each attribute, before
  // the tag is complete: a tag with a million attributes is refused at the first one too many,
  // not after saxes has spent seconds collecting them all.
  let attributesInTag = 0;
  parser.on('opentagstart', () => {
    elements += 1;
    attributesInTag = 0;
    if (elements > limits.xmlMaxElements) {
      throw refused(`${where}vượt quá số phần tử cho phép (tối đa ${limits.xmlMaxElements})`, 'element count');
    }
    if (stack.length + 1 > limits.xmlMaxDepth) {
      throw refused(`${where}vượt quá độ sâu lồng nhau cho phép (tối đa ${limits.xmlMaxDepth} cấp, ${pos()})`, 'depth');
    }
  });
  parser.on('attribute', (a) => {
    attributesInTag += 1;
    if (attributesInTag > limits.xmlMaxAttributes) {
      throw refused(`${where}một phần tử có quá nhiều thuộc tính (tối đa ${limits.xmlMaxAttributes}, ${pos()})`, 'attribute count');
    }
    if (a.value.length > limits.xmlMaxAttributeLength) {
      throw refused(
        `${where}giá trị thuộc tính ${a.name.slice(0, 60)} quá dài (tối đa ${limits.xmlMaxAttributeLength} ký tự, ${pos()})`,
        'attribute length',
      );
    }
  });
  parser.on('opentag', (tag) => {
    const t = tag as SaxesTagNS;
    const attrs: XmlAttribute[] = [];
    for (const key in t.attributes) {
      const a = t.attributes[key];
      attrs.push({ name: a.name, local: a.local, prefix: a.prefix, uri: a.uri, value: a.value });
    }
    const el: XmlElement = {
      name: t.name,
      local: t.local,
      prefix: t.prefix,
      uri: t.uri,
      attributes: attrs,
      children: [],
      text: '',
      line: parser.line,
      column: parser.column,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (text: string) => {
    const el = stack[stack.length - 1];
    if (!el) return; // whitespace around the root element
    if (el.text.length + text.length > limits.xmlMaxTextLength) {
      throw refused(`${where}nội dung văn bản của <${el.name.slice(0, 60)}> quá dài (tối đa ${limits.xmlMaxTextLength} ký tự)`, 'text length');
    }
    el.text = el.text.length === 0 ? text : el.text + text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('error', (err) => {
    throw syntaxError(err.message, where, pos());
  });

  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    // Anything else saxes (or a runtime limit such as a RangeError) throws: the input is bad.
    throw syntaxError(err instanceof Error ? err.message : String(err), where, pos());
  }
  if (!root) throw new GatewayError('XML_KHONG_HOP_LE', { detail: `${where}không có phần tử gốc` }, 'no root');
  return root;
}

/** Maps saxes' English well-formedness messages to a Vietnamese detail (the original goes to internalReason). */
function syntaxError(message: string, where: string, position: string): GatewayError {
  if (/undefined entity|disallowed character in entity/i.test(message)) {
    return refused(`${where}tham chiếu thực thể không được phép (chỉ chấp nhận &lt; &gt; &amp; &quot; &apos;; ${position})`, message);
  }
  let what = 'sai cú pháp XML';
  if (/document must contain a root element/i.test(message)) what = 'không có phần tử gốc';
  else if (/unclosed tag|unexpected end/i.test(message)) what = 'tài liệu bị cắt ngang hoặc thiếu thẻ đóng';
  else if (/unmatched closing tag|unexpected close tag/i.test(message)) what = 'thẻ đóng không khớp với thẻ mở';
  else if (/text data outside of root node|non-whitespace/i.test(message)) what = 'có dữ liệu nằm ngoài phần tử gốc';
  else if (/unbound namespace prefix/i.test(message)) what = 'dùng tiền tố không gian tên chưa khai báo';
  else if (/disallowed character/i.test(message)) what = 'có ký tự không được phép trong XML';
  else if (/duplicate attribute/i.test(message)) what = 'thuộc tính bị lặp lại';
  return new GatewayError('XML_KHONG_HOP_LE', { detail: `${where}${what} (${position})` }, message);
}
