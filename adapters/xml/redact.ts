/**
 * Credentials out of an XML body before anything keeps it (the audit trail's `full` bodies):
 * the content of every element with one of the given local names (vendor A `MaKetNoi`, vendor B
 * `wsse:Password`) is replaced by `***`.
 *
 * Why not the parsed tree: the bodies that most need this are the ones the parser refused
 * (broken XML, an expired WS-Security timestamp, a wrong encoding), and a re-serialised tree would
 * not be what the client sent. So this is a small byte-level scanner that errs on the side of
 * hiding too much:
 * - it works on the bytes as sent: single-byte view for ASCII-compatible encodings (UTF-8,
 *   Windows-1258, TCVN3 …: markup is ASCII there and never inside a multi-byte sequence), code
 *   units for UTF-16 (by BOM, or by where the first zero byte sits); everything else is untouched;
 * - names match case-insensitively with any prefix, also inside comments (a commented-out old key
 *   is still a key);
 * - the content runs to the matching end tag, skipping comments, CDATA and processing
 *   instructions (an end tag hidden in a comment does not end it); with no end tag, to the end of
 *   the body.
 */

export const REDACTED = '***';

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

/**
 * The body as characters: for the single-byte view the Buffer itself (native indexOf, no copy of
 * the whole body into a string: for vendor B's 150 kB calls that copy was most of the cost), for
 * UTF-16 its code units as a string.
 */
interface Source {
  readonly length: number;
  /** Character code at i; NaN past the end. */
  code(i: number): number;
  indexOf(text: string, from: number): number;
  startsWith(text: string, at: number): boolean;
  slice(from: number, to: number): string;
}

function bytesSource(body: Buffer): Source {
  return {
    length: body.length,
    code: (i) => (i < body.length ? body[i] : NaN),
    indexOf: (text, from) => (from >= body.length ? -1 : body.indexOf(text, from, 'latin1')),
    startsWith(text, at) {
      if (at + text.length > body.length) return false;
      for (let k = 0; k < text.length; k++) if (body[at + k] !== text.charCodeAt(k)) return false;
      return true;
    },
    slice: (from, to) => body.toString('latin1', from, Math.min(to, body.length)),
  };
}

function textSource(s: string): Source {
  return {
    length: s.length,
    code: (i) => s.charCodeAt(i),
    indexOf: (text, from) => s.indexOf(text, from),
    startsWith: (text, at) => s.startsWith(text, at),
    slice: (from, to) => s.slice(from, to),
  };
}

function sourceOf(body: Buffer, view: View): Source {
  if (view.kind === 'bytes') return bytesSource(body);
  const even = body.length - (body.length % 2);
  const units = Buffer.from(body.subarray(0, even));
  if (view.bigEndian) units.swap16();
  return textSource(units.toString('utf16le'));
}

/** `***` as the view writes it. */
function redactedBytes(view: View): Buffer {
  if (view.kind === 'bytes') return Buffer.from(REDACTED, 'latin1');
  const units = Buffer.from(REDACTED, 'utf16le');
  return view.bigEndian ? units.swap16() : units;
}

/** JavaScript's \s (what the name pattern /[^\s/>=<]+/ stopped at). */
function isJsSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** End of the name starting at i: the longest run of characters other than whitespace, / > = and <. */
function nameEnd(s: Source, i: number): number {
  for (;;) {
    const c = s.code(i);
    if (Number.isNaN(c) || isJsSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d || c === 0x3c) return i;
    i++;
  }
}

/** Index just past a comment, CDATA section or processing instruction starting at `i`; -1 if none starts there. */
function skipSpecial(s: Source, i: number): number {
  for (const [open, close] of [['<!--', '-->'], ['<![CDATA[', ']]>'], ['<?', '?>']] as const) {
    if (s.startsWith(open, i)) {
      const end = s.indexOf(close, i + open.length);
      return end < 0 ? s.length : end + close.length;
    }
  }
  return -1;
}

/** Index just past the `>` closing a start tag whose name ends at `i` (quoted values may hold '>'); s.length if none. */
function tagEnd(s: Source, i: number): number {
  let quote = 0;
  for (let k = i; k < s.length; k++) {
    const ch = s.code(k);
    if (quote) {
      if (ch === quote) quote = 0;
    } else if (ch === 0x22 || ch === 0x27) quote = ch;
    else if (ch === 0x3e) return k + 1;
  }
  return s.length;
}

/** The name at i (possibly empty: then undefined), and where it ends. */
function nameAt(s: Source, i: number): { name: string | undefined; end: number } {
  const end = nameEnd(s, i);
  return { name: end > i ? s.slice(i, end) : undefined, end };
}

/** Where the content of element `qname` opened before `from` ends: its matching end tag, or the end of the text. */
function contentEnd(s: Source, from: number, qname: string): number {
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
    const closing = s.code(i + 1) === 0x2f;
    const { name, end: afterName } = nameAt(s, i + (closing ? 2 : 1));
    if (name !== qname) {
      i += 1;
      continue;
    }
    if (closing) {
      if (depth === 0) return i;
      depth--;
      i = tagEnd(s, afterName);
    } else {
      const end = tagEnd(s, afterName);
      if (s.code(end - 2) !== 0x2f) depth++;
      i = end;
    }
  }
}

/** The body with the content of every element named (local name, any prefix, any case) in `localNames` replaced by `***`. */
export function redactXmlElements(body: Buffer, localNames: readonly string[]): Buffer {
  if (body.length === 0 || localNames.length === 0) return body;
  const wanted = new Set(localNames.map((n) => n.toLowerCase()));
  const view = viewOf(body);
  const s = sourceOf(body, view);
  // The output is cut from the body itself (a character of the view is one byte, or one code
  // unit of two bytes), never re-encoded from text.
  const width = view.kind === 'bytes' ? 1 : 2;
  const parts: Buffer[] = [];
  let copied = 0;
  let i = 0;
  for (;;) {
    i = s.indexOf('<', i);
    if (i < 0) break;
    const { name: qname, end: afterName } = nameAt(s, i + 1);
    const local = qname?.slice(qname.lastIndexOf(':') + 1).toLowerCase();
    if (!qname || !local || !wanted.has(local)) {
      i += 1;
      continue;
    }
    const start = tagEnd(s, afterName);
    if (s.code(start - 2) === 0x2f && s.code(start - 1) === 0x3e) {
      i = start; // <MaKetNoi/>: nothing to hide
      continue;
    }
    const end = contentEnd(s, start, qname);
    parts.push(body.subarray(copied * width, start * width), redactedBytes(view));
    copied = end;
    i = end;
  }
  if (parts.length === 0) return body;
  // What follows the last hidden content, with an odd trailing byte of UTF-16 as it came.
  parts.push(body.subarray(copied * width));
  return Buffer.concat(parts);
}
