// @peculiar/x509 registers its algorithms with tsyringe, which insists on the reflect-metadata API at load time.
// Its classes take no constructor parameters, so the three calls tsyringe makes need only a per-object map:
// this is that map, installed only where no real polyfill is. Import it before @peculiar/x509.
type MetadataTarget = object;
const store = new WeakMap<MetadataTarget, Map<unknown, unknown>>();

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  const own = (key: unknown, target: MetadataTarget) => store.get(target)?.get(key);
  reflect.getOwnMetadata = own;
  reflect.getMetadata = (key: unknown, target: MetadataTarget) => {
    for (let at: MetadataTarget | null = target; at !== null; at = Object.getPrototypeOf(at) as MetadataTarget | null) {
      const value = own(key, at);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  reflect.defineMetadata = (key: unknown, value: unknown, target: MetadataTarget) => {
    const map = store.get(target) ?? new Map<unknown, unknown>();
    map.set(key, value);
    store.set(target, map);
  };
}

export {};
