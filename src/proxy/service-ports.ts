/**
 * What the proxy forwards, as plain data: each port of each proxied Service joined with its endpoints from
 * the Service's EndpointSlices (kube-proxy's ServicePortMap + EndpointsMap, read only from Services and
 * EndpointSlices, never from Endpoints). Pure: the rule generator (nftables-rules.ts) takes this list.
 *
 * Which Services are proxied follows kube-proxy: not ExternalName ones, not headless ones (no cluster IP),
 * not those labelled `service.kubernetes.io/service-proxy-name` (another proxy owns them). Only IPv4 (the
 * table's family is `ip`). An endpoint's port is the slice port with the Service port's name and protocol
 * (the slice controller has already resolved named target ports). Endpoints at one address are counted
 * once, as upstream de-duplicates them across slices.
 */
import type { EndpointSlice, Service } from '../api/index.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** On this node (`nodeName` of the endpoint). */
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** The Service port's name ('' for an unnamed single port). */
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** Set for NodePort and LoadBalancer Services. */
  nodePort?: number;
  /** `spec.externalIPs` and `status.loadBalancer.ingress[].ip`: reached like the node's own addresses. */
  externalIPs: string[];
  /** `sessionAffinity: ClientIP`: how long a client stays pinned to its endpoint. */
  affinityTimeoutSeconds?: number;
  /** `internalTrafficPolicy: Local`. */
  internalLocal: boolean;
  /** `externalTrafficPolicy: Local` (only meaningful with a node port or external IPs). */
  externalLocal: boolean;
  endpoints: ProxyEndpoint[];
}

/** Upstream's default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

function isProxied(svc: Service): boolean {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return false;
  if (svc.metadata?.labels?.[SERVICE_PROXY_NAME_LABEL] !== undefined) return false;
  return isIPv4(spec.clusterIP);
}

function toProtocol(p: string | undefined): Protocol | undefined {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' || v === 'SCTP' ? v : undefined;
}

/** Slices by `namespace/service-name`. */
function slicesByService(slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace ?? ''}/${svc}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

function endpointsFor(slices: EndpointSlice[], portName: string, protocol: Protocol, nodeName: string): ProxyEndpoint[] {
  const byIP = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    const sp = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && toProtocol(p.protocol) === protocol);
    if (sp?.port === undefined || sp.port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!isIPv4(ip) || byIP.has(ip)) continue;
      // Unset conditions mean ready, serving = ready, not terminating (the EndpointSlice API's rules).
      const ready = ep.conditions?.ready ?? true;
      const serving = ep.conditions?.serving ?? ready;
      const terminating = ep.conditions?.terminating ?? false;
      byIP.set(ip, { ip, port: sp.port, local: ep.nodeName === nodeName, ready, serving, terminating });
    }
  }
  return [...byIP.values()].sort((a, b) => compareIP(a.ip, b.ip) || a.port - b.port);
}

function compareIP(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Every proxied Service port with its endpoints, sorted by namespace, name and port name. */
export function servicePorts(services: Service[], slices: EndpointSlice[], nodeName: string): ServicePortInfo[] {
  const bySvc = slicesByService(slices);
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    if (!isProxied(svc)) continue;
    const spec = svc.spec!;
    const namespace = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const mine = bySvc.get(`${namespace}/${name}`) ?? [];
    const externalIPs = [
      ...(spec.externalIPs ?? []),
      ...(svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip) => ip !== undefined),
    ].filter(isIPv4);
    const affinity = spec.sessionAffinity === 'ClientIP'
      ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS
      : undefined;
    const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    for (const p of spec.ports ?? []) {
      const protocol = toProtocol(p.protocol);
      if (!protocol) continue;
      const portName = p.name ?? '';
      out.push({
        namespace, name, portName, protocol, clusterIP: spec.clusterIP!, port: p.port,
        ...(withNodePorts && p.nodePort ? { nodePort: p.nodePort } : {}),
        externalIPs: [...new Set(externalIPs)],
        ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
        internalLocal: spec.internalTrafficPolicy === 'Local',
        externalLocal: spec.externalTrafficPolicy === 'Local',
        endpoints: endpointsFor(mine, portName, protocol, nodeName),
      });
    }
  }
  const key = (s: ServicePortInfo) => `${s.namespace}\u0000${s.name}\u0000${s.portName}\u0000${s.protocol}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The endpoints traffic may go to, as upstream's topology.CategorizeEndpoints: the ready ones; when none is
 * ready, those still serving while terminating (so a rollout's last pods keep answering). `local` narrows
 * to this node's endpoints first (traffic policy Local).
 */
export function usableEndpoints(endpoints: ProxyEndpoint[], local: boolean): ProxyEndpoint[] {
  const candidates = local ? endpoints.filter((e) => e.local) : endpoints;
  const ready = candidates.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return candidates.filter((e) => e.serving && e.terminating);
}
