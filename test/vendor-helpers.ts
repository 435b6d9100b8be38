/** Shared by the vendor front tests: limits, request metadata, sample paths, tree comparison. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestLimits } from '../adapters/types.js';
import type { RequestMeta } from '../core/http.js';
import { parseXmlString, type XmlElement } from '../adapters/xml/parse.js';
import { CONTRACTS } from './helpers/env.js';

export const VENDORS = path.join(CONTRACTS, 'vendors');

export function sample(vendor: string, file: string): Buffer {
  return readFileSync(path.join(VENDORS, vendor, file));
}

export function limits(overrides: Partial<RequestLimits> = {}): RequestLimits {
  return {
    maxBodyBytes: 10 * 1024 * 1024,
    xmlMaxDepth: 64,
    xmlMaxElements: 500_000,
    xmlMaxAttributes: 64,
    xmlMaxAttributeLength: 64 * 1024,
    xmlMaxTextLength: 8 * 1024 * 1024,
    maxRecordsPerCall: 1000,
    maxStatusIdsPerCall: 1000,
    maxFutureSkewSeconds: 300,
    now: () => new Date(),
    ...overrides,
  };
}

export function meta(pathname: string, headers: IncomingHttpHeaders = {}, method = 'POST', query = ''): RequestMeta {
  return { method, path: pathname, query: new URLSearchParams(query), headers };
}

/** A document as comparable data: names, namespaces, attributes (no xmlns), trimmed text; comments and layout ignored. */
export interface Shape {
  name: string;
  uri: string;
  attrs: Record<string, string>;
  text?: string;
  children: Shape[];
}

export function shape(el: XmlElement): Shape {
  const attrs: Record<string, string> = {};
  for (const a of el.attributes) if (a.prefix !== 'xmlns' && a.name !== 'xmlns') attrs[`{${a.uri}}${a.local}`] = a.value;
  const s: Shape = { name: el.local, uri: el.uri, attrs, children: el.children.map(shape) };
  const t = el.text.trim();
  if (t && el.children.length === 0) s.text = t;
  return s;
}

const LIMITS = limits();
export function xmlShape(xml: string | Buffer): Shape {
  return shape(parseXmlString(typeof xml === 'string' ? xml : xml.toString('utf8'), LIMITS));
}

/** Replaces the text of every element whose text is `{{…}}` in the expected shape by the actual one, after checking it is present. */
export function fillPlaceholders(expected: Shape, actual: Shape): Shape {
  const out: Shape = { ...expected, children: expected.children.map((c, i) => (actual.children[i] ? fillPlaceholders(c, actual.children[i]) : c)) };
  if (expected.text && /^\{\{.*\}\}$/.test(expected.text) && actual.text) out.text = actual.text;
  return out;
}
