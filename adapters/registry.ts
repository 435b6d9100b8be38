/**
 * The vendor fronts the data plane serves, and the one list of vendors the rest of the gateway
 * reads: connection keys (which vendors a key may be issued for, which operations it may allow),
 * the `ndxp keys` help and the admin API's OpenAPI enums all come from here.
 *
 * Adding a vendor: one folder under adapters/ exporting a VendorFront (with the operations its
 * protocol can ask for), and one line in BUILT_IN_FRONTS below. Nothing else in the gateway changes.
 */
import type { Operation, VendorFront, VendorId } from './types.js';
import { vendorA } from './vendor-a-asmx/index.js';
import { vendorB } from './vendor-b-jaxws/index.js';
import { vendorC } from './vendor-c-xmlpost/index.js';
import { jsonFront } from './json/index.js';
import { excelFront } from './excel/index.js';

export interface FrontRegistry {
  /** The registered fronts, in registration order (this array grows with register()). */
  readonly fronts: readonly VendorFront[];
  /** The front answering this path (query string excluded): exact match, or any case for a front whose paths are case-insensitive. */
  frontForPath(path: string): VendorFront | undefined;
  frontById(id: VendorId): VendorFront | undefined;
  /**
   * The vendors a connection key may be issued for: the fronts' ids, in registration order. The
   * same array grows with register(), so documents built from it (OpenAPI enums) stay current.
   */
  readonly vendorIds: readonly VendorId[];
  /** What a key for this vendor may be allowed to do (the front's own list); undefined for an unknown vendor. */
  operationsOf(id: VendorId): readonly Operation[] | undefined;
  /**
   * Adds a front; refuses one whose id or a path is taken (paths that only differ in case count
   * as the same when either front ignores case). Nothing is added when it refuses.
   */
  register(front: VendorFront): void;
}

/** Builds a registry from a list; refuses two fronts with the same id or the same path (a deployment error). */
export function createRegistry(list: readonly VendorFront[]): FrontRegistry {
  const fronts: VendorFront[] = [];
  const vendorIds: VendorId[] = [];
  const byId = new Map<VendorId, VendorFront>();
  const byPath = new Map<string, VendorFront>();
  // Lower-cased paths of fronts that declare caseInsensitivePaths (IIS-hosted services).
  const byFoldedPath = new Map<string, VendorFront>();
  // Lower-cased paths of every front: a collision when either side ignores case.
  const anyFolded = new Map<string, VendorFront[]>();

  const register = (front: VendorFront): void => {
    if (byId.has(front.id)) throw new Error(`vendor front ${front.id} registered twice`);
    const own = new Set<string>();
    for (const p of front.paths) {
      const other = byPath.get(p) ?? (own.has(p) ? front : undefined);
      if (other) throw new Error(`path ${p} claimed by both ${other.id} and ${front.id}`);
      own.add(p);
      for (const o of anyFolded.get(p.toLowerCase()) ?? []) {
        if (o.caseInsensitivePaths || front.caseInsensitivePaths) throw new Error(`path ${p} claimed by both ${o.id} and ${front.id} (case-insensitive)`);
      }
    }
    byId.set(front.id, front);
    for (const p of front.paths) {
      byPath.set(p, front);
      const folded = p.toLowerCase();
      anyFolded.set(folded, [...(anyFolded.get(folded) ?? []), front]);
      if (front.caseInsensitivePaths) byFoldedPath.set(folded, front);
    }
    fronts.push(front);
    vendorIds.push(front.id);
  };

  for (const front of list) register(front);
  return {
    fronts,
    frontForPath: (path) => {
      const p = path.split('?', 1)[0];
      return byPath.get(p) ?? (byFoldedPath.size > 0 ? byFoldedPath.get(p.toLowerCase()) : undefined);
    },
    frontById: (id) => byId.get(id),
    vendorIds,
    operationsOf: (id) => byId.get(id)?.operations,
    register,
  };
}

export const BUILT_IN_FRONTS: readonly VendorFront[] = [
  vendorA,
  vendorB,
  vendorC,
  jsonFront,
  excelFront,
];

const registry = createRegistry(BUILT_IN_FRONTS);

export const fronts = registry.fronts;
export const frontForPath = registry.frontForPath;
export const frontById = registry.frontById;
export const vendorIds = registry.vendorIds;
export const operationsOf = registry.operationsOf;
/** Registers one more front in this process (the same as one more line in BUILT_IN_FRONTS). */
export const registerFront = registry.register;
