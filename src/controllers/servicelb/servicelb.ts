/**
 * LoadBalancer status, as k3s's service load balancer (servicelb) reports it: a Service of type
 * LoadBalancer is reachable on every node (the proxy serves its node ports there), so its
 * `status.loadBalancer.ingress` lists the InternalIP of each Ready, schedulable node, sorted, each with
 * `ipMode: VIP`; it follows nodes as they come, go, or change readiness. Services of other types get a stale
 * ingress cleared. Services with a `spec.loadBalancerClass` belong to another load balancer and are left
 * alone (k3s does the same). `loadBalancerIngress` is the pure decision.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Node, Service } from '../../api/index.ts';
import { Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface ServiceLBControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

export interface LoadBalancerIngress {
  ip: string;
  ipMode: 'VIP';
}

const isReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The ingress of every LoadBalancer Service given the cluster's nodes. */
export function loadBalancerIngress(nodes: Node[]): LoadBalancerIngress[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    if (n.spec?.unschedulable || !isReady(n) || n.metadata?.deletionTimestamp) continue;
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort(compareIPs).map((ip) => ({ ip, ipMode: 'VIP' }));
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0) || a.localeCompare(b);
  return a.localeCompare(b);
}

/** The ingress `svc` should have: node addresses for LoadBalancer, none otherwise; undefined = not ours. */
export function desiredIngress(svc: Service, nodes: Node[]): LoadBalancerIngress[] | undefined {
  if (svc.spec?.type !== 'LoadBalancer') return [];
  if (svc.spec.loadBalancerClass) return undefined;
  return loadBalancerIngress(nodes);
}

export class ServiceLBController {
  readonly services: Informer<Service>;
  readonly nodes: Informer<Node>;
  readonly controller: Controller;
  readonly #client: Client;

  constructor(config: ServiceLBControllerConfig) {
    const clock = config.clock ?? realClock;
    const logger = config.logger ?? createLogger('service-lb-controller');
    this.#client = config.client;
    this.services = informerOf(config.informers, config.client.resource<Service>('services'), { clock, logger });
    this.nodes = informerOf(config.informers, config.client.resource<Node>('nodes'), { clock, logger });
    this.controller = new Controller({
      name: 'service-lb-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.services, this.nodes] as Informer<KubeObjectLike>[],
      clock,
      logger,
    });
    const enqueue = (svc: Service) => this.controller.enqueue(objectKey(svc));
    this.services.onAdd(enqueue).onUpdate((_o, s) => enqueue(s));
    const loadBalancers = () => {
      for (const s of this.services.list()) if (s.spec?.type === 'LoadBalancer') enqueue(s);
    };
    this.nodes.onAdd(loadBalancers).onDelete(loadBalancers).onUpdate((old, node) => {
      if (!isDeepStrictEqual(loadBalancerIngress([old]), loadBalancerIngress([node]))) loadBalancers();
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One pass for one Service (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const svc = this.services.get(key);
    if (!svc) return;
    const want = desiredIngress(svc, this.nodes.list());
    if (want === undefined) return;
    const have = svc.status?.loadBalancer?.ingress ?? [];
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(have)), want)) return;
    try {
      await this.#client.resource<Service>('services', svc.metadata!.namespace).patchStatus(
        svc.metadata!.name!,
        { status: { loadBalancer: want.length > 0 ? { ingress: want } : { ingress: null } } },
        'merge',
        { signal },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
