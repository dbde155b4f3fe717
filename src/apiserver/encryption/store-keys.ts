/**
 * From a store key to the encryption chain of the resource it holds. The registry keeps each resource under
 * `/registry/<plural>/` (core) or `/registry/<group>/<plural>/`; this maps those prefixes back to
 * group-resources with the API's resource table, so the EncryptionConfiguration's rules apply to exactly the
 * keys of the resources they name. `events.k8s.io` events count as `events`, as upstream stores them. Keys
 * outside the resources (the cluster bootstrap data, service allocations) are left alone.
 */
import type { ResourceInfo } from '../../api/index.ts';
import type { Transformer } from '../../storage/index.ts';
import type { EncryptionConfig, GroupResource } from './config.ts';

/** Resources stored, and named in the config, as another group-resource (upstream's storage sharing). */
const STORED_AS: Record<string, GroupResource> = {
  'events.k8s.io/events': { group: '', resource: 'events' },
};

export function storeKeyTransformers(config: EncryptionConfig, resources: readonly ResourceInfo[]): (key: string) => Transformer | undefined {
  // `<group>/<plural>` for grouped resources and `<plural>` for core ones: the key segments after /registry/.
  const byPath = new Map<string, Transformer>();
  for (const info of resources) {
    const gr = STORED_AS[`${info.group}/${info.plural}`] ?? { group: info.group, resource: info.plural };
    byPath.set(info.group ? `${info.group}/${info.plural}` : info.plural, config.transformerFor(gr));
  }
  return (key) => {
    if (!key.startsWith('/registry/')) return undefined;
    const first = key.indexOf('/', 10);
    if (first < 0) return undefined;
    const second = key.indexOf('/', first + 1);
    return (second > 0 ? byPath.get(key.slice(10, second)) : undefined) ?? byPath.get(key.slice(10, first));
  };
}
