/**
 * The EndpointSlice reconciler's decision, pure (upstream's staging/src/k8s.io/endpointslice reconciler):
 * given a Service, the pods its selector picks, the nodes and the slices this controller already has for it,
 * which slices to create, update and delete. Nothing is written when nothing changed.
 *
 *   pods ─▶ desired endpoints, grouped by their resolved port list (a named targetPort may resolve to
 *           different numbers on different pods: those pods land in different slices)
 *   for each port group:
 *     1. existing slices keep the desired endpoints they hold (updated in place if the endpoint changed),
 *        drop the others; a slice that changed is updated, one left empty is deleted
 *     2. the endpoints not placed yet go into slices being updated anyway, while they have room
 *     3. then into the unchanged slice that ends closest to full, if one can take all of them; else new
 *        slices of at most maxEndpointsPerSlice
 *   a Service with no endpoints keeps one empty placeholder slice; creates reuse the names of slices that
 *   would be deleted (an update instead of a delete plus a create).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, EndpointSlice, EndpointSlicePort, Node, OwnerReference, Pod, Service } from '../../api/index.ts';
import {
  ANNOTATION_TRIGGER_TIME, findPort, isPodReady, isServiceIPSet, LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME,
  LABEL_TOPOLOGY_ZONE, podIPv4, shouldPodBeInEndpoints, shouldSetHostname,
} from '../endpoint-util/index.ts';

/** The value of `endpointslice.kubernetes.io/managed-by` on this controller's slices. */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** kube-controller-manager's --max-endpoints-per-slice default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

export interface SliceReconcileInput {
  service: Service;
  /** The pods the Service's selector picks, in its namespace. */
  pods: Pod[];
  /** Nodes by name (for zones; a pod on an unknown node is left out until the node is known). */
  nodes: ReadonlyMap<string, Node>;
  /** The slices this controller manages for this Service (owned by it). */
  existing: EndpointSlice[];
  maxEndpointsPerSlice?: number;
  /** `endpoints.kubernetes.io/last-change-trigger-time` for slices written now (dropped when undefined). */
  triggerTime?: string;
}

export interface SlicePlan {
  create: EndpointSlice[];
  /** Full objects to PUT (names of existing slices; resourceVersion dropped). */
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Pods left out because their node is not known yet: reconcile again later. */
  podsOnUnknownNodes: string[];
}

export function ownerReferenceFor(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata!.name!, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** The labels this controller's slices of `svc` carry (setEndpointSliceLabels). */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  labels[LABEL_SERVICE_NAME] = svc.metadata!.name!;
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  return labels;
}

/** The endpoint of one pod (podToEndpoint): conditions as upstream sets them. */
export function podToEndpoint(pod: Pod, ip: string, node: Node | undefined, svc: Service): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never ready, unless the Service publishes not-ready addresses.
  const ready = (svc.spec?.publishNotReadyAddresses ?? false) || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  return ep;
}

/** The slice ports of `svc` on `pod` (getEndpointPorts): service ports whose targetPort resolves on it. */
export function endpointPorts(svc: Service, pod: Pod): EndpointSlicePort[] {
  const ports: EndpointSlicePort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointSlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    ports.push(p);
  }
  return ports;
}

const portsKey = (ports: EndpointSlicePort[] | undefined): string =>
  JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());

const endpointKey = (ep: Endpoint): string => `${ep.addresses[0]}/${ep.targetRef?.uid ?? ''}`;

interface Group {
  ports: EndpointSlicePort[];
  desired: Map<string, Endpoint>;
  existing: EndpointSlice[];
}

/** The desired endpoints of `svc`, grouped by port list (exported for tests). */
export function desiredEndpoints(svc: Service, pods: Pod[], nodes: ReadonlyMap<string, Node>): { groups: Map<string, { ports: EndpointSlicePort[]; endpoints: Endpoint[] }>; podsOnUnknownNodes: string[] } {
  const groups = new Map<string, { ports: EndpointSlicePort[]; endpoints: Endpoint[] }>();
  const podsOnUnknownNodes: string[] = [];
  const sorted = [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const node = nodes.get(pod.spec?.nodeName ?? '');
    if (!node) {
      podsOnUnknownNodes.push(pod.metadata?.name ?? '');
      continue;
    }
    const ports = endpointPorts(svc, pod);
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podToEndpoint(pod, ip, node, svc));
  }
  return { groups, podsOnUnknownNodes };
}

function newSlice(svc: Service, ports: EndpointSlicePort[], labels: Record<string, string>): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata!.name}-`,
      namespace: svc.metadata!.namespace,
      labels: { ...labels },
      ownerReferences: [ownerReferenceFor(svc)],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports,
  };
}

/** A copy of an existing slice to modify and PUT (no resourceVersion: the controller owns these slices). */
function copyForUpdate(slice: EndpointSlice, labels: Record<string, string>): EndpointSlice {
  const copy = structuredClone(slice);
  copy.metadata = { ...copy.metadata, labels: { ...labels } };
  delete copy.metadata.resourceVersion;
  delete copy.metadata.managedFields;
  copy.endpoints ??= [];
  return copy;
}

function setTriggerTime(slice: EndpointSlice, triggerTime: string | undefined): void {
  const annotations = { ...(slice.metadata?.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_TRIGGER_TIME] = triggerTime;
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  slice.metadata!.annotations = annotations;
  if (Object.keys(annotations).length === 0) delete slice.metadata!.annotations;
}

export function reconcileSlices(input: SliceReconcileInput): SlicePlan {
  const { service: svc, existing } = input;
  const max = input.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  const labels = sliceLabels(svc);
  const { groups: desiredGroups, podsOnUnknownNodes } = desiredEndpoints(svc, input.pods, input.nodes);

  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];

  const groups = new Map<string, Group>();
  for (const [key, g] of desiredGroups) groups.set(key, { ports: g.ports, desired: new Map(g.endpoints.map((e) => [endpointKey(e), e])), existing: [] });
  for (const slice of existing) {
    // This controller writes IPv4 slices only; others of its own are leftovers.
    if (slice.addressType !== 'IPv4') {
      del.push(slice);
      continue;
    }
    const key = portsKey(slice.ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: slice.ports ?? [], desired: new Map(), existing: [] }));
    g.existing.push(slice);
  }

  for (const g of groups.values()) {
    const unchanged: EndpointSlice[] = [];
    const updating: EndpointSlice[] = [];
    const placed = new Set<string>();
    // 1. Keep what existing slices hold of the desired endpoints.
    for (const slice of g.existing) {
      let changed = !isDeepStrictEqual(slice.metadata?.labels ?? {}, labels);
      const kept: Endpoint[] = [];
      for (const ep of slice.endpoints ?? []) {
        const key = endpointKey(ep);
        const want = g.desired.get(key);
        if (!want || placed.has(key)) {
          changed = true;
          continue;
        }
        placed.add(key);
        if (!isDeepStrictEqual(ep, want)) changed = true;
        kept.push(want);
      }
      if (kept.length === 0) del.push(slice);
      else if (changed) {
        const next = copyForUpdate(slice, labels);
        next.endpoints = kept;
        updating.push(next);
      } else unchanged.push(slice);
    }
    const remaining = [...g.desired.entries()].filter(([k]) => !placed.has(k)).map(([, e]) => e);
    // 2. Fill slices that are written anyway.
    for (const slice of updating) {
      const eps = (slice.endpoints ??= []);
      while (remaining.length > 0 && eps.length < max) eps.push(remaining.shift()!);
    }
    update.push(...updating);
    // 3. One unchanged slice that can take them all, else new slices.
    while (remaining.length > 0) {
      let fill: EndpointSlice | undefined;
      if (remaining.length < max) {
        const candidates = unchanged.filter((s) => (s.endpoints?.length ?? 0) + remaining.length <= max);
        candidates.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
        const best = candidates[0];
        if (best) {
          unchanged.splice(unchanged.indexOf(best), 1);
          fill = copyForUpdate(best, labels);
          update.push(fill);
        }
      }
      if (!fill) {
        fill = newSlice(svc, g.ports, labels);
        create.push(fill);
      }
      const eps = (fill.endpoints ??= []);
      while (remaining.length > 0 && eps.length < max) eps.push(remaining.shift()!);
    }
  }

  // No endpoints at all: one empty placeholder slice (kept as is when it is there already).
  const ipv4Existing = existing.filter((s) => s.addressType === 'IPv4');
  if (create.length === 0 && update.length === 0 && ipv4Existing.length === del.filter((s) => s.addressType === 'IPv4').length) {
    const placeholder = newSlice(svc, [], labels);
    const reusable = del.findIndex((s) => s.addressType === 'IPv4' && (s.endpoints?.length ?? 0) === 0 && (s.ports?.length ?? 0) === 0);
    if (reusable >= 0) {
      const [old] = del.splice(reusable, 1);
      if (!isDeepStrictEqual(old!.metadata?.labels ?? {}, labels)) update.push({ ...copyForUpdate(old!, labels), ports: [], endpoints: [] });
    } else create.push(placeholder);
  }

  // Reuse the names of slices about to be deleted for slices about to be created.
  for (let i = 0; i < del.length && create.length > 0; ) {
    const old = del[i]!;
    if (old.addressType !== 'IPv4') {
      i++;
      continue;
    }
    const slice = create.pop()!;
    slice.metadata = { ...slice.metadata, name: old.metadata!.name };
    delete slice.metadata.generateName;
    update.push(slice);
    del.splice(i, 1);
  }

  for (const s of [...create, ...update]) setTriggerTime(s, input.triggerTime);
  return { create, update, delete: del, podsOnUnknownNodes };
}
