/**
 * Small parsers for what admins type: durations (rotation grace), expiry dates, certificate
 * serials and subjects. Each returns undefined for input it cannot read, so callers can name
 * the bad field in Vietnamese.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "24h", "30m", "7d", "90s", "1h30m", "0" → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * Expiry as admins write it. A bare date (2026-12-31, or 31/12/2026 as Vietnamese forms write
 * it) means "valid through that day", Vietnam time (UTC+7): the key stops at the next midnight
 * there. A full ISO 8601 instant is taken as is.
 */
export function parseExpiry(text: string): number | undefined {
  const value = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) {
    const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
    if (vn) m = [value, vn[3], vn[2].padStart(2, '0'), vn[1].padStart(2, '0')] as unknown as RegExpExecArray;
  }
  if (m) {
    const start = Date.parse(`${m[1]}-${m[2]}-${m[3]}T00:00:00+07:00`);
    if (Number.isNaN(start)) return undefined;
    // Reject 2026-02-31 and friends, which Date.parse may roll over.
    const check = new Date(start + 7 * 3_600_000);
    if (check.getUTCDate() !== Number(m[3]) || check.getUTCMonth() + 1 !== Number(m[2])) return undefined;
    return start + 86_400_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * A distinguished name as a list of "TYPE=value" pairs, whatever the spelling: "CN=a, O=b"
 * (RFC 4514 order or reversed), "/O=b/CN=a" (OpenSSL), or Node's X509Certificate.subject with
 * one attribute per line. Attribute types are upper-cased, values trimmed and NFC-normalised.
 */
export function subjectAttributes(subject: string): string[] | undefined {
  const text = subject.trim();
  if (!text) return undefined;
  // Each part keeps the separator that ended the one before it, so an unescaped comma inside
  // a value ("O=Sở Nội vụ, Hà Nội", as a plain join of Node's subject object gives it) can be
  // glued back on.
  const parts: { sep: string; text: string }[] = [];
  let current = '';
  let sep = '';
  // Node's X509Certificate.subject puts one attribute per line, values unescaped (commas allowed).
  const multiline = text.includes('\n');
  // OpenSSL's one-line form ("/O=…/CN=…") separates with "/" only; values may hold commas.
  const slashed = !multiline && text.startsWith('/');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += '\u0000' + text[++i]; // escaped: never a separator, never an "="
      continue;
    }
    const separator = multiline ? ch === '\n' : slashed ? ch === '/' : ch === ',' || ch === '+';
    if (separator) {
      if (current.trim()) parts.push({ sep, text: current });
      current = '';
      sep = ch;
      continue;
    }
    current += ch;
  }
  if (current.trim()) parts.push({ sep, text: current });
  const pairs: { type: string; value: string }[] = [];
  for (const part of parts) {
    const eq = part.text.indexOf('=');
    const type = eq > 0 ? part.text.slice(0, eq).trim().toUpperCase() : '';
    if (!/^([A-Z][A-Z0-9]*|\d+(\.\d+)+)$/.test(type)) {
      // Not "TYPE=…": the rest of the previous value after an unescaped separator.
      if (pairs.length === 0 || multiline || slashed) return undefined;
      pairs[pairs.length - 1].value += part.sep + part.text;
      continue;
    }
    pairs.push({ type, value: part.text.slice(eq + 1) });
  }
  const attrs: string[] = [];
  for (const { type, value } of pairs) {
    const clean = value.replace(/\u0000/g, '').trim().normalize('NFC');
    if (!clean) return undefined;
    attrs.push(`${type}=${clean}`);
  }
  return attrs.length ? attrs : undefined;
}

/** Canonical text of a subject binding (sorted attributes), or undefined when unreadable. */
export function normalizeSubject(subject: string): string | undefined {
  const attrs = subjectAttributes(subject);
  if (!attrs || attrs.some((a) => a.includes('\n'))) return undefined;
  // Re-escape so the stored text parses back to the same attributes ("O=Sở Nội vụ\\, Hà Nội").
  const escape = (attr: string) => {
    const eq = attr.indexOf('=');
    return attr.slice(0, eq + 1) + attr.slice(eq + 1).replace(/[\\,+]/g, (c) => `\\${c}`);
  };
  return [...attrs].sort().map(escape).join(',');
}

/**
 * A subject binding matches when every attribute it names is present in the peer certificate's
 * subject with the same value (the certificate may carry more, e.g. C=VN). The certificate has
 * already chained to a trusted CA, so naming CN and O pins one installation.
 */
export function subjectMatches(bound: string[], peerSubject: string | undefined): boolean {
  if (!peerSubject) return false;
  const peer = subjectAttributes(peerSubject);
  if (!peer) return false;
  const remaining = [...peer];
  for (const attr of bound) {
    const idx = remaining.indexOf(attr);
    if (idx < 0) return false;
    remaining.splice(idx, 1);
  }
  return true;
}
