/**
 * ResourceQuota, as upstream's admission plugin (plugin/pkg/admission/resourcequota): a write that adds usage
 * in a namespace (a pod, a service, a claim, any object a `count/<resource>` tracks) is checked against every
 * quota there whose hard limits and scopes cover it, and refused with upstream's messages when it would go over
 * ("exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2") or when a quota on cpu or memory meets
 * a container that does not state it ("failed quota: q: must specify limits.cpu for: c").
 *
 * The charge is taken here, before the object is stored: each quota's `status.used` is raised with a
 * compare-and-swap on the quota's resourceVersion. Two concurrent creates both read the same usage; only one
 * swap lands, the other reads the quota again and is checked against the new usage, so a quota never overshoots.
 * A write that fails after its charge leaves the usage high until the resource quota controller recounts.
 */
import {
  addLists, evaluatorFor, exceeded, mask, podConstraintsError, prettyPrint, quotaMatches, removeZeros, subtractNonNegative, toResourceList,
  toStringList, type Evaluator, type Pod, type ResourceQuota,
} from '../../api/index.ts';
import { ApiError, forbidden } from '../status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export interface QuotaAccess {
  /** The namespace's quotas; `fresh` reads the store itself (after a lost race), otherwise the watch cache will do. */
  list(namespace: string, fresh: boolean): Promise<ResourceQuota[]>;
  /** Writes `status` with a compare-and-swap on metadata.resourceVersion; false when another write came first. */
  updateStatus(rq: ResourceQuota): Promise<boolean>;
  now(): number;
}

/** How often one request re-reads its quotas after losing a race before it gives up. */
const MAX_RETRIES = 50;

export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  readonly #access: QuotaAccess;

  constructor(access: QuotaAccess) {
    this.#access = access;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.subresource || !a.resource.namespaced || !a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    const ev = evaluatorFor({ group: a.resource.group, plural: a.resource.plural });
    if (!ev || !ev.handles(a.operation)) return;
    const charged = new Set<string>();
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      const quotas = (await this.#access.list(a.namespace, attempt > 0)).filter((q) => !charged.has(q.metadata?.name ?? ''));
      const updates = this.#check(a, ev, quotas);
      if (a.dryRun) return;
      let lost = false;
      for (const rq of updates) {
        if (await this.#access.updateStatus(rq)) charged.add(rq.metadata?.name ?? '');
        else lost = true;
      }
      if (!lost) return;
    }
    throw new ApiError(500, 'InternalError', `Internal error occurred: resource quota evaluation timed out`);
  }

  /** checkRequest: the quotas with their new usage, or a Forbidden error. */
  #check(a: AdmissionAttributes, ev: Evaluator, quotas: ResourceQuota[]): ResourceQuota[] {
    const obj = a.object!;
    const refuse = (why: string) => forbidden({ group: a.resource.group, resource: a.resource.plural }, a.name, why);
    const interesting = quotas.filter((rq) => quotaMatches(ev, rq, obj)).sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1));
    if (!interesting.length) return [];
    for (const rq of interesting) {
      const name = rq.metadata?.name ?? '';
      const restricted = ev.matchingResources(Object.keys(rq.status?.hard ?? {}));
      if (a.resource.group === '' && a.resource.plural === 'pods') {
        const err = podConstraintsError(restricted, obj as unknown as Pod);
        if (err) throw refuse(`failed quota: ${name}: ${err}`);
      }
      const used = rq.status?.used ?? {};
      const missing = restricted.filter((r) => used[r] === undefined);
      if (missing.length) throw refuse(`status unknown for quota: ${name}, resources: ${missing.sort().join(',')}`);
    }
    let delta = ev.usage(obj, this.#access.now());
    if (a.operation === 'UPDATE' && a.oldObject) delta = subtractNonNegative(delta, ev.usage(a.oldObject, this.#access.now()));
    delta = removeZeros(delta);
    if (!Object.keys(delta).length) return [];
    const out: ResourceQuota[] = [];
    for (const rq of interesting) {
      const hard = toResourceList(rq.status?.hard);
      const used = toResourceList(rq.status?.used);
      const requested = mask(delta, Object.keys(hard));
      if (!Object.keys(requested).length) continue;
      const newUsage = addLists(used, requested);
      const over = exceeded(mask(newUsage, Object.keys(requested)), hard);
      if (over.length) {
        throw refuse(`exceeded quota: ${rq.metadata?.name ?? ''}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`);
      }
      out.push({ ...rq, status: { ...rq.status, used: toStringList(newUsage) } });
    }
    return out;
  }
}
