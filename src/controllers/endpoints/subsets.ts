/**
 * The v1 Endpoints of a Service, pure (upstream's pkg/controller/endpoint syncService and
 * pkg/api/v1/endpoints RepackSubsets): one address per selected pod with an IP, `addresses` when the pod is
 * Ready (or the Service publishes not-ready addresses), `notReadyAddresses` otherwise; terminating pods are
 * left out unless publishNotReadyAddresses. Then the subsets are repacked into canonical form: addresses
 * that offer the same set of ports share one subset; an address not ready for some port is not ready there.
 * Ordering: addresses by IP (then pod uid), ports by name, port and protocol, subsets by their first
 * address. Upstream orders ports and subsets by a hash of their Go printing; any fixed order serves the
 * same purpose (an unchanged set of endpoints compares equal), ours is readable.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from '../../api/index.ts';
import { findPort, isPodReady, podIPv4, shouldPodBeInEndpoints, shouldSetHostname } from '../endpoint-util/index.ts';

/** Addresses an Endpoints object holds at most; more are truncated (kube-controller-manager's maxCapacity). */
export const MAX_ENDPOINTS_CAPACITY = 1000;

function podToAddress(pod: Pod, ip: string, svc: Service): EndpointAddress {
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
  addr.nodeName = pod.spec?.nodeName;
  if (!addr.nodeName) delete addr.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! };
  return addr;
}

/** The subsets of the Endpoints of `svc` given the pods its selector picks, repacked and sorted. */
export function desiredSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses ?? false;
  const subsets: EndpointSubset[] = [];
  const add = (pod: Pod, addr: EndpointAddress, port: EndpointPort | undefined) => {
    const ports = port ? [port] : [];
    if (tolerateUnready || isPodReady(pod)) subsets.push({ addresses: [addr], ports });
    else subsets.push({ notReadyAddresses: [addr], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const addr = podToAddress(pod, ip, svc);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      // A headless Service may have no ports.
      if (svc.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name, port, protocol: sp.protocol ?? 'TCP' };
      if (!sp.name) delete ep.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add(pod, addr, ep);
    }
  }
  return repackSubsets(subsets);
}

const addressKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
const NO_PORT = '-';

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  const ip = compareIPs(a.ip, b.ip);
  return ip !== 0 ? ip : (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4 && pa.every(Number.isFinite) && pb.every(Number.isFinite)) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? '');
}

/**
 * Canonical subsets (RepackSubsets): for each port, the addresses that offer it (not ready wins over
 * ready); then the addresses sets that are equal share one subset with all their ports.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  // port key → address key → ready
  const byPort = new Map<string, Map<string, boolean>>();
  const note = (addr: EndpointAddress, pk: string, ready: boolean) => {
    const ak = addressKey(addr);
    if (!allAddrs.has(ak)) allAddrs.set(ak, addr);
    let set = byPort.get(pk);
    if (!set) byPort.set(pk, (set = new Map()));
    const was = set.get(ak);
    if (was === undefined || was) set.set(ak, ready);
  };
  for (const ss of subsets) {
    const list = ss.ports?.length ? ss.ports.map((p) => [portKey(p), p] as const) : [[NO_PORT, undefined] as const];
    for (const [pk, p] of list) {
      if (!ports.has(pk)) ports.set(pk, p);
      for (const a of ss.addresses ?? []) note(a, pk, true);
      for (const a of ss.notReadyAddresses ?? []) note(a, pk, false);
    }
  }
  // Group ports by identical address sets (with readiness).
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, set] of byPort) {
    const key = JSON.stringify([...set.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set, ports: [] }));
    const p = ports.get(pk);
    if (p) g.ports.push(p);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.set) (r ? ready : notReady).push(allAddrs.get(ak)!);
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready.sort(compareAddresses);
    if (notReady.length) ss.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length) ss.ports = g.ports.sort(comparePorts);
    out.push(ss);
  }
  const first = (ss: EndpointSubset) => ss.addresses?.[0] ?? ss.notReadyAddresses?.[0];
  return out.sort((a, b) => {
    const fa = first(a);
    const fb = first(b);
    return (fa && fb ? compareAddresses(fa, fb) : 0) || JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? []));
  });
}

/**
 * Cuts subsets down to `max` addresses (truncateEndpoints): ready addresses first, each subset keeping its
 * share (rounded up). Returns whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const ss of subsets) {
    totalReady += ss.addresses?.length ?? 0;
    totalNotReady += ss.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let canAdd = room;
  for (const ss of subsets) {
    const n = (truncateReady ? ss.addresses?.length : ss.notReadyAddresses?.length) ?? 0;
    const take = Math.min(Math.ceil((n / total) * room), canAdd);
    if (truncateReady) {
      ss.addresses = (ss.addresses ?? []).slice(0, take);
      delete ss.notReadyAddresses;
      canAdd -= ss.addresses.length;
    } else {
      ss.notReadyAddresses = (ss.notReadyAddresses ?? []).slice(0, take);
      canAdd -= ss.notReadyAddresses.length;
    }
  }
  return true;
}
