/**
 * What the EndpointSlice and Endpoints controllers both ask of a pod and a Service, as upstream's
 * `pkg/api/v1/pod`, `pkg/controller/util/endpoint` and `staging/src/k8s.io/endpointslice/util` answer it:
 * is the pod Ready, may it appear in endpoints at all, which port number a Service port's `targetPort`
 * names on this pod, which hostname it publishes. Pure functions of the objects.
 */
import type { Container, Pod, Service, ServicePort } from '../../api/index.ts';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
export const ANNOTATION_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

/** The pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Whether a pod may appear in endpoints (endpointsliceutil.ShouldPodBeInEndpoints): not terminal, has an IP,
 * and, unless `includeTerminating`, is not being deleted. The slice controller passes true (terminating
 * pods stay, with ready=false); the Endpoints controller passes the Service's publishNotReadyAddresses.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (first of podIPs, else podIP), or undefined. */
export function podIPv4(pod: Pod): string | undefined {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => ip && !ip.includes(':'));
}

/** The pod publishes `spec.hostname` for this Service (endpointsliceutil.ShouldSetHostname). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/** A Service has a cluster IP (helper.IsServiceIPSet): not headless and not empty. */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * The port number a Service port reaches on this pod (podutil.FindPort): a numeric targetPort as is (the
 * Service's `port` when unset), a named one looked up among the containers' ports with the same protocol.
 * Undefined when the name is not found.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  // Regular containers, then sidecars (init containers that keep running).
  const containers: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/**
 * The Service's selector as the controllers use it: undefined for a Service without one (its endpoints are
 * the user's). An empty map counts as none, as it does once the API server has stored it (omitempty).
 */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** The Service's selector (a plain label map) selects this pod. */
export function selectsPod(selector: Record<string, string>, pod: Pod): boolean {
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
