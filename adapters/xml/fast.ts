/**
 * The fast path of the XML parser: the documents the fronts actually receive (ASCII names, the
 * five XML entities and character references, comments, CDATA, namespaces declared the ordinary
 * way) read with indexOf / slice instead of saxes's character-by-character state machine, which
 * cost vendor B ≈ 13 % of its CPU (its payload is a second document escaped inside the envelope,
 * so every record was scanned twice).
 *
 * It never decides alone that a document is bad. Whatever lies outside that subset — any DOCTYPE,
 * processing instruction, undefined entity, non-ASCII name, control character, surrogate, a
 * limit exceeded, anything not well-formed — makes it give up (`undefined`), and parse.ts then
 * runs saxes on the whole document exactly as before: refusals, their messages and positions are
 * saxes's. When it does return a tree, that tree is the one saxes would build (same names,
 * namespaces, attributes in order, text with XML's line-end and attribute-value normalisation,
 * line and column of every start tag); test/xml-fast.test.ts checks this against saxes on
 * generated and mutated documents. It is linear in the input: each character is looked at a
 * bounded number of times, and giving up costs at most one such pass before saxes runs.
 */
import type { XmlAttribute, XmlElement, XmlLimits } from './element.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/**
 * Characters the fast path leaves to saxes: those XML 1.0 forbids, and surrogates (astral
 * characters shift saxes's columns, lone ones it treats unevenly). Checked once per document.
 */
const LEAVE_TO_SAXES = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** The XML declarations saxes accepts as XML 1.0 (other versions change its character rules). */
const DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const EQ = 0x3d;
const COLON = 0x3a;
const QUOT = 0x22;
const APOS = 0x27;

/** ASCII name characters: 1 may start a name (letters, _), 2 only continue one (digits, . -). */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) NAME_CHAR[c] = 1;
  else if (/[0-9.-]/.test(ch)) NAME_CHAR[c] = 2;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/** Thrown inside the fast path to hand the document to saxes. */
const GIVE_UP: unique symbol = Symbol('give up');

function giveUp(): never {
  throw GIVE_UP;
}

/** XML 1.0's Char production (what saxes checks a character reference against). */
function isXmlChar(n: number): boolean {
  return n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
}

/** The replacement of the reference `&name;` (name without & and ;), as saxes resolves it. */
function entity(name: string): string {
  switch (name) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
  }
  let n = NaN;
  // saxes: '#x' (lower-case x only) and hex digits, or '#' and decimal digits.
  if (name.length <= 12) {
    if (/^#x[0-9a-f]+$/i.test(name) && name.charCodeAt(1) === 0x78) n = parseInt(name.slice(2), 16);
    else if (/^#[0-9]+$/.test(name)) n = parseInt(name.slice(1), 10);
  }
  if (!isXmlChar(n)) giveUp();
  return String.fromCodePoint(n);
}

/** XML end-of-line handling in character data: CR LF and a lone CR become LF. */
const lineEnds = (s: string): string => s.replace(/\r\n?/g, '\n');
/** Attribute-value normalisation: each tab, LF, CR LF or lone CR becomes one space. */
const attrSpaces = (s: string): string => s.replace(/\r\n?|[\n\t]/g, ' ');
const HAS_ATTR_SPACE = /[\t\n\r]/;

/**
 * `raw` (character data or an attribute value as written) with references replaced and line ends
 * (in attributes, all whitespace) normalised in the literal parts only, as saxes does: what a
 * reference yields (&#13;, &#9;) is not normalised. (Measured against replace() with a callback,
 * split('&') and chained replaceAll() on vendor B's escaped payload: this loop was as fast as any.)
 */
function decode(raw: string, inAttribute: boolean, hasCR: boolean): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return literal(raw, inAttribute, hasCR);
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0) giveUp();
    out += literal(raw.slice(from, amp), inAttribute, hasCR) + entity(raw.slice(amp + 1, semi));
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + literal(raw.slice(from), inAttribute, hasCR);
}

function literal(s: string, inAttribute: boolean, hasCR: boolean): string {
  if (inAttribute) return HAS_ATTR_SPACE.test(s) ? attrSpaces(s) : s;
  return hasCR && s.includes('\r') ? lineEnds(s) : s;
}

/** The tree saxes would build for `xml`, or undefined when saxes must decide. */
export function parseKnownXml(xml: string, limits: XmlLimits): XmlElement | undefined {
  if (xml.charCodeAt(0) === 0xfeff || LEAVE_TO_SAXES.test(xml)) return undefined;
  try {
    return new FastParser(xml, limits).document();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}

class FastParser {
  private readonly hasCR: boolean;
  private elements = 0;
  private readonly stack: XmlElement[] = [];
  /** Per open element: prefix → namespace URI it declares ('' is the default namespace), if any. */
  private readonly scopes: (Map<string, string> | undefined)[] = [];
  // Line tracking: saxes's line (1-based) and the index where the current line starts.
  private line = 1;
  private lineStart = 0;
  private nextLF: number;
  private nextCR: number;
  /** Index of the colon in the last name read by name(), or -1. */
  private colon = -1;
  /** Where the last start tag read by openTag() ends, and whether it was `<…/>`. */
  private end = 0;
  private selfClosing = false;

  constructor(
    private readonly xml: string,
    private readonly limits: XmlLimits,
  ) {
    this.hasCR = xml.includes('\r');
    this.nextLF = this.find('\n', 0);
    this.nextCR = this.hasCR ? this.find('\r', 0) : Infinity;
  }

  private find(s: string, from: number): number {
    const i = this.xml.indexOf(s, from);
    return i < 0 ? Infinity : i;
  }

  document(): XmlElement {
    const xml = this.xml;
    let i = 0;
    if (xml.startsWith('<?')) {
      const decl = DECLARATION.exec(xml);
      if (!decl) giveUp();
      i = decl[0].length;
    }
    i = this.misc(i);
    if (xml.charCodeAt(i) !== LT) giveUp();
    let root: XmlElement | undefined;
    // Markup and text until the root element closes.
    for (;;) {
      // i is at a '<' here.
      const c1 = xml.charCodeAt(i + 1);
      if (c1 === SLASH) {
        i = this.closeTag(i);
        if (this.stack.length === 0) break;
      } else if (c1 === BANG) {
        if (this.stack.length === 0) giveUp();
        i = this.bang(i);
      } else if (c1 < 128 && NAME_CHAR[c1] === 1) {
        if (root !== undefined && this.stack.length === 0) giveUp();
        const el = this.openTag(i);
        const parent = this.stack[this.stack.length - 1];
        if (parent) parent.children.push(el);
        else root = el;
        i = this.end;
        if (this.selfClosing) {
          this.scopes.pop();
          if (this.stack.length === 0) break;
        } else this.stack.push(el);
      } else giveUp();
      const lt = xml.indexOf('<', i);
      if (lt < 0) giveUp();
      if (lt > i) this.text(xml.slice(i, lt));
      i = lt;
    }
    // After the root: only whitespace and comments.
    if (this.misc(i) !== xml.length) giveUp();
    return root!;
  }

  /** Skips whitespace and comments outside the root element; returns where something else starts. */
  private misc(i: number): number {
    const xml = this.xml;
    for (;;) {
      while (i < xml.length && isSpace(xml.charCodeAt(i))) i++;
      if (!xml.startsWith('<!--', i)) return i;
      i = this.commentEnd(i);
    }
  }

  /** Index after a comment starting at i: the first '--' in it must be its end, as saxes requires. */
  private commentEnd(i: number): number {
    const dashes = this.xml.indexOf('--', i + 4);
    if (dashes < 0 || this.xml.charCodeAt(dashes + 2) !== GT) giveUp();
    return dashes + 3;
  }

  /** `<!` inside the root: a comment or a CDATA section. */
  private bang(i: number): number {
    const xml = this.xml;
    if (xml.startsWith('<!--', i)) return this.commentEnd(i);
    if (!xml.startsWith('<![CDATA[', i)) giveUp();
    const end = xml.indexOf(']]>', i + 9);
    if (end < 0) giveUp();
    const raw = xml.slice(i + 9, end);
    this.append(this.hasCR && raw.includes('\r') ? lineEnds(raw) : raw);
    return end + 3;
  }

  /** Character data between markup inside the root element. */
  private text(raw: string): void {
    if (raw.includes(']]>')) giveUp();
    this.append(decode(raw, false, this.hasCR));
  }

  private append(text: string): void {
    const el = this.stack[this.stack.length - 1];
    if (el.text.length + text.length > this.limits.xmlMaxTextLength) giveUp();
    el.text = el.text.length === 0 ? text : el.text + text;
  }

  /** Reads an ASCII qualified name at i ([A-Za-z_][A-Za-z0-9._-]* with at most one inner colon); returns its end. */
  private name(i: number): number {
    const xml = this.xml;
    const start = i;
    this.colon = -1;
    for (;;) {
      const c = xml.charCodeAt(i);
      if (c < 128 && NAME_CHAR[c] !== 0) {
        i++;
        continue;
      }
      if (c === COLON && this.colon < 0 && i > start) {
        const next = xml.charCodeAt(i + 1);
        if (next < 128 && NAME_CHAR[next] === 1) {
          this.colon = i;
          i++;
          continue;
        }
      }
      // A non-ASCII character may continue the name for saxes; a colon here is a malformed name.
      if (c >= 128 || c === COLON || i === start) giveUp();
      return i;
    }
  }

  private skipSpaces(i: number): number {
    while (isSpace(this.xml.charCodeAt(i))) i++;
    return i;
  }

  /** Moves the line count to index p (saxes's line there is this.line, its column p - this.lineStart). */
  private advanceTo(p: number): void {
    for (;;) {
      const lf = this.nextLF;
      const cr = this.nextCR;
      if (lf >= p && cr >= p) break;
      this.line++;
      if (cr < lf) {
        const after = this.xml.charCodeAt(cr + 1) === 0x0a ? cr + 2 : cr + 1;
        this.lineStart = after;
        this.nextCR = this.find('\r', cr + 1);
        if (this.nextLF < after) this.nextLF = this.find('\n', after);
      } else {
        this.lineStart = lf + 1;
        this.nextLF = this.find('\n', lf + 1);
      }
    }
  }

  /** Reads the start tag at lt; sets this.end (index after it) and this.selfClosing. */
  private openTag(lt: number): XmlElement {
    const xml = this.xml;
    const limits = this.limits;
    this.elements += 1;
    if (this.elements > limits.xmlMaxElements || this.stack.length + 1 > limits.xmlMaxDepth) giveUp();
    const nameEnd = this.name(lt + 1);
    const colon = this.colon;
    const name = xml.slice(lt + 1, nameEnd);
    const attributes: XmlAttribute[] = [];
    let prefixed = false;
    let ns: Map<string, string> | undefined;
    let i = nameEnd;
    for (;;) {
      let c = xml.charCodeAt(i);
      if (isSpace(c)) {
        i = this.skipSpaces(i);
        c = xml.charCodeAt(i);
        if (c < 128 && NAME_CHAR[c] === 1) {
          // An attribute: name S* = S* quoted value.
          if (attributes.length + 1 > limits.xmlMaxAttributes) giveUp();
          const attrEnd = this.name(i);
          const attrName = xml.slice(i, attrEnd);
          const attrColon = this.colon < 0 ? -1 : this.colon - i;
          i = this.skipSpaces(attrEnd);
          if (xml.charCodeAt(i) !== EQ) giveUp();
          i = this.skipSpaces(i + 1);
          const q = xml.charCodeAt(i);
          if (q !== QUOT && q !== APOS) giveUp();
          const close = xml.indexOf(q === QUOT ? '"' : "'", i + 1);
          if (close < 0) giveUp();
          const rawValue = xml.slice(i + 1, close);
          if (rawValue.includes('<')) giveUp();
          const value = decode(rawValue, true, this.hasCR);
          if (value.length > limits.xmlMaxAttributeLength) giveUp();
          if (attrColon < 0) {
            attributes.push({ name: attrName, local: attrName, prefix: '', uri: attrName === 'xmlns' ? XMLNS_NS : '', value });
          } else {
            // Its namespace is resolved once all of this tag's declarations are known.
            attributes.push({ name: attrName, local: attrName.slice(attrColon + 1), prefix: attrName.slice(0, attrColon), uri: '', value });
            prefixed = true;
          }
          if (attrName === 'xmlns' || (attrColon === 5 && attrName.startsWith('xmlns:'))) {
            const prefix = attrColon < 0 ? '' : attrName.slice(6);
            const uri = value.trim();
            // Rebinding xml / xmlns, binding their URIs, or undeclaring a prefix: saxes decides.
            if (prefix === 'xml' || prefix === 'xmlns' || uri === XML_NS || uri === XMLNS_NS || (prefix !== '' && uri === '')) giveUp();
            (ns ??= new Map()).set(prefix, uri);
          }
          i = close + 1;
          continue;
        }
      }
      if (c === GT) {
        this.end = i + 1;
        this.selfClosing = false;
        break;
      }
      if (c === SLASH && xml.charCodeAt(i + 1) === GT) {
        this.end = i + 2;
        this.selfClosing = true;
        break;
      }
      giveUp();
    }
    this.scopes.push(ns);

    const prefix = colon < 0 ? '' : name.slice(0, colon - lt - 1);
    const local = colon < 0 ? name : name.slice(colon - lt);
    if (prefix === 'xmlns') giveUp();
    let uri: string;
    if (prefix === '') uri = this.resolve('') ?? '';
    else {
      const bound = this.resolve(prefix);
      if (bound === undefined || bound === '') giveUp();
      uri = bound;
    }
    if (prefixed) {
      for (const a of attributes) {
        if (a.prefix === '') continue;
        const bound = this.resolve(a.prefix);
        if (bound === undefined || bound === '') giveUp();
        a.uri = bound;
      }
    }
    // Duplicates as saxes sees them: the same qualified name, or the same {uri}local.
    for (let k = 1; k < attributes.length; k++) {
      const a = attributes[k];
      for (let m = 0; m < k; m++) {
        const b = attributes[m];
        if (b.name === a.name || (a.prefix !== '' && b.prefix !== '' && b.uri === a.uri && b.local === a.local)) giveUp();
      }
    }
    this.advanceTo(this.end);
    return { name, local, prefix, uri, attributes, children: [], text: '', line: this.line, column: this.end - this.lineStart };
  }

  /** The namespace a prefix is bound to where the current (innermost) scope is. */
  private resolve(prefix: string): string | undefined {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const uri = this.scopes[k]?.get(prefix);
      if (uri !== undefined) return uri;
    }
    if (prefix === 'xml') return XML_NS;
    if (prefix === 'xmlns') return XMLNS_NS;
    return undefined;
  }

  /** `</name S*>` closing the innermost open element; returns the index after it. */
  private closeTag(lt: number): number {
    const top = this.stack[this.stack.length - 1];
    if (!top || !this.xml.startsWith(top.name, lt + 2)) giveUp();
    const after = lt + 2 + top.name.length;
    const c = this.xml.charCodeAt(after);
    // The name must end where the open element's did (no longer name, no non-ASCII character).
    if (c >= 128 || c === COLON || (c < 128 && NAME_CHAR[c] !== 0)) giveUp();
    const gt = this.skipSpaces(after);
    if (this.xml.charCodeAt(gt) !== GT) giveUp();
    this.stack.pop();
    this.scopes.pop();
    return gt + 1;
  }
}
