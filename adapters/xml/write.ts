/**
 * Escaping and a tiny string-builder XML writer for answers. Answers are small and fixed in
 * shape, so a chunk array joined once is both the simplest and the fastest way to build them; no
 * DOM, no serializer. Text that a legacy client shows verbatim is escaped, never trusted.
 */

const TEXT_SPECIAL = /[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const ATTR_SPECIAL = /[&<>"'\t\n\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

// Characters XML 1.0 cannot carry at all (not even as references) are dropped: a message built
// from caller input must never make our own answer ill-formed.
function escapeWith(value: string, attribute: boolean): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let rep: string | undefined;
    switch (c) {
      case 38: rep = '&amp;'; break;
      case 60: rep = '&lt;'; break;
      case 62: rep = '&gt;'; break;
      case 34: if (attribute) rep = '&quot;'; break;
      case 39: if (attribute) rep = '&apos;'; break;
      case 9: if (attribute) rep = '&#9;'; break;
      case 10: if (attribute) rep = '&#10;'; break;
      case 13: rep = '&#13;'; break;
      default:
        if ((c < 0x20 && c !== 9 && c !== 10) || c === 0xfffe || c === 0xffff) rep = '';
    }
    if (rep !== undefined) {
      out += value.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? value : out + value.slice(last);
}

/** Escapes character data. */
export function escapeText(value: string): string {
  return TEXT_SPECIAL.test(value) || value.includes('\r') ? escapeWith(value, false) : value;
}

/** Escapes an attribute value (for double or single quotes). */
export function escapeAttr(value: string): string {
  return ATTR_SPECIAL.test(value) ? escapeWith(value, true) : value;
}

export type Attrs = Record<string, string | number | undefined>;

/** Appends markup to one buffer; `toString()` joins once. Names are trusted (ours), values escaped. */
export class XmlWriter {
  private readonly parts: string[] = [];

  /** `<?xml version="1.0" encoding="utf-8"?>` */
  declaration(encoding = 'utf-8'): this {
    this.parts.push(`<?xml version="1.0" encoding="${encoding}"?>`);
    return this;
  }

  open(name: string, attrs?: Attrs): this {
    this.parts.push(`<${name}${renderAttrs(attrs)}>`);
    return this;
  }

  close(name: string): this {
    this.parts.push(`</${name}>`);
    return this;
  }

  /** `<name>text</name>`; nothing when value is undefined (optional members are omitted). */
  leaf(name: string, value: string | number | boolean | undefined, attrs?: Attrs): this {
    if (value === undefined) return this;
    this.parts.push(`<${name}${renderAttrs(attrs)}>${escapeText(String(value))}</${name}>`);
    return this;
  }

  /** `<name/>` */
  empty(name: string, attrs?: Attrs): this {
    this.parts.push(`<${name}${renderAttrs(attrs)}/>`);
    return this;
  }

  /** Already-escaped markup (from another writer). */
  raw(markup: string): this {
    this.parts.push(markup);
    return this;
  }

  toString(): string {
    return this.parts.join('');
  }
}

function renderAttrs(attrs?: Attrs): string {
  if (!attrs) return '';
  let out = '';
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out += ` ${key}="${escapeAttr(String(v))}"`;
  }
  return out;
}
