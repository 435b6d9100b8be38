/**
 * The string-based form of adapters/xml/redact.ts redactXmlElements before it worked on the
 * Buffer (December 2026), kept as the reference its output must equal byte for byte
 * (test/vendor-redact.test.ts).
 */
const REDACTED = '***';


type View = { kind: 'bytes' } | { kind: 'utf16'; bigEndian: boolean };

function viewOf(body: Buffer): View {
  if (body[0] === 0xff && body[1] === 0xfe) return { kind: 'utf16', bigEndian: false };
  if (body[0] === 0xfe && body[1] === 0xff) return { kind: 'utf16', bigEndian: true };
  // No BOM: UTF-16 text that is mostly ASCII has a zero byte beside every character.
  const head = body.subarray(0, 64);
  const zero = head.indexOf(0);
  if (zero >= 0 && head.filter((b) => b === 0).length * 4 >= head.length) return { kind: 'utf16', bigEndian: zero % 2 === 0 };
  return { kind: 'bytes' };
}

function decode(body: Buffer, view: View): { text: string; tail: Buffer } {
  if (view.kind === 'bytes') return { text: body.toString('latin1'), tail: Buffer.alloc(0) };
  const even = body.length - (body.length % 2);
  const units = Buffer.from(body.subarray(0, even));
  if (view.bigEndian) units.swap16();
  return { text: units.toString('utf16le'), tail: body.subarray(even) };
}

function encode(text: string, tail: Buffer, view: View): Buffer {
  if (view.kind === 'bytes') return Buffer.from(text, 'latin1');
  const units = Buffer.from(text, 'utf16le');
  if (view.bigEndian) units.swap16();
  return Buffer.concat([units, tail]);
}

const NAME = /[^\s/>=<]+/y;

/** Index just past a comment, CDATA section or processing instruction starting at `i`; -1 if none starts there. */
function skipSpecial(s: string, i: number): number {
  for (const [open, close] of [['<!--', '-->'], ['<![CDATA[', ']]>'], ['<?', '?>']] as const) {
    if (s.startsWith(open, i)) {
      const end = s.indexOf(close, i + open.length);
      return end < 0 ? s.length : end + close.length;
    }
  }
  return -1;
}

/** Index just past the `>` closing a start tag whose name ends at `i` (quoted values may hold '>'); s.length if none. */
function tagEnd(s: string, i: number): number {
  let quote = '';
  for (let k = i; k < s.length; k++) {
    const ch = s[k];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return k + 1;
  }
  return s.length;
}

/** Where the content of element `qname` opened before `from` ends: its matching end tag, or the end of the text. */
function contentEnd(s: string, from: number, qname: string): number {
  let depth = 0;
  let i = from;
  for (;;) {
    i = s.indexOf('<', i);
    if (i < 0) return s.length;
    const special = skipSpecial(s, i);
    if (special >= 0) {
      i = special;
      continue;
    }
    const closing = s[i + 1] === '/';
    NAME.lastIndex = i + (closing ? 2 : 1);
    const name = NAME.exec(s)?.[0];
    if (name !== qname) {
      i += 1;
      continue;
    }
    if (closing) {
      if (depth === 0) return i;
      depth--;
      i = tagEnd(s, NAME.lastIndex);
    } else {
      const end = tagEnd(s, NAME.lastIndex);
      if (s[end - 2] !== '/') depth++;
      i = end;
    }
  }
}

/** The body with the content of every element named (local name, any prefix, any case) in `localNames` replaced by `***`. */
export function redactXmlElementsByText(body: Buffer, localNames: readonly string[]): Buffer {
  if (body.length === 0 || localNames.length === 0) return body;
  const wanted = new Set(localNames.map((n) => n.toLowerCase()));
  const view = viewOf(body);
  const { text: s, tail } = decode(body, view);
  let out = '';
  let copied = 0;
  let i = 0;
  let changed = false;
  for (;;) {
    i = s.indexOf('<', i);
    if (i < 0) break;
    NAME.lastIndex = i + 1;
    const qname = NAME.exec(s)?.[0];
    const local = qname?.slice(qname.lastIndexOf(':') + 1).toLowerCase();
    if (!qname || !local || !wanted.has(local)) {
      i += 1;
      continue;
    }
    const start = tagEnd(s, NAME.lastIndex);
    if (s[start - 2] === '/' && s[start - 1] === '>') {
      i = start; // <MaKetNoi/>: nothing to hide
      continue;
    }
    const end = contentEnd(s, start, qname);
    out += s.slice(copied, start) + REDACTED;
    copied = end;
    changed = true;
    i = end;
  }
  if (!changed) return body;
  return encode(out + s.slice(copied), tail, view);
}
