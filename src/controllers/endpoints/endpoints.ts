/**
 * The Endpoints controller, as kube-controller-manager's: the v1 Endpoints object (same name as the
 * Service) of every Service with a selector, from the pods the selector picks (`desiredSubsets`). Its labels
 * are the Service's, plus `service.kubernetes.io/headless` for a Service without a cluster IP; its
 * `endpoints.kubernetes.io/last-change-trigger-time` says when the change it reflects happened; above 1000
 * addresses it is truncated and marked `endpoints.kubernetes.io/over-capacity: truncated`. Nothing is written
 * when the subsets and labels are already right. A deleted Service's Endpoints are deleted; Endpoints left
 * from Services deleted while the controller was down go at start-up (checkLeftoverEndpoints). Services
 * without a selector keep the Endpoints their users write.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Endpoints, Pod, Service } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isAlreadyExists, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import {
  ANNOTATION_OVER_CAPACITY, ANNOTATION_TRIGGER_TIME, enqueueServicesOnEvents, isServiceIPSet, LABEL_HEADLESS, podsSelectedBy, serviceSelector,
  TriggerTimeTracker,
} from '../endpoint-util/index.ts';
import { desiredSubsets, truncateSubsets, MAX_ENDPOINTS_CAPACITY } from './subsets.ts';

export interface EndpointsControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The annotation leader election puts on Endpoints it uses as a lock: those have no Service and stay. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
/** Lost a race with our own previous write (stale cache): look again after this long. */
const STALE_RETRY_MS = 200;

const normalize = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const withoutHeadless = (labels: Record<string, string> | undefined) => {
  const copy = { ...(labels ?? {}) };
  delete copy[LABEL_HEADLESS];
  return copy;
};

/** Whether the stored Endpoints already say what the controller would write (upstream's skip check). */
export function endpointsUpToDate(current: Endpoints, svc: Service, subsets: Endpoints['subsets']): boolean {
  const count = (subsets ?? []).reduce((n, ss) => n + (ss.addresses?.length ?? 0) + (ss.notReadyAddresses?.length ?? 0), 0);
  const capacityOk = count <= MAX_ENDPOINTS_CAPACITY && current.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY] === undefined;
  return isDeepStrictEqual(normalize(current.subsets ?? []), normalize(subsets ?? [])) &&
    isDeepStrictEqual(withoutHeadless(current.metadata?.labels), { ...(svc.metadata?.labels ?? {}) }) &&
    capacityOk;
}

/** The Endpoints object to write for `svc` (based on `current` when there is one). */
export function buildEndpoints(svc: Service, current: Endpoints | undefined, subsets: NonNullable<Endpoints['subsets']>, triggerTime: string | undefined): Endpoints {
  const next: Endpoints = current
    ? structuredClone(current)
    : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata!.name, namespace: svc.metadata!.namespace } };
  const meta = (next.metadata ??= {});
  delete meta.managedFields;
  const cut = structuredClone(subsets);
  const truncated = truncateSubsets(cut);
  next.subsets = cut;
  if (cut.length === 0) delete next.subsets;
  const annotations = { ...(meta.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_TRIGGER_TIME] = triggerTime;
  else delete annotations[ANNOTATION_TRIGGER_TIME];
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
  else delete annotations[ANNOTATION_OVER_CAPACITY];
  meta.annotations = annotations;
  if (Object.keys(annotations).length === 0) delete meta.annotations;
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  meta.labels = labels;
  if (Object.keys(labels).length === 0) delete meta.labels;
  return next;
}

export class EndpointsController {
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly endpoints: Informer<Endpoints>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #triggerTimes = new TriggerTimeTracker();

  constructor(config: EndpointsControllerConfig) {
    const clock = config.clock ?? realClock;
    const logger = config.logger ?? createLogger('endpoints-controller');
    this.#client = config.client;
    this.#recorder = new EventRecorder(config.client, { component: 'endpoint-controller', clock, logger });
    const opts = { clock, logger };
    this.services = informerOf(config.informers, config.client.resource<Service>('services'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.endpoints = informerOf(config.informers, config.client.resource<Endpoints>('endpoints'), opts);
    this.controller = new Controller({
      name: 'endpoints-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.services, this.pods, this.endpoints] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 5,
      clock,
      logger,
    });
    this.#wire();
  }

  async run(signal: AbortSignal): Promise<void> {
    const running = this.controller.run(signal);
    // Endpoints whose Service went while the controller was down.
    const leftovers = this.endpoints.synced.then(
      () => {
        for (const ep of this.endpoints.list()) {
          if (ep.metadata?.annotations?.[LEADER_ANNOTATION] === undefined) this.controller.enqueue(objectKey(ep));
        }
      },
      () => undefined,
    );
    await Promise.all([running, leftovers]);
  }

  #wire(): void {
    const enqueue = (obj: KubeObjectLike) => this.controller.enqueue(objectKey(obj));
    enqueueServicesOnEvents(this.services, this.pods, enqueue);
    // Deleted by someone else: made again if its Service still selects.
    this.endpoints.onDelete(enqueue);
  }

  /** One pass for one Service key (public for tests). Safe to call at any time. */
  async reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs: number } | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const api = this.#client.resource<Endpoints>('endpoints', namespace);
    const svc = this.services.get(key);
    if (!svc) {
      this.#triggerTimes.deleteService(namespace, name);
      const current = this.endpoints.get(key);
      if (!current || current.metadata?.annotations?.[LEADER_ANNOTATION] !== undefined) return;
      try {
        await api.delete(name, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    const selector = serviceSelector(svc);
    if (svc.spec?.type === 'ExternalName' || !selector) return;

    const pods = podsSelectedBy(this.pods.list(), namespace, selector);
    // Computed on every pass so the tracker stays current even when nothing is written.
    const triggerTime = this.#triggerTimes.compute(svc, pods);
    const subsets = desiredSubsets(svc, pods);
    const current = this.endpoints.get(key);
    if (current && endpointsUpToDate(current, svc, subsets)) return;
    const next = buildEndpoints(svc, current, subsets, triggerTime);
    try {
      if (current) await api.update(next, { signal });
      else await api.create(next, { signal });
    } catch (err) {
      // Our cache is behind the server (our own last write, most likely): try again once it caught up.
      if (isConflict(err) || isAlreadyExists(err)) return { requeueAfterMs: STALE_RETRY_MS };
      if (!signal.aborted) {
        const message = current ? `Failed to update endpoint ${key}: ${(err as Error).message}` : `Failed to create endpoint for service ${key}: ${(err as Error).message}`;
        this.#recorder.event(next, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint', message);
      }
      throw err;
    }
  }
}
