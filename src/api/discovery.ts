/**
 * Discovery documents built from RESOURCES: aggregated (apidiscovery.k8s.io/v2, what kubectl 1.32
 * asks for first) and legacy (APIResourceList per group/version). The apiserver serves these as-is.
 */
import type { APIGroupDiscovery, APIResourceDiscovery, APIResourceList } from './types.ts';
import { RESOURCES, type ResourceInfo } from './resources.ts';

export function resourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const d: APIResourceDiscovery = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length) d.shortNames = [...r.shortNames];
  if (r.categories.length) d.categories = [...r.categories];
  if (r.subresources.length) {
    d.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return d;
}

/**
 * Distinct API groups in a resource table ('' = core), core first then in table order. Versions keep table
 * order, except that a custom group lists its versions by Kubernetes version priority (v2 before v1beta1).
 */
export function apiGroups(resources: readonly ResourceInfo[] = RESOURCES): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = [];
  for (const r of resources) {
    let g = out.find((x) => x.group === r.group);
    if (!g) out.push((g = { group: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  for (const g of out) if (resources.some((r) => r.custom && r.group === g.group)) g.versions.sort(compareKubeVersions);
  return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
}

/** Kubernetes version priority (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1` > `foo`), highest first. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0] as const;
    return [Number(m[1]), m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[3] ?? 0)] as const;
  };
  const [x, y] = [parse(a), parse(b)];
  if (x[0] === 0 && y[0] === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (x[0] === 0 || y[0] === 0) return x[0] === 0 ? 1 : -1;
  return y[1] - x[1] || y[0] - x[0] || y[2] - x[2];
}

/** Aggregated discovery for one group ('' = core, served at /api; others at /apis). */
export function groupDiscovery(group: string, resources: readonly ResourceInfo[] = RESOURCES): APIGroupDiscovery {
  const g = apiGroups(resources).find((x) => x.group === group);
  return {
    metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
    versions: (g?.versions ?? []).map((version) => ({
      version,
      freshness: 'Current' as const,
      resources: resources.filter((r) => r.group === group && r.version === version).map(resourceDiscovery),
    })),
  };
}

/** Legacy discovery: `GET /api/v1` or `/apis/<group>/<version>`, subresources listed as `pods/exec`. */
export function apiResourceList(groupVersion: string, table: readonly ResourceInfo[] = RESOURCES): APIResourceList | undefined {
  const rs = table.filter((r) => r.groupVersion === groupVersion);
  if (rs.length === 0) return undefined;
  const resources: APIResourceList['resources'] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs],
      ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
      ...(r.categories.length ? { categories: [...r.categories] } : {}),
    });
    for (const s of r.subresources) {
      resources.push({
        name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: [...s.verbs],
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
