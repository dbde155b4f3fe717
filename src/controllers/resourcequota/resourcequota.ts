/**
 * The resource quota controller (kube-controller-manager's resourcequota): keeps each ResourceQuota's
 * `status.hard` equal to its `spec.hard` and `status.used` equal to what the namespace's objects use, counted
 * as the admission plugin charges them (api/quota). Admission raises `used` as objects arrive; this controller
 * gives usage back (replenishment) when a pod, service or claim goes or a pod reaches a terminal phase, counts a
 * new or changed quota at once, and recounts every quota each resync period (upstream's
 * --resource-quota-sync-period, 5 minutes) so drift from writes that failed after their charge is repaired.
 *
 * Pods, services and claims are read from informers; objects that only `count/<resource>` tracks are listed
 * from the API when their quota is synced. The status write is a compare-and-swap on the quota's
 * resourceVersion: if admission charged the quota meanwhile, the write fails and the quota is counted again.
 */
import {
  calculateUsage, findResource, RESOURCES, sameLists, toResourceList, toStringList, type KubeObject, type PersistentVolumeClaim, type Pod,
  type QuotaResource, type ResourceQuota, type Service,
} from '../../api/index.ts';
import { Informer, informerOf, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface ResourceQuotaControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
  /** --resource-quota-sync-period: how often every quota is recounted (default 5 minutes). */
  resyncPeriodMs?: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

export class ResourceQuotaController {
  readonly quotas: Informer<ResourceQuota>;
  readonly pods: Informer<Pod>;
  readonly services: Informer<Service>;
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #resyncMs: number;

  constructor(config: ResourceQuotaControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('resourcequota-controller');
    this.#resyncMs = config.resyncPeriodMs ?? 300_000;
    const opts = { clock: this.#clock, logger: this.#log };
    this.quotas = informerOf(config.informers, config.client.resource<ResourceQuota>('resourcequotas'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.services = informerOf(config.informers, config.client.resource<Service>('services'), opts);
    this.claims = informerOf(config.informers, config.client.resource<PersistentVolumeClaim>('persistentvolumeclaims'), opts);
    this.controller = new Controller({
      name: 'resourcequota-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.quotas, this.pods, this.services, this.claims] as Informer<KubeObjectLike>[],
      clock: this.#clock,
      logger: this.#log,
    });
    const needsSync = (rq: ResourceQuota) => !sameLists(toResourceList(rq.spec?.hard), toResourceList(rq.status?.hard));
    this.quotas.onAdd((rq) => this.controller.enqueue(objectKey(rq)));
    this.quotas.onUpdate((old, rq) => {
      // Admission's own charges change only status.used; a new spec (or a status someone else reset) is recounted.
      if (needsSync(rq) || !sameLists(toResourceList(old.spec?.hard), toResourceList(rq.spec?.hard))) this.controller.enqueue(objectKey(rq));
    });
    const replenish = (obj: KubeObjectLike) => this.#enqueueNamespace(obj.metadata?.namespace ?? '');
    this.pods.onDelete(replenish).onUpdate((old, pod) => {
      const becameTerminal = !TERMINAL.has(old.status?.phase ?? '') && TERMINAL.has(pod.status?.phase ?? '');
      if (becameTerminal || (!old.metadata?.deletionTimestamp && pod.metadata?.deletionTimestamp)) replenish(pod);
    });
    this.services.onDelete(replenish).onUpdate((old, svc) => { if (old.spec?.type !== svc.spec?.type) replenish(svc); });
    this.claims.onDelete(replenish).onUpdate((old, pvc) => {
      if (JSON.stringify(old.spec?.resources?.requests) !== JSON.stringify(pvc.spec?.resources?.requests)) replenish(pvc);
    });
  }

  #enqueueNamespace(ns: string): void {
    for (const rq of this.quotas.list()) if (rq.metadata?.namespace === ns) this.controller.enqueue(objectKey(rq));
  }

  async run(signal: AbortSignal): Promise<void> {
    const resync = (async () => {
      await Promise.all([this.quotas.synced, this.pods.synced, this.services.synced, this.claims.synced]).catch(() => {});
      while (!signal.aborted) {
        await this.#clock.sleep(this.#resyncMs, signal).catch(() => {});
        if (!signal.aborted) for (const rq of this.quotas.list()) this.controller.enqueue(objectKey(rq));
      }
    })();
    try {
      await this.controller.run(signal);
    } finally {
      await resync;
    }
  }

  /** syncResourceQuota: recount one quota and write its status when it changed. */
  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const rq = this.quotas.get(key);
    if (!rq || rq.metadata?.deletionTimestamp) return;
    const ns = rq.metadata!.namespace!;
    const listed = new Map<string, KubeObject[]>();
    for (const r of this.#listedResources(rq)) listed.set(`${r.group}/${r.plural}`, await this.#list(r, ns, signal));
    const inNamespace = (items: KubeObjectLike[]) => items.filter((o) => o.metadata?.namespace === ns) as unknown as KubeObject[];
    const list = (r: QuotaResource): KubeObject[] => {
      if (r.group === '' && r.plural === 'pods') return inNamespace(this.pods.list());
      if (r.group === '' && r.plural === 'services') return inNamespace(this.services.list());
      if (r.group === '' && r.plural === 'persistentvolumeclaims') return inNamespace(this.claims.list());
      return listed.get(`${r.group}/${r.plural}`) ?? [];
    };
    const hard = toResourceList(rq.spec?.hard);
    const used = calculateUsage(rq, list, this.#clock.now());
    if (sameLists(hard, toResourceList(rq.status?.hard)) && sameLists(used, toResourceList(rq.status?.used))) return;
    const next: ResourceQuota = { ...rq, status: { hard: toStringList(hard), used: toStringList(used) } };
    try {
      await this.#client.resource<ResourceQuota>('resourcequotas', ns).updateStatus(next, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      // Admission charged the quota meanwhile: count again from the newer quota.
      if (isConflict(err)) {
        this.controller.enqueueAfter(key, 10);
        return;
      }
      throw err;
    }
  }

  /** Resources a quota counts that have no informer here: listed from the API when the quota is synced. */
  #listedResources(rq: ResourceQuota): QuotaResource[] {
    const out: QuotaResource[] = [];
    for (const name of Object.keys(rq.spec?.hard ?? {})) {
      let r: QuotaResource | undefined;
      if (name.startsWith('count/')) {
        const rest = name.slice('count/'.length);
        const dot = rest.indexOf('.');
        r = { group: dot < 0 ? '' : rest.slice(dot + 1), plural: dot < 0 ? rest : rest.slice(0, dot) };
      } else if (['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas'].includes(name)) r = { group: '', plural: name };
      if (!r || (r.group === '' && ['pods', 'services', 'persistentvolumeclaims'].includes(r.plural))) continue;
      if (!out.some((o) => o.group === r.group && o.plural === r.plural)) out.push(r);
    }
    return out;
  }

  async #list(r: QuotaResource, ns: string, signal: AbortSignal): Promise<KubeObject[]> {
    const info = RESOURCES.find((i) => i.group === r.group && i.plural === r.plural && i.namespaced && i.verbs.includes('list'));
    if (!info || !findResource(info.groupVersion, info.plural)) return [];
    try {
      return (await this.#client.resource<KubeObject>(info, ns).listAll({ signal })).items;
    } catch (err) {
      this.#log.warn({ err: String(err), resource: r.plural }, 'listing objects to count failed');
      throw err;
    }
  }
}
