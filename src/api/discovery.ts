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

/** Distinct API groups in RESOURCES ('' = core), core first then in table order. */
export function apiGroups(): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = [];
  for (const r of RESOURCES) {
    let g = out.find((x) => x.group === r.group);
    if (!g) out.push((g = { group: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
}

/** Aggregated discovery for one group ('' = core, served at /api; others at /apis). */
export function groupDiscovery(group: string): APIGroupDiscovery {
  const g = apiGroups().find((x) => x.group === group);
  return {
    metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
    versions: (g?.versions ?? []).map((version) => ({
      version,
      freshness: 'Current' as const,
      resources: RESOURCES.filter((r) => r.group === group && r.version === version).map(resourceDiscovery),
    })),
  };
}

/** Legacy discovery: `GET /api/v1` or `/apis/<group>/<version>`, subresources listed as `pods/exec`. */
export function apiResourceList(groupVersion: string): APIResourceList | undefined {
  const rs = RESOURCES.filter((r) => r.groupVersion === groupVersion);
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
