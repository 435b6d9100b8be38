/**
 * @peculiar/x509 registers its algorithm providers through tsyringe, which refuses to load
 * unless `Reflect.getMetadata` exists (it normally expects the reflect-metadata package, which
 * is not among our dependencies). x509 only uses the metadata store for its own registrations,
 * so this minimal, standards-shaped implementation (a WeakMap per target) is enough. Installed
 * only when nothing else provided one; imported for its side effect before @peculiar/x509.
 */
type MetaMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<string | symbol | undefined, MetaMap>>();

function metaFor(target: object, property: string | symbol | undefined, create: boolean): MetaMap | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    store.set(target, (byProp = new Map()));
  }
  let map = byProp.get(property);
  if (!map && create) byProp.set(property, (map = new Map()));
  return map;
}

interface ReflectMetadataApi {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  hasMetadata(key: unknown, target: object, property?: string | symbol): boolean;
  hasOwnMetadata(key: unknown, target: object, property?: string | symbol): boolean;
  metadata(key: unknown, value: unknown): (target: object, property?: string | symbol) => void;
}

const R = Reflect as unknown as Partial<ReflectMetadataApi>;
if (typeof R.getMetadata !== 'function') {
  const api: ReflectMetadataApi = {
    defineMetadata(key, value, target, property) {
      metaFor(target, property, true)!.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return metaFor(target, property, false)?.get(key);
    },
    getMetadata(key, target, property) {
      for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
        const map = metaFor(t, property, false);
        if (map?.has(key)) return map.get(key);
      }
      return undefined;
    },
    hasOwnMetadata(key, target, property) {
      return metaFor(target, property, false)?.has(key) ?? false;
    },
    hasMetadata(key, target, property) {
      return api.getMetadata(key, target, property) !== undefined;
    },
    metadata(key, value) {
      return (target, property) => api.defineMetadata(key, value, target, property);
    },
  };
  Object.assign(Reflect, api);
}

export {};
