/**
 * The EndpointSlice controller, as kube-controller-manager's: for every Service with a selector it keeps
 * the Service's `discovery.k8s.io/v1` EndpointSlices (IPv4) in step with the pods the selector picks, one
 * endpoint per pod with an IP, `ready`/`serving`/`terminating` as upstream sets them. The slices carry
 * `kubernetes.io/service-name`, `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` and
 * a controller owner reference to the Service. Slices of Services without a selector are the user's and are
 * never touched; the ones this controller made while such a Service still had a selector are deleted (upstream
 * leaves them until the Service goes). The decision is `reconcileSlices` (pure); this file reads the caches
 * and writes the plan.
 *
 *   services, pods, nodes, own slices (informers) ─▶ key ns/name of the Service ─▶ reconcile:
 *     Service gone: delete its slices (the garbage collector would too, via the owner reference)
 *     cache behind our own writes? wait for it (a stale cache would create duplicates)
 *     reconcileSlices ─▶ create / update / delete, remembering the resourceVersions written
 */
import type { EndpointSlice, Node, Pod, Service } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type ResourceClient, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { enqueueServicesOnEvents, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, podsSelectedBy, serviceSelector, TriggerTimeTracker } from '../endpoint-util/index.ts';
import { CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, reconcileSlices, type SlicePlan } from './reconciler.ts';

export interface EndpointSliceControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  /** kube-controller-manager's --max-endpoints-per-slice (default 100). */
  maxEndpointsPerSlice?: number;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Reconcile again after this long when pods wait for their node or the cache for our writes. */
const RETRY_MS = 1000;

/** What this controller last wrote for one Service: slice name → resourceVersion (undefined = deleted). */
type Written = Map<string, string | undefined>;

const rvNumber = (rv: string | undefined): bigint | undefined => (rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined);

export class EndpointSliceController {
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly slices: Informer<EndpointSlice>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #log: Logger;
  readonly #max: number;
  readonly #recorder: EventRecorder;
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly #written = new Map<string, Written>();

  constructor(config: EndpointSliceControllerConfig) {
    const clock = config.clock ?? realClock;
    this.#client = config.client;
    this.#log = config.logger ?? createLogger('endpointslice-controller');
    this.#max = config.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    if (!(this.#max >= 1 && this.#max <= 1000)) throw new Error(`endpointslice controller: maxEndpointsPerSlice must be between 1 and 1000, got ${this.#max}`);
    const opts = { clock, logger: this.#log };
    this.#recorder = new EventRecorder(config.client, { component: 'endpoint-slice-controller', clock, logger: this.#log });
    this.services = informerOf(config.informers, config.client.resource<Service>('services'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.nodes = informerOf(config.informers, config.client.resource<Node>('nodes'), opts);
    this.slices = informerOf(config.informers, config.client.resource<EndpointSlice>('endpointslices'), { ...opts, labelSelector: `${LABEL_MANAGED_BY}=${CONTROLLER_NAME}` });
    this.controller = new Controller({
      name: 'endpointslice-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.services, this.pods, this.nodes, this.slices] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 5,
      clock,
      logger: this.#log,
    });
    this.#wire();
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  #wire(): void {
    const enqueue = (svc: Service) => this.controller.enqueue(objectKey(svc));
    // A pod matters to the Services that select it now or selected it before.
    enqueueServicesOnEvents(this.services, this.pods, enqueue);
    // Zones come from nodes, and pods wait for their node to be known.
    const allServices = () => this.services.list().forEach(enqueue);
    this.nodes.onAdd(allServices).onUpdate((old, node) => {
      if (old.metadata?.labels?.['topology.kubernetes.io/zone'] !== node.metadata?.labels?.['topology.kubernetes.io/zone']) allServices();
    });
    // Someone else changed or deleted one of our slices: put it right.
    const forSlice = (slice: EndpointSlice) => {
      const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
      if (name) this.controller.enqueue(`${slice.metadata?.namespace}/${name}`);
    };
    this.slices.onAdd(forSlice).onUpdate((_o, s) => forSlice(s)).onDelete(forSlice);
  }

  /**
   * The slices in the cache that this controller made for Service ns/name: labelled managed-by us and for
   * the Service, with a Service as their controller. A slice someone else wrote with our label but no
   * such owner (as an API server might for `default/kubernetes`) is never ours to change or delete.
   */
  #slicesOf(namespace: string, name: string): EndpointSlice[] {
    return this.slices.list().filter((s) =>
      s.metadata?.namespace === namespace && s.metadata?.labels?.[LABEL_SERVICE_NAME] === name &&
      (s.metadata?.ownerReferences ?? []).some((r) => r.controller && r.kind === 'Service' && r.name === name));
  }

  /**
   * The cache has not yet seen every write this controller made for the Service (upstream's
   * EndpointSliceTracker.StaleSlices): a slice we created or updated is missing or older there, or one we
   * deleted is still there. Once the informer has seen a resourceVersion past a write, the cache holds that
   * write or something newer (even the slice's deletion by someone else), so the write is forgotten.
   */
  #stale(key: string, cached: EndpointSlice[]): boolean {
    const written = this.#written.get(key);
    if (!written) return false;
    const seen = rvNumber(this.slices.lastSyncResourceVersion);
    const byName = new Map(cached.map((s) => [s.metadata!.name!, s]));
    for (const [name, rv] of written) {
      const have = byName.get(name);
      if (rv === undefined) {
        if (!have) written.delete(name);
        continue;
      }
      const want = rvNumber(rv);
      const got = rvNumber(have?.metadata?.resourceVersion);
      const caughtUp = want !== undefined && ((seen !== undefined && seen >= want) || (got !== undefined && got >= want));
      if (caughtUp || have?.metadata?.resourceVersion === rv) written.delete(name);
    }
    if (written.size > 0) return true;
    this.#written.delete(key);
    return false;
  }

  /** One pass for one Service (public for tests). Safe to call at any time. */
  async reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs: number } | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(key);
    const cached = this.#slicesOf(namespace, name);
    if (this.#stale(key, cached)) return { requeueAfterMs: RETRY_MS };
    const selector = svc ? serviceSelector(svc) : undefined;
    if (!svc || svc.spec?.type === 'ExternalName' || !selector) {
      if (!svc) this.#triggerTimes.deleteService(namespace, name);
      // Only our own slices are in `cached`: a selector-less Service's other slices are its user's.
      await this.#deleteAll(key, cached, signal);
      return;
    }
    const uid = svc.metadata?.uid;
    const owned: EndpointSlice[] = [];
    const foreign: EndpointSlice[] = [];
    for (const s of cached) (s.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid) ? owned : foreign).push(s);
    // Slices of an earlier Service of the same name.
    await this.#deleteAll(key, foreign, signal);

    const pods = podsSelectedBy(this.pods.list(), namespace, selector);
    const nodes = new Map(this.nodes.list().map((n) => [n.metadata!.name!, n]));
    const triggerTime = this.#triggerTimes.compute(svc, pods);
    const plan = reconcileSlices({ service: svc, pods, nodes, existing: owned, maxEndpointsPerSlice: this.#max, triggerTime });
    try {
      await this.#apply(key, namespace, plan, signal);
    } catch (err) {
      if (!signal.aborted) this.#recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${(err as Error).message}`);
      throw err;
    }
    if (plan.podsOnUnknownNodes.length > 0) {
      this.#log.debug({ service: key, pods: plan.podsOnUnknownNodes }, 'pods on nodes not known yet; retrying');
      return { requeueAfterMs: RETRY_MS };
    }
  }

  async #apply(key: string, namespace: string, plan: SlicePlan, signal: AbortSignal): Promise<void> {
    const api = this.#client.resource<EndpointSlice>('endpointslices', namespace);
    const written = this.#written.get(key) ?? new Map<string, string | undefined>();
    this.#written.set(key, written);
    // Creates and updates before deletes, so a consumer never sees fewer endpoints than both states have.
    for (const slice of plan.create) {
      const made = await api.create(slice, { signal });
      written.set(made.metadata!.name!, made.metadata?.resourceVersion);
    }
    for (const slice of plan.update) {
      const done = await api.update(slice, { signal });
      written.set(done.metadata!.name!, done.metadata?.resourceVersion);
    }
    for (const slice of plan.delete) await this.#delete(api, slice, written, signal);
    if (written.size === 0) this.#written.delete(key);
  }

  async #deleteAll(key: string, slices: EndpointSlice[], signal: AbortSignal): Promise<void> {
    if (slices.length === 0) return;
    const written = this.#written.get(key) ?? new Map<string, string | undefined>();
    this.#written.set(key, written);
    for (const s of slices) await this.#delete(this.#client.resource<EndpointSlice>('endpointslices', s.metadata!.namespace), s, written, signal);
  }

  async #delete(api: ResourceClient<EndpointSlice>, slice: EndpointSlice, written: Written, signal: AbortSignal): Promise<void> {
    try {
      await api.delete(slice.metadata!.name!, { signal, preconditions: { uid: slice.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    written.set(slice.metadata!.name!, undefined);
  }
}
