/**
 * SharedInformers: one informer per resource (namespace, selectors, resync period) for every component of a
 * process that asks for it, client-go's SharedInformerFactory. kube-controller-manager builds one on a client
 * of its own ("shared-informers") and hands it to every controller, so each pod is listed, watched, decoded
 * and kept once per process instead of once per controller: with a dozen controllers watching pods, the
 * copies were most of the server's memory (~4 KB a decoded pod, each copy ~400 MB at 100,000 pods).
 *
 * The objects in a shared cache belong to every component that reads them: read-only, as client-go's are.
 * Components without shared informers (unit tests, a component alone) make their own with `informerOf`.
 */
import type { Client } from './client.ts';
import { Informer, type InformerConfig } from './informer.ts';
import type { KubeObjectLike, ResourceClient } from './resource.ts';
import type { Clock, Logger } from '../machinery/index.ts';

export interface SharedInformersConfig {
  /** The client every shared informer lists and watches with (its identity must be allowed to, on everything asked). */
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

/** What tells two informers apart: the rest of InformerConfig (clock, logger, back-off) is the factory's. */
export type SharedInformerOptions = Pick<InformerConfig, 'labelSelector' | 'fieldSelector' | 'resyncPeriodMs'>;

export class SharedInformers {
  readonly #client: Client;
  readonly #clock: Clock | undefined;
  readonly #logger: Logger | undefined;
  readonly #informers = new Map<string, Informer<KubeObjectLike>>();

  constructor(config: SharedInformersConfig) {
    this.#client = config.client;
    this.#clock = config.clock;
    this.#logger = config.logger;
  }

  /**
   * The process's informer of `resource`'s resource and namespace (the resource client only names them; the
   * informer uses the factory's client), made on the first ask. Run it as an own informer: each owner calls
   * `run(signal)` and awaits `synced`.
   */
  informerFor<T extends KubeObjectLike>(resource: ResourceClient<T>, options: SharedInformerOptions = {}): Informer<T> {
    const { group, plural } = resource.resource;
    const key = [group, plural, resource.namespace ?? '', options.labelSelector ?? '', options.fieldSelector ?? '', options.resyncPeriodMs ?? 0].join('|');
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObjectLike>(this.#client.resource(resource.resource, resource.namespace), {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resyncPeriodMs: options.resyncPeriodMs,
        shared: true,
        ...(this.#clock ? { clock: this.#clock } : {}),
        ...(this.#logger ? { logger: this.#logger.child({ informer: plural }) } : {}),
      });
      this.#informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** How many informers were made (one per distinct resource, namespace and options). */
  get size(): number {
    return this.#informers.size;
  }
}

/** `shared`'s informer of `resource` when the component was given shared informers, else one of its own. */
export function informerOf<T extends KubeObjectLike>(shared: SharedInformers | undefined, resource: ResourceClient<T>, config: InformerConfig = {}): Informer<T> {
  return shared ? shared.informerFor(resource, config) : new Informer<T>(resource, config);
}
