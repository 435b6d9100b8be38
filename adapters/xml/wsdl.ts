/**
 * Serving a vendor's WSDL: the file is the contract copy kept in the vendor's `contract/` folder;
 * only its service address changes, to the gateway's public URL, so the unchanged legacy client
 * generated from it calls the gateway.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpAnswer, RequestMeta } from '../../core/http.js';
import { escapeAttr } from './write.js';

/**
 * Reads a contract file of a vendor folder. `moduleUrl` is the vendor module's import.meta.url:
 * from sources the file sits next to it; from the compiled `dist/` tree (tsc copies no data
 * files) it is found back in the source folder.
 */
export function readContractFile(moduleUrl: string, file: string): string {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const candidates = [path.join(here, 'contract', file)];
  const distMarker = `${path.sep}dist${path.sep}`;
  const idx = here.lastIndexOf(distMarker);
  if (idx >= 0) candidates.push(path.join(here.slice(0, idx), here.slice(idx + distMarker.length), 'contract', file));
  for (const candidate of candidates) if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  throw new Error(`contract file ${file} not found (looked in ${candidates.join(', ')})`);
}

const ADDRESS = /(<(?:[A-Za-z_][\w.-]*:)?address\s+location=")[^"]*(")/g;

/** The WSDL with every soap:address / soap12:address location set to `publicUrl + servicePath`. */
export function wsdlWithAddress(wsdl: string, publicUrl: string, servicePath: string): string {
  const location = escapeAttr(publicUrl.replace(/\/+$/, '') + servicePath);
  return wsdl.replace(ADDRESS, (_m, open: string, close: string) => `${open}${location}${close}`);
}

/** True for `GET path?<name>` in any case (.NET and Java clients ask for `?WSDL` or `?wsdl`). */
export function asksFor(meta: RequestMeta, name: string): boolean {
  if (meta.method !== 'GET' && meta.method !== 'HEAD') return false;
  for (const key of meta.query.keys()) if (key.toLowerCase() === name) return true;
  return false;
}

/** True for `GET path?wsdl` (any case). */
export function asksForWsdl(meta: RequestMeta): boolean {
  return asksFor(meta, 'wsdl');
}

export type Describer = (meta: RequestMeta, publicUrl: string) => HttpAnswer | undefined;

/** A `describe` answering `?<query>` with a text/xml document built once per public URL. */
export function queryDocument(query: string, build: (publicUrl: string) => string): Describer {
  const cache = new Map<string, string>();
  return (meta, publicUrl) => {
    if (!asksFor(meta, query)) return undefined;
    let body = cache.get(publicUrl);
    if (body === undefined) {
      body = build(publicUrl);
      if (cache.size > 16) cache.clear();
      cache.set(publicUrl, body);
    }
    return { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
  };
}

/** Builds a `describe` that answers `?wsdl` with the contract, addressed at the gateway. */
export function wsdlDescriber(loadWsdl: () => string, servicePath: string): Describer {
  return queryDocument('wsdl', (publicUrl) => wsdlWithAddress(loadWsdl(), publicUrl, servicePath));
}

/** One `describe` from several: the first that has a document for the request answers. */
export function describers(...list: Describer[]): Describer {
  return (meta, publicUrl) => {
    for (const d of list) {
      const doc = d(meta, publicUrl);
      if (doc) return doc;
    }
    return undefined;
  };
}
