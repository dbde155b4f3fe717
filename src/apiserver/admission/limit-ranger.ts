/**
 * LimitRanger, as upstream's admission plugin (plugin/pkg/admission/limitranger): the namespace's LimitRanges
 * fill in the `default` limits and `defaultRequest` requests of containers and init containers that lack them
 * (noting what they set in the `kubernetes.io/limit-ranger` annotation), then refuse a Pod or
 * PersistentVolumeClaim outside a range's `min`, `max` or `maxLimitRequestRatio`. Pod updates are left alone:
 * their containers' resources cannot change there.
 */
import { podLimits, podRequests, toResourceList, type Container, type KubeObject, type LimitRange, type LimitRangeItem, type PersistentVolumeClaim, type Pod, type Quantity, type ResourceList } from '../../api/index.ts';
import { forbidden } from '../status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function applies(a: AdmissionAttributes): 'pod' | 'pvc' | undefined {
  if (a.subresource || a.resource.group !== '' || !a.object) return undefined;
  if (a.resource.plural === 'pods') return a.operation === 'CREATE' ? 'pod' : undefined;
  if (a.resource.plural === 'persistentvolumeclaims') return a.operation === 'CREATE' || a.operation === 'UPDATE' ? 'pvc' : undefined;
  return undefined;
}

/** mergeContainerResources: fills what the container lacks; returns the annotation parts. */
function mergeContainer(c: Container, limits: Record<string, string>, requests: Record<string, string>, what: string): string[] {
  const res = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(limits)) {
    if ((res.limits ??= {})[k] === undefined) {
      res.limits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    if ((res.requests ??= {})[k] === undefined) {
      res.requests[k] = v;
      setRequests.push(k);
    }
  }
  if (res.limits && !Object.keys(res.limits).length) delete res.limits;
  if (res.requests && !Object.keys(res.requests).length) delete res.requests;
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
  return out;
}

/** Adds a LimitRange's Container defaults to a pod (mergePodResourceRequirements). */
export function defaultPodResources(pod: Pod, lr: LimitRange): void {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    for (const [k, v] of Object.entries(item.defaultRequest ?? {})) requests[k] = String(v);
    for (const [k, v] of Object.entries(item.default ?? {})) limits[k] = String(v);
  }
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) notes.push(...mergeContainer(c, limits, requests, 'container'));
  for (const c of pod.spec?.initContainers ?? []) notes.push(...mergeContainer(c, limits, requests, 'init container'));
  if (notes.length) {
    const meta = (pod.metadata ??= {});
    (meta.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
  }
}

function minConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!req) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!lim) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request[name];
  const lim = limit[name];
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const observed = Number(lim.nano) / Number(req.nano);
  if (observed * 1e9 > Number(enforced.nano)) return `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checkItem(item: LimitRangeItem, request: ResourceList, limit: ResourceList, errs: string[]): void {
  const type = item.type;
  const sorted = (l: Record<string, string | number> | undefined) => Object.entries(toResourceList(l)).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [k, v] of sorted(item.min)) { const e = minConstraint(type, k, v, request, limit); if (e) errs.push(e); }
  for (const [k, v] of sorted(item.max)) { const e = maxConstraint(type, k, v, request, limit); if (e) errs.push(e); }
  for (const [k, v] of sorted(item.maxLimitRequestRatio)) { const e = ratioConstraint(type, k, v, request, limit); if (e) errs.push(e); }
}

/** PodValidateLimitFunc: each container against Container items, the whole pod against Pod items. */
export function podLimitErrors(pod: Pod, lr: LimitRange): string[] {
  const errs: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        checkItem(item, toResourceList(c.resources?.requests), toResourceList(c.resources?.limits), errs);
      }
    } else if (item.type === 'Pod') {
      // Upstream's limitranger sums the containers alone: the pod's overhead is not the user's to bound.
      const withoutOverhead = { ...pod, spec: pod.spec && { ...pod.spec, overhead: undefined } };
      checkItem(item, podRequests(pod, { excludeOverhead: true }), podLimits(withoutOverhead), errs);
    }
  }
  return errs;
}

/** PersistentVolumeClaimValidateLimitFunc: the claim's requested storage between min and max. */
export function claimLimitErrors(pvc: PersistentVolumeClaim, lr: LimitRange): string[] {
  const errs: string[] = [];
  const requests = toResourceList(pvc.spec?.resources?.requests);
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of Object.entries(toResourceList(item.min)).sort()) { const e = minConstraint(item.type, k, v, requests, {}); if (e) errs.push(e); }
    // The max is held against what the user asked for, which upstream passes as the limit.
    for (const [k, v] of Object.entries(toResourceList(item.max)).sort()) { const e = maxConstraint(item.type, k, v, {}, requests); if (e) errs.push(e); }
  }
  return errs;
}

/** utilerrors.NewAggregate(...).Error(): repeated messages once; one message alone, several in brackets. */
function aggregate(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  readonly #limitRanges: (namespace: string) => KubeObject[];

  /** `limitRanges` lists a namespace's LimitRanges (the API server's watch cache). */
  constructor(limitRanges: (namespace: string) => KubeObject[]) {
    this.#limitRanges = limitRanges;
  }

  #ranges(namespace: string): LimitRange[] {
    return this.#limitRanges(namespace) as unknown as LimitRange[];
  }

  admit(a: AdmissionAttributes): void {
    if (applies(a) !== 'pod') return;
    for (const lr of this.#ranges(a.namespace)) defaultPodResources(a.object as unknown as Pod, lr);
  }

  validate(a: AdmissionAttributes): void {
    const kind = applies(a);
    if (!kind) return;
    const errs: string[] = [];
    for (const lr of this.#ranges(a.namespace)) {
      errs.push(...(kind === 'pod' ? podLimitErrors(a.object as unknown as Pod, lr) : claimLimitErrors(a.object as unknown as PersistentVolumeClaim, lr)));
    }
    if (errs.length) throw forbidden({ group: '', resource: a.resource.plural }, a.name, aggregate(errs));
  }
}
