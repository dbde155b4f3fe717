/**
 * The downward API's values, shared by env (`valueFrom.fieldRef`/`resourceFieldRef`) and the downwardAPI and
 * projected volumes. Formats are Kubernetes' own: whole label/annotation maps print as sorted `key="value"`
 * lines (Go's %q quoting) without a trailing newline; resources divide by the divisor and round up.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IResourceFieldSelector } from 'kubernetes-models/v1/ResourceFieldSelector';
import { quantityValue } from './quantity.ts';

export interface NodeFacts {
  /** The node's IPs (status.hostIP is the first). */
  hostIPs: string[];
  /** Node allocatable, used for `limits.*` of containers without a limit (as the kubelet does). */
  allocatable: Record<string, string>;
}

export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** Go's %q for strings: JSON's escaping matches it for the characters labels and annotations carry. */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** metadata.* paths valid both in env and in downwardAPI volumes. */
export function extractObjectFieldPath(pod: IPod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = subscript.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[sub[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** Env's fieldRef: the metadata paths plus the spec/status ones only env supports. */
export function extractEnvFieldPath(pod: IPod, fieldPath: string, node: NodeFacts, podIPs: string[]): string {
  switch (fieldPath) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return node.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return node.hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  return extractObjectFieldPath(pod, fieldPath);
}

/**
 * `resourceFieldRef`: the container's limit or request divided by the divisor, rounded up. Limits that are not
 * set fall back to node allocatable, as the real kubelet merges them before it evaluates the reference.
 */
export function extractResourceFieldRef(
  pod: IPod,
  ref: IResourceFieldSelector,
  defaultContainer: IContainer | undefined,
  node: NodeFacts,
): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const container = ref.containerName ? containers.find((c) => c.name === ref.containerName) : defaultContainer;
  if (!container) throw new Error(`container ${ref.containerName ?? ''} not found in pod ${pod.metadata?.name ?? ''}`);
  const [kind, resource] = splitResource(ref.resource);
  const declared = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  let raw: string | number | undefined = declared?.[resource];
  if (raw === undefined && kind === 'limits') raw = node.allocatable[resource];
  const value = raw === undefined ? 0 : quantityValue(raw);
  const divisorRaw = ref.divisor === undefined || quantityValue(ref.divisor) === 0 ? '1' : ref.divisor;
  const divisor = quantityValue(divisorRaw);
  if (resource === 'cpu') {
    // Kubernetes divides milli-values, so a 250m limit with divisor 1m is exactly 250.
    return String(Math.ceil(Math.round(value * 1000) / Math.round(divisor * 1000)));
  }
  return String(Math.ceil(value / divisor));
}

function splitResource(resource: string): ['limits' | 'requests', string] {
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(resource);
  if (!m) throw new Error(`unsupported container resource : ${resource}`);
  return [m[1] as 'limits' | 'requests', m[2]!];
}
