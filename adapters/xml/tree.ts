/** Small, allocation-light lookups on the parsed element tree. */
import type { XmlElement } from './parse.js';

/** First child with this local name (and namespace URI, when given). */
export function child(el: XmlElement, local: string, uri?: string): XmlElement | undefined {
  for (const c of el.children) if (c.local === local && (uri === undefined || c.uri === uri)) return c;
  return undefined;
}

/** All children with this local name (and namespace URI, when given). */
export function children(el: XmlElement, local: string, uri?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.local === local && (uri === undefined || c.uri === uri)) out.push(c);
  return out;
}

/** Text of the first child with this local name; undefined when the child is absent. */
export function childText(el: XmlElement, local: string, uri?: string): string | undefined {
  const c = child(el, local, uri);
  return c ? c.text : undefined;
}

/** Value of an attribute by local name (unprefixed attributes unless a namespace URI is given). */
export function attr(el: XmlElement, local: string, uri = ''): string | undefined {
  for (const a of el.attributes) if (a.local === local && a.uri === uri) return a.value;
  return undefined;
}

/** True when the element holds character data other than whitespace. */
export function hasText(el: XmlElement): boolean {
  return el.text.trim().length > 0;
}

/** "dòng 12" for messages that point a clerk at the source. */
export function lineOf(el: XmlElement): string {
  return `dòng ${el.line}`;
}
