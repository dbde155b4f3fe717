/**
 * The cluster DNS's objects in the API: the `kube-system/kube-dns` Service (ClusterIP `--cluster-dns`,
 * ports `dns` 53/UDP, `dns-tcp` 53/TCP and `metrics` 9153/TCP, k3s's labels), which has no selector and
 * `internalTrafficPolicy: Local`, and the EndpointSlice each node keeps for it (`kube-dns-<node>`: one
 * endpoint, the node's DNS address, with `nodeName` set), so the service proxy sends every pod's queries
 * to its own node's DNS. Pure builders and a comparison; the manager and the server component write them.
 */
import type { EndpointSlice, Service } from '../api/types.ts';
import { SERVICE_NAME_LABEL } from './records.ts';

export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' } as const;
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** The managed-by value of the node slices (the EndpointSlice controller leaves other managers' slices alone). */
export const NODE_DNS_MANAGER = 'node-dns.kubeling.io';

/** The `.10` of a service CIDR (`10.43.0.0/16` -> `10.43.0.10`), the default `--cluster-dns`. */
export function defaultClusterDns(serviceCidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(serviceCidr);
  if (!m) throw new Error(`invalid service CIDR ${JSON.stringify(serviceCidr)}`);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = Number(m[5]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const ip = ((base & mask) >>> 0) + 10;
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join('.');
}

export function kubeDnsService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS.name,
      namespace: KUBE_DNS.namespace,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Local',
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}

export function nodeSliceName(nodeName: string): string {
  return `${KUBE_DNS.name}-${nodeName}`;
}

/** The node's slice for kube-dns; owned by the Service when its uid is known (deleted with it). */
export function nodeDnsSlice(nodeName: string, address: string, service?: Service): EndpointSlice {
  const uid = service?.metadata?.uid;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: nodeSliceName(nodeName),
      namespace: KUBE_DNS.namespace,
      labels: { [SERVICE_NAME_LABEL]: KUBE_DNS.name, [MANAGED_BY_LABEL]: NODE_DNS_MANAGER, 'k8s-app': 'kube-dns' },
      ...(uid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: KUBE_DNS.name, uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  };
}

/** True when `have` already says what `want` says (labels, owner, endpoints, ports). */
export function sliceUpToDate(have: EndpointSlice, want: EndpointSlice): boolean {
  // Compared field by field, so defaults the API server adds never look like drift.
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const labels = have.metadata?.labels ?? {};
  const owners = (s: EndpointSlice) => (s.metadata?.ownerReferences ?? []).map((o) => o.uid);
  const endpoints = (s: EndpointSlice) =>
    (s.endpoints ?? []).map((e) => [e.addresses, e.nodeName ?? '', e.conditions?.ready !== false, e.conditions?.terminating === true]);
  const ports = (s: EndpointSlice) => (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP']);
  return (
    Object.entries(want.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v) &&
    same(owners(have), owners(want)) &&
    have.addressType === want.addressType &&
    same(endpoints(have), endpoints(want)) &&
    same(ports(have), ports(want))
  );
}
