/**
 * The garbage collector, first cut: deletes dependents whose owners are all gone (background cascading
 * deletion, what `kubectl delete rs web` asks for by default). Dependents and owners are watched through
 * informers (pods, replicasets, deployments, daemonsets, controllerrevisions, replicationcontrollers, jobs, cronjobs, statefulsets, persistentvolumeclaims); an owner is looked up by its ownerReference (apiVersion, kind, name) and counts as gone
 * when it is not found or has another uid (deleted and created again). Level-triggered: each dependent is
 * checked when it appears or changes, when an object it names as owner is deleted, and on a periodic resync
 * (so an owner of a kind not watched here is noticed too).
 *
 * Orphan and foreground propagation (the `orphan` and `foregroundDeletion` finalizers) are the API server's
 * dependents controller's (src/apiserver/dependents-controller.ts), which sees every served resource.
 */
import { findResourceByKind, type OwnerReference } from '../../api/index.ts';
import { Informer, informerOf, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface GarbageCollectorConfig {
  client: Client;
  /** Resources to watch as dependents and owners (default: pods, replicasets, deployments, daemonsets, controllerrevisions, replicationcontrollers, jobs, cronjobs, statefulsets, persistentvolumeclaims). */
  resources?: string[];
  /** Every dependent is checked again this often (default 1 min). */
  resyncPeriodMs?: number;
  /** The process's shared informers (SharedInformers); without them the collector makes its own. */
  informers?: SharedInformers;
  clock?: Clock;
  logger?: Logger;
}

export class GarbageCollector {
  readonly controller: Controller;
  readonly #client: Client;
  readonly #log: Logger;
  /** Informers by resource plural; queue keys are `plural|ns/name`. */
  readonly #informers = new Map<string, Informer<KubeObjectLike>>();
  readonly #clock: Clock;
  readonly #resyncPeriodMs: number;

  constructor(config: GarbageCollectorConfig) {
    this.#client = config.client;
    const clock = (this.#clock = config.clock ?? realClock);
    this.#resyncPeriodMs = config.resyncPeriodMs ?? 60_000;
    this.#log = config.logger ?? createLogger('garbage-collector');
    for (const plural of config.resources ?? ['pods', 'replicasets', 'deployments', 'daemonsets', 'controllerrevisions', 'replicationcontrollers', 'jobs', 'cronjobs', 'statefulsets', 'persistentvolumeclaims']) {
      // No informer resync: the periodic check is the collector's own (#resync), so the informers can be shared.
      const informer = informerOf(config.informers, config.client.resource(plural), { clock, logger: this.#log });
      this.#informers.set(plural, informer);
    }
    this.controller = new Controller({
      name: 'garbage-collector',
      informers: [...this.#informers.values()],
      reconcile: (key, signal) => this.reconcile(key, signal),
      clock,
      logger: this.#log,
    });
    this.#wire();
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.controller.run(signal), this.#resync(signal)]);
  }

  /** Every resync period, every dependent (an object with owners) is checked again. */
  async #resync(signal: AbortSignal): Promise<void> {
    if (this.#resyncPeriodMs <= 0) return;
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#resyncPeriodMs, signal);
      } catch {
        return;
      }
      for (const [plural, informer] of this.#informers) {
        for (const obj of informer.list()) if (obj.metadata?.ownerReferences?.length) this.controller.enqueue(`${plural}|${objectKey(obj)}`);
      }
    }
  }

  #wire(): void {
    for (const [plural, informer] of this.#informers) {
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
    const resource = this.#client.resource(plural, ns);
    try {
      // The informer may lag: the dependent may have lost those references meanwhile (orphaned by its owner's
      // deletion) or been adopted. Decide on the live object and delete exactly that version, as upstream's
      // attemptToDeleteItem does.
      const live = await resource.get(obj.metadata!.name!, { signal });
      if (live.metadata?.uid !== obj.metadata?.uid || live.metadata?.deletionTimestamp) return;
      const liveOwners = live.metadata?.ownerReferences ?? [];
      if (liveOwners.length === 0) return;
      for (const ref of liveOwners) {
        if (!owners.some((o) => o.uid === ref.uid) && (await this.#ownerExists(live, ref, signal))) return;
      }
      await resource.delete(obj.metadata!.name!, { preconditions: { uid: live.metadata?.uid, resourceVersion: live.metadata?.resourceVersion }, propagationPolicy: 'Background', signal });
      this.#log.debug({ object: `${plural}/${objKey}`, owners: owners.map((o) => `${o.kind}/${o.name}`) }, 'deleted an object whose owners are gone');
    } catch (err) {
      // Gone, or changed since it was read (a precondition failed): the next event decides again.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async #ownerExists(dependent: KubeObjectLike, ref: OwnerReference, signal: AbortSignal): Promise<boolean> {
    const resource = findResourceByKind(ref.apiVersion, ref.kind);
    // An owner of a kind this server does not serve cannot be checked: keep the dependent.
    if (!resource) return true;
    const ns = resource.namespaced ? dependent.metadata?.namespace : undefined;
    // The informer's cache first (no request for the common case of a live owner).
    const cached = this.#informers.get(resource.plural)?.get(ns ? `${ns}/${ref.name}` : ref.name);
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
