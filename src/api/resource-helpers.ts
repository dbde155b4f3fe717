/**
 * Resource arithmetic on pods: the effective requests the scheduler and kubelet admission charge a
 * pod with (component-helpers/resource PodRequests: sum of containers, the init-container maximum
 * with native sidecars accumulated, plus overhead) and the pod's QoS class (ComputePodQOS).
 */
import type { Container, Pod, PodQOSClass } from './types.ts';
import { Quantity, tryParseQuantity } from './quantity.ts';

export type ResourceQuantities = Record<string, Quantity>;

export interface PodRequestsOptions {
  /** Values used for containers that request nothing for a resource (the scheduler's scoring uses cpu 100m, memory 200Mi). */
  nonMissingContainerRequests?: Record<string, string | number>;
  /** Leave spec.overhead out. */
  excludeOverhead?: boolean;
}

function toQuantities(list: Record<string, string | number> | undefined): ResourceQuantities {
  const out: ResourceQuantities = {};
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

function add(into: ResourceQuantities, from: ResourceQuantities): void {
  for (const [k, v] of Object.entries(from)) into[k] = into[k] ? into[k].add(v) : v;
}

function max(into: ResourceQuantities, from: ResourceQuantities): void {
  for (const [k, v] of Object.entries(from)) if (!into[k] || v.cmp(into[k]) > 0) into[k] = v;
}

function containerRequests(c: Container, opts: PodRequestsOptions): ResourceQuantities {
  const reqs = toQuantities(c.resources?.requests);
  for (const [k, v] of Object.entries(opts.nonMissingContainerRequests ?? {})) {
    if (!reqs[k]) reqs[k] = tryParseQuantity(v)!;
  }
  return reqs;
}

/** The pod's effective resource requests (what a node must have free to run it). */
export function podRequests(pod: Pod, opts: PodRequestsOptions = {}): ResourceQuantities {
  const reqs: ResourceQuantities = {};
  for (const c of pod.spec?.containers ?? []) add(reqs, containerRequests(c, opts));
  // Init container i needs its own requests plus every sidecar started before it; sidecars keep running.
  const sidecars: ResourceQuantities = {};
  const initMax: ResourceQuantities = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerRequests(c, opts);
    let use: ResourceQuantities;
    if (c.restartPolicy === 'Always') {
      add(reqs, own);
      add(sidecars, own);
      use = { ...sidecars };
    } else {
      use = { ...own };
      add(use, sidecars);
    }
    max(initMax, use);
  }
  max(reqs, initMax);
  if (!opts.excludeOverhead) add(reqs, toQuantities(pod.spec?.overhead));
  return reqs;
}

/** The pod's limits, computed the same way as requests (containers summed, init maximum, overhead). */
export function podLimits(pod: Pod): ResourceQuantities {
  const asRequests = (c: Container): Container => ({ ...c, resources: { requests: c.resources?.limits } });
  const spec = pod.spec;
  if (!spec) return {};
  return podRequests({ ...pod, spec: { ...spec, containers: spec.containers.map(asRequests), initContainers: spec.initContainers?.map(asRequests) } });
}

const QOS_RESOURCES = ['cpu', 'memory'];

/** ComputePodQOS: Guaranteed, Burstable or BestEffort, from containers and init containers. */
export function podQOSClass(pod: Pod): PodQOSClass {
  const requests: ResourceQuantities = {};
  const limits: ResourceQuantities = {};
  let guaranteed = true;
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const [name, q] of Object.entries(toQuantities(c.resources?.requests))) {
      if (QOS_RESOURCES.includes(name) && q.nano > 0n) requests[name] = requests[name] ? requests[name].add(q) : q;
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(toQuantities(c.resources?.limits))) {
      if (QOS_RESOURCES.includes(name) && q.nano > 0n) {
        found.add(name);
        limits[name] = limits[name] ? limits[name].add(q) : q;
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of Object.entries(requests)) {
      if (!limits[name] || limits[name].cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && Object.keys(requests).length === Object.keys(limits).length ? 'Guaranteed' : 'Burstable';
}

export { Quantity };
