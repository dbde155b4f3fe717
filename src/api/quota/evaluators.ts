/**
 * What an object costs against a quota (pkg/quota/v1/evaluator/core and generic): pods charge their count and
 * compute requests and limits while they are not terminal, services their count, load balancers and node ports,
 * claims their count and storage (also per storage class), and every other resource its `count/<resource>`
 * (plus the legacy name for configmaps, secrets, replicationcontrollers and resourcequotas). One evaluator per
 * resource says which quota names it tracks, whether a quota's scopes match an object, and its usage.
 */
import type { KubeObject, PersistentVolumeClaim, Pod, ResourceQuota, Service } from '../types.ts';
import { Quantity } from '../quantity.ts';
import { podLimits, podRequests } from '../resource-helpers.ts';
import { podMatchesScope, quotaScopeRequirements } from './scopes.ts';
import { addLists, toResourceList, type ResourceList } from './resource-list.ts';

export interface QuotaResource {
  group: string;
  plural: string;
}

export interface Evaluator {
  /** Whether the request counts (upstream's Handles): the operations that change this resource's usage. */
  handles(operation: string): boolean;
  /** The quota resource names (of `names`) this evaluator charges. */
  matchingResources(names: string[]): string[];
  /** Whether a quota's scopes select `obj` (no scopes select everything). */
  matchesScopes(rq: ResourceQuota, obj: KubeObject): boolean;
  usage(obj: KubeObject, now: number): ResourceList;
}

const ONE = () => Quantity.fromValue(1);

/** `count/pods`, `count/deployments.apps`: the generic object-count name of a resource. */
export function objectCountName(r: QuotaResource): string {
  return r.group ? `count/${r.plural}.${r.group}` : `count/${r.plural}`;
}

/** Object counts that predate `count/`: upstream's legacy names. */
const LEGACY_COUNTS = new Set(['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas']);

const POD_RESOURCES = new Set(['count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods']);
const NATIVE_PREFIXES = ['kubernetes.io/', 'requests.kubernetes.io/'];

function isExtendedRequestName(name: string): boolean {
  if (!name.startsWith('requests.')) return false;
  const rest = name.slice('requests.'.length);
  return rest.includes('/') && !NATIVE_PREFIXES.some((p) => rest.startsWith(p));
}

/** QuotaV1Pod: terminal pods, and pods past their deletion grace period, no longer charge compute. */
export function podCountsForQuota(pod: Pod, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const ts = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (ts && grace !== undefined && now > Date.parse(ts) + grace * 1000) return false;
  return true;
}

/** podComputeUsageHelper: what one container's (or the pod's) requests and limits charge. */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE() };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) {
      out[r] = requests[r];
      out[`requests.${r}`] = requests[r];
    }
    if (limits[r]) out[`limits.${r}`] = limits[r];
  }
  for (const [r, q] of Object.entries(requests)) {
    if (r.startsWith('hugepages-')) {
      out[r] = q;
      out[`requests.${r}`] = q;
    } else if (r.includes('/') && !r.startsWith('kubernetes.io/')) {
      out[`requests.${r}`] = q;
    }
  }
  return out;
}

const podEvaluator: Evaluator = {
  handles: (op) => op === 'CREATE',
  matchingResources: (names) => names.filter((n) => POD_RESOURCES.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || isExtendedRequestName(n)),
  matchesScopes: (rq, obj) => quotaScopeRequirements(rq).every((req) => podMatchesScope(req, obj as unknown as Pod)),
  usage(obj, now) {
    const pod = obj as unknown as Pod;
    const out: ResourceList = { 'count/pods': ONE() };
    if (!podCountsForQuota(pod, now)) return out;
    return addLists(out, computeUsage(podRequests(pod), podLimits(pod)));
  },
};

/** Scoped quotas limit pods only: they never match other objects (MatchesNoScopeFunc). */
const noScopes = (rq: ResourceQuota) => quotaScopeRequirements(rq).length === 0;

const serviceEvaluator: Evaluator = {
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (names) => names.filter((n) => ['services', 'count/services', 'services.loadbalancers', 'services.nodeports'].includes(n)),
  matchesScopes: noScopes,
  usage(obj) {
    const svc = obj as unknown as Service;
    const out: ResourceList = { services: ONE(), 'count/services': ONE() };
    const ports = svc.spec?.ports ?? [];
    if (svc.spec?.type === 'NodePort') out['services.nodeports'] = Quantity.fromValue(ports.length);
    if (svc.spec?.type === 'LoadBalancer') {
      out['services.loadbalancers'] = ONE();
      const nodePorts = svc.spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length;
      out['services.nodeports'] = Quantity.fromValue(nodePorts);
    }
    return out;
  },
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

const claimEvaluator: Evaluator = {
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (names) => names.filter((n) => ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'].includes(n) ||
    n.endsWith(`${STORAGE_CLASS_SUFFIX}requests.storage`) || n.endsWith(`${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`)),
  matchesScopes: noScopes,
  usage(obj) {
    const pvc = obj as unknown as PersistentVolumeClaim;
    const out: ResourceList = { persistentvolumeclaims: ONE(), 'count/persistentvolumeclaims': ONE() };
    const cls = claimClass(pvc);
    if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE();
    const storage = toResourceList(pvc.spec?.resources?.requests).storage;
    if (storage) {
      out['requests.storage'] = storage;
      if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
};

function objectCountEvaluator(r: QuotaResource): Evaluator {
  const names = [objectCountName(r), ...(r.group === '' && LEGACY_COUNTS.has(r.plural) ? [r.plural] : [])];
  return {
    handles: (op) => op === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    matchesScopes: noScopes,
    usage: () => Object.fromEntries(names.map((n) => [n, ONE()])),
  };
}

/** Resources quota never charges (upstream's ignored resources: reviews and events). */
const IGNORED = new Set(['/events', 'events.k8s.io/events', 'authentication.k8s.io/tokenreviews', 'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/localsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews', '/bindings']);

export function evaluatorFor(r: QuotaResource): Evaluator | undefined {
  if (IGNORED.has(`${r.group}/${r.plural}`)) return undefined;
  if (r.group === '') {
    if (r.plural === 'pods') return podEvaluator;
    if (r.plural === 'services') return serviceEvaluator;
    if (r.plural === 'persistentvolumeclaims') return claimEvaluator;
  }
  return objectCountEvaluator(r);
}

/** generic.Matches: the quota limits something this evaluator charges, and its scopes select the object. */
export function quotaMatches(ev: Evaluator, rq: ResourceQuota, obj: KubeObject): boolean {
  return ev.matchingResources(Object.keys(rq.status?.hard ?? {})).length > 0 && ev.matchesScopes(rq, obj);
}

const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/**
 * podEvaluator.Constraints: when a quota limits cpu or memory, every container must state that request or
 * limit ("must specify limits.cpu for: a,b; requests.memory for: a"). Undefined when the pod is fine.
 */
export function podConstraintsError(required: string[], pod: Pod): string | undefined {
  const req = required.filter((r) => VALIDATION_SET.has(r));
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const has = computeUsage(toResourceList(c.resources?.requests), toResourceList(c.resources?.limits));
    for (const r of req) {
      if (has[r]) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(c.name);
    }
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** The resources whose objects a quota's hard names charge (`count/deployments.apps` → apps/deployments). */
export function quotaResourcesFor(names: string[]): QuotaResource[] {
  const out = new Map<string, QuotaResource>();
  const add = (group: string, plural: string) => out.set(`${group}/${plural}`, { group, plural });
  for (const n of names) {
    if (n.startsWith('count/')) {
      const rest = n.slice('count/'.length);
      const dot = rest.indexOf('.');
      add(dot < 0 ? '' : rest.slice(dot + 1), dot < 0 ? rest : rest.slice(0, dot));
    } else if (LEGACY_COUNTS.has(n)) add('', n);
  }
  for (const [r, ev] of [['pods', podEvaluator], ['services', serviceEvaluator], ['persistentvolumeclaims', claimEvaluator]] as const) {
    if (ev.matchingResources(names).length) add('', r);
  }
  return [...out.values()];
}

/**
 * CalculateUsage: what the objects of a namespace use of each of the quota's hard names (0 for those nothing
 * uses). `list` gives the namespace's objects of a resource.
 */
export function calculateUsage(rq: ResourceQuota, list: (r: QuotaResource) => KubeObject[], now: number): ResourceList {
  const names = Object.keys(rq.spec?.hard ?? {});
  let used: ResourceList = {};
  for (const r of quotaResourcesFor(names)) {
    const ev = evaluatorFor(r);
    if (!ev) continue;
    const matched = ev.matchingResources(names);
    const sum: ResourceList = Object.fromEntries(matched.map((n) => [n, new Quantity(0n)]));
    for (const obj of list(r)) {
      if (!ev.matchesScopes(rq, obj)) continue;
      const u = ev.usage(obj, now);
      for (const n of matched) if (u[n]) sum[n] = sum[n]!.isZero() ? u[n] : sum[n]!.add(u[n]);
    }
    used = addLists(used, sum);
  }
  return used;
}
