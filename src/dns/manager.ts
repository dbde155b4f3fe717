/**
 * A node's cluster DNS: informers on Services, EndpointSlices and Namespaces (all through `src/client`),
 * a ClusterIndex rebuilt on the first query after a change, a DnsServer on the node's DNS address (UDP and
 * TCP port 53 of the pod bridge's gateway, which pods reach without any rule), forwarding to the host's
 * resolvers with a 30 s reply cache, and the node's own EndpointSlice for `kube-system/kube-dns` pointing
 * at that address.
 *
 *   run ─▶ informers ─▶ prepare() (the bridge with its gateway address) ─▶ listen (retried until it binds)
 *        ─▶ keep the node slice as it should be (on every change of it or of the Service) ─▶ abort
 *        ─▶ close the sockets; delete the node slice unless pods are still bound to the node
 *
 * The slice stays while pods run on the node (their DNS comes back with the next start, as their containers
 * outlive this process) and goes when the node's DNS stops with no pod left.
 */
import type { Client } from '../client/index.ts';
import { Informer, isAlreadyExists, isConflict, isNotFound } from '../client/index.ts';
import type { EndpointSlice, Namespace, Service } from '../api/types.ts';
import { Doorbell, realClock, type Logger } from '../machinery/index.ts';
import { ReplyCache } from './cache.ts';
import { Forwarder, type Upstream } from './forward.ts';
import type { LookupConfig } from './lookup.ts';
import { KUBE_DNS, nodeDnsSlice, nodeSliceName, sliceUpToDate } from './kube-dns.ts';
import { ClusterIndex } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';

export interface DnsManagerConfig {
  client: Client;
  nodeName: string;
  /** Where this node's DNS listens (the pod bridge's gateway address, port 53). */
  listen: { host: string; port: number };
  /** `--cluster-domain` (e.g. `cluster.local`). */
  clusterDomain: string;
  /** `--cluster-dns`: the kube-dns Service's IPs (what `ns.dns.<domain>` answers). */
  clusterDns: string[];
  /** The host's resolvers (readResolvConf()). */
  upstreams: Upstream[];
  /** How long one upstream gets before the next is asked (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** Longest time an upstream reply is cached, in seconds (CoreDNS `cache 30`; 0: no cache). */
  cacheSeconds?: number;
  /** Answer TTL (CoreDNS `ttl`, default 30). */
  ttl?: number;
  /** Run before binding, e.g. to create the bridge that carries the listen address. */
  prepare?: () => Promise<void>;
  /** Keep the node's kube-dns EndpointSlice (default true; tests of the server alone turn it off). */
  publishEndpoint?: boolean;
  logger: Logger;
  /** Called once the server listens. */
  onListening?: (address: { host: string; port: number }) => void;
}

export class DnsManager {
  readonly #cfg: DnsManagerConfig;
  readonly #log: Logger;
  #index?: ClusterIndex;
  #serial = Math.floor(Date.now() / 1000);
  #services!: Informer<Service>;
  #slices!: Informer<EndpointSlice>;
  #namespaces!: Informer<Namespace>;
  readonly #sliceBell = new Doorbell();

  constructor(cfg: DnsManagerConfig) {
    this.#cfg = cfg;
    this.#log = cfg.logger;
  }

  /** The index over the informers' caches, rebuilt after a change. */
  index(): ClusterIndex {
    this.#index ??= new ClusterIndex({
      services: this.#services.list(),
      endpointSlices: this.#slices.list(),
      namespaces: this.#namespaces.list().map((n) => n.metadata?.name ?? ''),
    });
    return this.#index;
  }

  config(): LookupConfig {
    return {
      zone: this.#cfg.clusterDomain.toLowerCase().replace(/\.$/, ''),
      ttl: this.#cfg.ttl ?? 30,
      nameserverIPs: this.#cfg.clusterDns,
      serial: this.#serial,
      synced: this.#services.hasSynced && this.#slices.hasSynced && this.#namespaces.hasSynced,
    };
  }

  async run(signal: AbortSignal): Promise<void> {
    const { client } = this.#cfg;
    this.#services = new Informer<Service>(client.resource<Service>('services'), { logger: this.#log });
    this.#slices = new Informer<EndpointSlice>(client.resource<EndpointSlice>('endpointslices'), { logger: this.#log });
    this.#namespaces = new Informer<Namespace>(client.resource<Namespace>('namespaces'), { logger: this.#log });
    const changed = (obj: Service | EndpointSlice | Namespace) => {
      this.#index = undefined;
      this.#serial = Math.floor(Date.now() / 1000);
      if (obj.metadata?.namespace === KUBE_DNS.namespace) this.#sliceBell.ring();
    };
    for (const inf of [this.#services, this.#slices, this.#namespaces] as Informer<Service | EndpointSlice | Namespace>[]) {
      inf.onAdd(changed).onUpdate((_old, obj) => changed(obj)).onDelete(changed);
    }
    const informing = [this.#services.run(signal), this.#slices.run(signal), this.#namespaces.run(signal)];
    const forwarder = new Forwarder({
      // Never forward to ourselves (a resolv.conf naming this address would loop).
      upstreams: this.#cfg.upstreams.filter((u) => !(u.host === this.#cfg.listen.host && u.port === this.#cfg.listen.port)),
      ...(this.#cfg.forwardTimeoutMs !== undefined ? { timeoutMs: this.#cfg.forwardTimeoutMs } : {}),
    });
    const resolver = new Resolver(this, forwarder, this.#cfg.cacheSeconds === 0 ? undefined : new ReplyCache({ maxTtl: this.#cfg.cacheSeconds ?? 30 }));
    const server = new DnsServer((raw, tcp) => resolver.handle(raw, tcp));
    let listening = false;
    try {
      listening = await this.#listen(server, signal);
      if (listening && this.#cfg.publishEndpoint !== false) await this.#keepSlice(signal);
      else await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      await server.close();
      forwarder.close();
      await Promise.allSettled(informing);
    }
    if (listening && this.#cfg.publishEndpoint !== false) await this.#removeSliceIfIdle();
  }

  async #listen(server: DnsServer, signal: AbortSignal): Promise<boolean> {
    let delay = 500;
    while (!signal.aborted) {
      try {
        await this.#cfg.prepare?.();
        const addr = await server.listen(this.#cfg.listen.host, this.#cfg.listen.port);
        this.#log.info({ address: `${addr.host}:${addr.port}`, upstreams: this.#cfg.upstreams.map((u) => u.host) }, 'cluster DNS listening');
        this.#cfg.onListening?.(addr);
        return true;
      } catch (err) {
        this.#log.warn({ err: (err as Error).message, address: `${this.#cfg.listen.host}:${this.#cfg.listen.port}` }, 'cluster DNS cannot listen yet; retrying');
        await realClock.sleep(delay, signal).catch(() => {});
        delay = Math.min(delay * 2, 10_000);
      }
    }
    return false;
  }

  /** Writes the node's slice whenever it or the Service differs from what it should be. */
  async #keepSlice(signal: AbortSignal): Promise<void> {
    const slices = this.#cfg.client.resource<EndpointSlice>('endpointslices', KUBE_DNS.namespace);
    const name = nodeSliceName(this.#cfg.nodeName);
    await Promise.all([this.#services.synced, this.#slices.synced]).catch(() => {});
    this.#sliceBell.ring();
    while (!signal.aborted) {
      try {
        await this.#sliceBell.wait(signal);
      } catch {
        return;
      }
      const svc = this.#services.get(`${KUBE_DNS.namespace}/${KUBE_DNS.name}`);
      const want = nodeDnsSlice(this.#cfg.nodeName, this.#cfg.listen.host, svc);
      const have = this.#slices.get(`${KUBE_DNS.namespace}/${name}`);
      if (have && sliceUpToDate(have, want)) continue;
      try {
        // The owner is the current Service's, or none while it does not exist (never a deleted one's).
        const metadata = { ...have?.metadata, ...want.metadata, ownerReferences: want.metadata?.ownerReferences ?? [] };
        if (have) await slices.update({ ...want, metadata }, { signal });
        else await slices.create(want, { signal });
        this.#log.info({ slice: name, address: this.#cfg.listen.host }, have ? 'updated the node DNS endpoint' : 'published the node DNS endpoint');
      } catch (err) {
        if (signal.aborted) return;
        if (!isConflict(err) && !isAlreadyExists(err) && !isNotFound(err)) {
          this.#log.warn({ err: (err as Error).message, slice: name }, 'writing the node DNS endpoint failed; retrying');
          await realClock.sleep(1000, signal).catch(() => {});
        }
        this.#sliceBell.ring();
      }
    }
  }

  /** Deletes the node's slice when no pod is bound to the node any more (a plain stop with pods keeps it). */
  async #removeSliceIfIdle(): Promise<void> {
    const signal = AbortSignal.timeout(2000);
    try {
      const pods = await this.#cfg.client
        .resource('pods')
        .list({ fieldSelector: `spec.nodeName=${this.#cfg.nodeName}`, limit: 1, signal });
      if (pods.items.length > 0) return;
      await this.#cfg.client.resource<EndpointSlice>('endpointslices', KUBE_DNS.namespace).delete(nodeSliceName(this.#cfg.nodeName), { signal });
      this.#log.info({ slice: nodeSliceName(this.#cfg.nodeName) }, 'removed the node DNS endpoint (no pod left on the node)');
    } catch (err) {
      if (!isNotFound(err)) this.#log.warn({ err: (err as Error).message }, 'removing the node DNS endpoint failed');
    }
  }
}
