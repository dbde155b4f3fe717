/**
 * Services (upstream's registry/core/service strategy and REST): status (the load balancer) only through
 * `/status`; on create clusterIP goes into an empty clusterIPs and the status starts empty; on update the
 * allocated values a client left out are carried over (patchAllocatedValues), clusterIP/clusterIPs are kept in
 * step (NormalizeClusterIPs), and fields the new type no longer uses are dropped when the user left them as
 * they were (dropTypeDependentFields), so `ClusterIP -> NodePort -> ClusterIP` allocates and gives back ports.
 * IPs and ports come from the allocators through the begin/finish hooks (services/service-allocation.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { externallyAccessible, type KubeObject, type ResourceInfo, type Service } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';
import { needsClusterIP, needsHealthCheckNodePort, type ServiceAllocation } from '../services/service-allocation.ts';

function isNodePortType(svc: Service): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
}

/** A client that sent only clusterIP (or neither) gets clusterIPs in step with it. */
export function normalizeClusterIPs(svc: Service, old: Service | undefined): void {
  const spec = (svc.spec ??= {});
  if (!old) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const o = old.spec ?? {};
  const sameIPs = isDeepStrictEqual(o.clusterIPs ?? [], spec.clusterIPs ?? []);
  if (o.clusterIPs?.length && !spec.clusterIPs?.length && o.clusterIP === spec.clusterIP) spec.clusterIPs = [...o.clusterIPs];
  if ((o.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (o.clusterIP && !spec.clusterIP) {
      if (sameIPs) delete spec.clusterIPs;
    } else if (sameIPs) {
      spec.clusterIPs = [spec.clusterIP!];
    }
  }
}

/** A PUT that leaves out what the server allocated keeps it (upstream's patchAllocatedValues). */
export function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if (!spec.clusterIPs?.length && o.clusterIPs?.length) spec.clusterIPs = [...o.clusterIPs];
  }
  if (isNodePortType(old) && isNodePortType(svc)) {
    const used = (s: Service) => new Set((s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0));
    const newUsed = used(svc);
    const taken = new Set([...used(old)].filter((p) => newUsed.has(p)));
    const byName = new Map((o.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const was = byName.get(p.name ?? '') ?? 0;
      if (was && !taken.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && !spec.healthCheckNodePort && o.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/** Fields the new type does not use, dropped where the user did not change them (dropTypeDependentFields). */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (isDeepStrictEqual(o.clusterIPs ?? [], spec.clusterIPs ?? [])) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (isDeepStrictEqual(o.ipFamilies ?? [], spec.ipFamilies ?? [])) delete spec.ipFamilies;
    if (o.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (isNodePortType(old) && !isNodePortType(svc)) {
    const nodePorts = (s: Service) => (s.spec?.ports ?? []).map((p) => p.nodePort ?? 0);
    if (isDeepStrictEqual(nodePorts(old), nodePorts(svc))) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && o.healthCheckNodePort === spec.healthCheckNodePort) {
    delete spec.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass === o.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(o) && !externallyAccessible(spec) && o.externalTrafficPolicy === spec.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} };
}

export function serviceStrategy(info: ResourceInfo, allocation: ServiceAllocation): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true });
  const asService = (o: KubeObject) => o as unknown as Service;
  return {
    ...base,
    prepareForCreate(obj) {
      const svc = asService(obj);
      svc.status = { loadBalancer: {} };
      normalizeClusterIPs(svc, undefined);
    },
    prepareForUpdate(obj, old) {
      base.prepareForUpdate(obj, old);
      const svc = asService(obj);
      patchAllocatedValues(svc, asService(old));
      normalizeClusterIPs(svc, asService(old));
      dropTypeDependentFields(svc, asService(old));
    },
    beginCreate: (obj, dryRun) => allocation.beginCreate(asService(obj), dryRun),
    beginUpdate: (obj, old, dryRun) => allocation.beginUpdate(asService(obj), asService(old), dryRun),
    afterDelete: (obj) => allocation.release(asService(obj)),
  };
}
