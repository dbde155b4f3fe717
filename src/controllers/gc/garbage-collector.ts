/**
 * The garbage collector, first cut: deletes dependents whose owners are all gone (background cascading
 * deletion, what `kubectl delete rs web` asks for by default). Dependents and owners are watched through
 * informers (pods, replicasets, deployments, daemonsets, controllerrevisions, replicationcontrollers, jobs, cronjobs, statefulsets, persistentvolumeclaims); an owner is looked up by its ownerReference (apiVersion, kind, name) and counts as gone
 * when it is not found or has another uid (deleted and created again). Level-triggered: each dependent is
 * checked when it appears or changes, when an object it names as owner is deleted, and on a periodic resync
 * (so an owner of a kind not watched here is noticed too).
 *
 * Custom resources join as the GC's discovery finds them, as upstream's monitors do: every `discoveryPeriodMs`
 * it reads the API groups the built-in table does not know (`/apis`, then each group's preferred version), starts
 * an informer for each listable, watchable and deletable resource there, and stops those that went away.
 *
 * Not yet: orphan and foreground propagation (the API server's finalizers), blockOwnerDeletion.
 */
import { RESOURCES, findResource, findResourceByKind, type OwnerReference, type ResourceInfo, type Verb } from '../../api/index.ts';
import { Informer, isNotFound, objectKey, type Client, type KubeObjectLike } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface GarbageCollectorConfig {
  client: Client;
  /** Resources to watch as dependents and owners (default: pods, replicasets, deployments, daemonsets, controllerrevisions, replicationcontrollers, jobs, cronjobs, statefulsets, persistentvolumeclaims). */
  resources?: string[];
  /** Every dependent is checked again this often (default 1 min). */
  resyncPeriodMs?: number;
  /** How often discovery is read for custom resources (default 10 s; 0: never). */
  discoveryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class GarbageCollector {
  readonly controller: Controller;
  readonly #client: Client;
  readonly #log: Logger;
  /** Informers by resource (a built-in's plural, `plural.group` for a custom one); queue keys are `resource|ns/name`. */
  readonly #informers = new Map<string, Informer<KubeObjectLike>>();
  /** The custom resources discovered, by the same key, with what stops their informers. */
  readonly #custom = new Map<string, { info: ResourceInfo; stop: AbortController; done: Promise<void> }>();
  readonly #clock: Clock;
  readonly #resyncPeriodMs: number;
  readonly #discoveryPeriodMs: number;

  constructor(config: GarbageCollectorConfig) {
    this.#client = config.client;
    const clock = config.clock ?? realClock;
    this.#clock = clock;
    this.#resyncPeriodMs = config.resyncPeriodMs ?? 60_000;
    this.#discoveryPeriodMs = config.discoveryPeriodMs ?? 10_000;
    this.#log = config.logger ?? createLogger('garbage-collector');
    for (const plural of config.resources ?? ['pods', 'replicasets', 'deployments', 'daemonsets', 'controllerrevisions', 'replicationcontrollers', 'jobs', 'cronjobs', 'statefulsets', 'persistentvolumeclaims']) {
      const informer = new Informer<KubeObjectLike>(config.client.resource(plural), { clock, logger: this.#log, resyncPeriodMs: config.resyncPeriodMs ?? 60_000 });
      this.#informers.set(plural, informer);
    }
    this.controller = new Controller({
      name: 'garbage-collector',
      informers: [...this.#informers.values()],
      reconcile: (key, signal) => this.reconcile(key, signal),
      clock,
      logger: this.#log,
    });
    for (const [plural, informer] of this.#informers) this.#wire(plural, informer);
  }

  async run(signal: AbortSignal): Promise<void> {
    const discovery = this.#discoveryPeriodMs > 0 ? this.#discoverLoop(signal) : Promise.resolve();
    try {
      await this.controller.run(signal);
    } finally {
      await discovery;
      for (const c of this.#custom.values()) c.stop.abort();
      await Promise.allSettled([...this.#custom.values()].map((c) => c.done));
    }
  }

  async #discoverLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncCustomResources(signal);
      } catch (err) {
        if (!signal.aborted) this.#log.debug({ err: String(err) }, 'discovery failed; trying again');
      }
      await this.#clock.sleep(this.#discoveryPeriodMs, signal).catch(() => {});
    }
  }

  /** Resources served beyond the built-in table, by legacy discovery (each group's preferred version). */
  async #discoverCustomResources(signal: AbortSignal): Promise<ResourceInfo[]> {
    const builtInGroups = new Set(RESOURCES.map((r) => r.group));
    const groups = await this.#client.request<{ groups?: { name: string; preferredVersion?: { groupVersion: string; version: string } }[] }>({ method: 'GET', path: '/apis', signal });
    const out: ResourceInfo[] = [];
    for (const g of groups.groups ?? []) {
      if (builtInGroups.has(g.name) || !g.preferredVersion) continue;
      const { groupVersion, version } = g.preferredVersion;
      const list = await this.#client.request<{ resources?: { name: string; singularName?: string; namespaced: boolean; kind: string; verbs: string[] }[] }>({ method: 'GET', path: `/apis/${groupVersion}`, signal })
        .catch(() => ({ resources: [] }));
      for (const r of list.resources ?? []) {
        if (r.name.includes('/') || !['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) || findResource(groupVersion, r.name)) continue;
        out.push({
          group: g.name, version, groupVersion, plural: r.name, singular: r.singularName || r.kind.toLowerCase(), kind: r.kind, listKind: `${r.kind}List`,
          namespaced: r.namespaced, shortNames: [], categories: [], verbs: r.verbs as Verb[], subresources: [],
        });
      }
    }
    return out;
  }

  /** One discovery pass: informers for custom resources that appeared, none for those that went (public for tests). */
  async syncCustomResources(signal: AbortSignal): Promise<void> {
    const found = await this.#discoverCustomResources(signal);
    const keys = new Set(found.map((r) => `${r.plural}.${r.group}`));
    for (const [key, c] of this.#custom) {
      if (keys.has(key)) continue;
      c.stop.abort();
      this.#custom.delete(key);
      this.#informers.delete(key);
    }
    for (const info of found) {
      const key = `${info.plural}.${info.group}`;
      if (this.#custom.has(key)) continue;
      const informer = new Informer<KubeObjectLike>(this.#client.resource(info), { clock: this.#clock, logger: this.#log, resyncPeriodMs: this.#resyncPeriodMs });
      const stop = new AbortController();
      this.#informers.set(key, informer);
      this.#wire(key, informer);
      const done = informer.run(AbortSignal.any([signal, stop.signal])).catch((err) => {
        if (!stop.signal.aborted && !signal.aborted) this.#log.warn({ err: String(err), resource: key }, 'custom resource informer stopped');
      });
      this.#custom.set(key, { info, stop, done });
      this.#log.info({ resource: key }, 'watching a custom resource');
    }
  }

  #wire(plural: string, informer: Informer<KubeObjectLike>): void {
    const enqueue = (obj: KubeObjectLike) => {
      if (obj.metadata?.ownerReferences?.length) this.controller.enqueue(`${plural}|${objectKey(obj)}`);
    };
    informer.onAdd(enqueue).onUpdate((_old, obj) => enqueue(obj)).onDelete((owner) => {
      // Its dependents (in any watched resource) may now be garbage.
      const uid = owner.metadata?.uid;
      for (const [depPlural, deps] of this.#informers) {
        for (const dep of deps.list()) {
          if (dep.metadata?.ownerReferences?.some((r) => r.uid === uid)) this.controller.enqueue(`${depPlural}|${objectKey(dep)}`);
        }
      }
    });
  }

  /** Deletes the dependent `plural|ns/name` if every owner it names is gone (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const [plural, objKey] = key.split('|') as [string, string];
    const obj = this.#informers.get(plural)?.get(objKey);
    const owners = obj?.metadata?.ownerReferences ?? [];
    if (!obj || owners.length === 0 || obj.metadata?.deletionTimestamp) return;
    for (const ref of owners) {
      if (await this.#ownerExists(obj, ref, signal)) return;
    }
    const ns = obj.metadata?.namespace;
    try {
      await this.#client.resource(this.#custom.get(plural)?.info ?? plural, ns).delete(obj.metadata!.name!, { preconditions: { uid: obj.metadata?.uid }, propagationPolicy: 'Background', signal });
      this.#log.debug({ object: `${plural}/${objKey}`, owners: owners.map((o) => `${o.kind}/${o.name}`) }, 'deleted an object whose owners are gone');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #ownerExists(dependent: KubeObjectLike, ref: OwnerReference, signal: AbortSignal): Promise<boolean> {
    const custom = [...this.#custom.entries()].find(([, c]) => c.info.groupVersion === ref.apiVersion && c.info.kind === ref.kind);
    const resource = findResourceByKind(ref.apiVersion, ref.kind) ?? custom?.[1].info;
    // An owner of a kind this server does not serve cannot be checked: keep the dependent.
    if (!resource) return true;
    const ns = resource.namespaced ? dependent.metadata?.namespace : undefined;
    // The informer's cache first (no request for the common case of a live owner).
    const cached = this.#informers.get(custom?.[0] ?? resource.plural)?.get(ns ? `${ns}/${ref.name}` : ref.name);
    if (cached && cached.metadata?.uid === ref.uid) return true;
    try {
      const owner = await this.#client.resource(resource, ns).get(ref.name, { signal });
      return owner.metadata?.uid === ref.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
