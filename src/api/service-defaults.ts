/**
 * Defaults of Services, Endpoints and EndpointSlices, as pkg/apis/core/v1/defaults.go (SetDefaults_Service,
 * SetDefaults_Endpoints) and pkg/apis/discovery/v1/defaults.go fill them in. The fields the real server sets
 * while allocating (clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy, nodePorts) are not defaults: the
 * apiserver's service allocator fills them, on create and on type changes only.
 */
import type { EndpointSlice, Endpoints, Service, ServiceSpec } from './types.ts';

/** v1.DefaultClientIPServiceAffinitySeconds: 3 hours. */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

/** ExternallyAccessible: NodePort and LoadBalancer Services, and ClusterIP ones with externalIPs. */
export function externallyAccessible(spec: ServiceSpec | undefined): boolean {
  const t = spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer' || (t === 'ClusterIP' && (spec?.externalIPs?.length ?? 0) > 0);
}

export function defaultService(svc: Service): Service {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer')) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
  }
  return svc;
}

export function defaultEndpoints(ep: Endpoints): Endpoints {
  for (const s of ep.subsets ?? []) for (const p of s.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  return ep;
}

export function defaultEndpointSlice(slice: EndpointSlice): EndpointSlice {
  for (const p of slice.ports ?? []) {
    if (p.name === undefined) p.name = '';
    if (!p.protocol) p.protocol = 'TCP';
  }
  return slice;
}
