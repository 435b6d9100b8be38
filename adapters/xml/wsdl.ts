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

/** True for `GET path?wsdl` (any case, as .NET and Java clients ask for `?WSDL` or `?wsdl`). */
export function asksForWsdl(meta: RequestMeta): boolean {
  if (meta.method !== 'GET' && meta.method !== 'HEAD') return false;
  for (const key of meta.query.keys()) if (key.toLowerCase() === 'wsdl') return true;
  return false;
}

/** Builds a `describe` that answers `?wsdl` with the contract, addressed at the gateway. */
export function wsdlDescriber(
  loadWsdl: () => string,
  servicePath: string,
): (meta: RequestMeta, publicUrl: string) => HttpAnswer | undefined {
  const cache = new Map<string, string>();
  return (meta, publicUrl) => {
    if (!asksForWsdl(meta)) return undefined;
    let body = cache.get(publicUrl);
    if (body === undefined) {
      body = wsdlWithAddress(loadWsdl(), publicUrl, servicePath);
      if (cache.size > 16) cache.clear();
      cache.set(publicUrl, body);
    }
    return { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
  };
}
