/**
 * The vendor fronts the data plane serves. Adding a vendor: one folder under adapters/ exporting
 * a VendorFront, and one line in BUILT_IN_FRONTS below. Nothing else in the gateway changes.
 */
import type { VendorFront, VendorId } from './types.js';
import { vendorA } from './vendor-a-asmx/index.js';
import { vendorB } from './vendor-b-jaxws/index.js';
import { vendorC } from './vendor-c-xmlpost/index.js';
import { jsonFront } from './json/index.js';

export interface FrontRegistry {
  readonly fronts: readonly VendorFront[];
  /** The front answering this path (query string excluded): exact match, or any case for a front whose paths are case-insensitive. */
  frontForPath(path: string): VendorFront | undefined;
  frontById(id: VendorId): VendorFront | undefined;
}

/**
 * Builds a registry; refuses two fronts with the same id or the same path (a deployment error),
 * counting paths that only differ in case as the same when either front ignores case.
 */
export function createRegistry(list: readonly VendorFront[]): FrontRegistry {
  const byPath = new Map<string, VendorFront>();
  // Lower-cased paths of fronts that declare caseInsensitivePaths (IIS-hosted services).
  const byFoldedPath = new Map<string, VendorFront>();
  const byId = new Map<VendorId, VendorFront>();
  for (const front of list) {
    if (byId.has(front.id)) throw new Error(`vendor front ${front.id} registered twice`);
    byId.set(front.id, front);
    for (const p of front.paths) {
      const other = byPath.get(p);
      if (other) throw new Error(`path ${p} claimed by both ${other.id} and ${front.id}`);
      byPath.set(p, front);
      if (front.caseInsensitivePaths) {
        const folded = byFoldedPath.get(p.toLowerCase());
        if (folded && folded !== front) throw new Error(`path ${p} claimed by both ${folded.id} and ${front.id} (case-insensitive)`);
        byFoldedPath.set(p.toLowerCase(), front);
      }
    }
  }
  for (const [p, front] of byPath) {
    const folded = byFoldedPath.get(p.toLowerCase());
    if (folded && folded !== front) throw new Error(`path ${p} claimed by both ${front.id} and ${folded.id} (case-insensitive)`);
  }
  const fronts = Object.freeze([...list]);
  return {
    fronts,
    frontForPath: (path) => {
      const p = path.split('?', 1)[0];
      return byPath.get(p) ?? (byFoldedPath.size > 0 ? byFoldedPath.get(p.toLowerCase()) : undefined);
    },
    frontById: (id) => byId.get(id),
  };
}

export const BUILT_IN_FRONTS: readonly VendorFront[] = [
  vendorA,
  vendorB,
  vendorC,
  jsonFront,
];

const registry = createRegistry(BUILT_IN_FRONTS);

export const fronts: VendorFront[] = [...registry.fronts];
export const frontForPath = registry.frontForPath;
export const frontById = registry.frontById;
