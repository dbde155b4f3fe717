/**
 * The `default/kubernetes` Service and its Endpoints and EndpointSlice, pointing at the API servers (upstream's
 * controlplane "kubernetes service" controller with the lease endpoint reconciler, simplified):
 *
 * - Each API server keeps a lease key `/kubeling/masterleases/<ip>` (its address, port and renew time) fresh
 *   every `intervalMs`; leases older than `leaseTtlMs` belong to servers that died and are removed.
 * - Every pass ensures the Service (clusterIP = the service CIDR's first address, port `https` 443 -> the
 *   server's port, TCP) and writes the Endpoints and the EndpointSlice from the live leases, so with several
 *   API servers on one etcd each keeps itself listed and a stopped one drops out.
 * - On stop the server removes its own lease and rewrites the endpoints without itself (RemoveEndpoints).
 *
 * As upstream, the Endpoints carry `endpointslice.kubernetes.io/skip-mirror: "true"` and the slice only
 * `kubernetes.io/service-name: kubernetes` (no managed-by: the EndpointSlice controller leaves it alone, since
 * the Service has no selector). Writes go through the registries, so validation applies as for any client.
 */
import { isDeepStrictEqual } from 'node:util';
import type { EndpointSlice, Endpoints, KubeObject, Service } from '../../api/index.ts';
import type { Store } from '../../storage/index.ts';
import type { Logger } from '../../machinery/index.ts';
import type { GenericRegistry } from '../registry/generic.ts';
import { ApiError } from '../status.ts';

export const MASTER_LEASE_PREFIX = '/kubeling/masterleases/';
const NAME = 'kubernetes';
const NAMESPACE = 'default';

export interface KubernetesServiceConfig {
  store: Store;
  services: GenericRegistry;
  endpoints: GenericRegistry;
  endpointSlices: GenericRegistry;
  /** The Service's cluster IP (the service CIDR's first address). */
  clusterIP: string;
  /** This server's advertised address and port. */
  address: string;
  port: number;
  now: () => number;
  intervalMs?: number;
  leaseTtlMs?: number;
  logger?: Logger;
}

interface Lease {
  ip: string;
  port: number;
  renewTime: number;
}

export class KubernetesServiceController {
  readonly #c: KubernetesServiceConfig;

  constructor(config: KubernetesServiceConfig) {
    this.#c = config;
  }

  get #ttl(): number {
    return this.#c.leaseTtlMs ?? 15_000;
  }

  /** One pass: renew this server's lease, ensure the Service, write the endpoints from the live leases. */
  async reconcile(): Promise<void> {
    await this.#renewLease();
    await this.#ensureService();
    await this.#writeEndpoints(await this.#liveLeases());
  }

  /** Leaves the cluster: drops this server's lease and its address from the endpoints. */
  async remove(): Promise<void> {
    const key = MASTER_LEASE_PREFIX + this.#c.address;
    const kv = await this.#c.store.get(key);
    if (kv && (JSON.parse(Buffer.from(kv.value).toString()) as Lease).port === this.#c.port) await this.#c.store.delete(key, kv.modRevision);
    await this.#writeEndpoints(await this.#liveLeases());
  }

  /** Runs passes until `signal`, then removes this server (best effort). Resolves once the first pass ran. */
  async run(signal: AbortSignal, firstPass?: (err?: unknown) => void): Promise<void> {
    let first = true;
    while (!signal.aborted) {
      try {
        await this.reconcile();
        if (first) firstPass?.();
      } catch (err) {
        if (first) firstPass?.(err);
        if (!signal.aborted) this.#c.logger?.warn({ err: String(err) }, 'kubernetes service reconcile failed');
      }
      first = false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.#c.intervalMs ?? 10_000);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
    await this.remove().catch((err) => this.#c.logger?.warn({ err: String(err) }, 'could not remove this server from the kubernetes endpoints'));
  }

  async #renewLease(): Promise<void> {
    const key = MASTER_LEASE_PREFIX + this.#c.address;
    const value = Buffer.from(JSON.stringify({ ip: this.#c.address, port: this.#c.port, renewTime: this.#c.now() } satisfies Lease));
    for (let i = 0; i < 5; i++) {
      const kv = await this.#c.store.get(key);
      const r = kv ? await this.#c.store.update(key, value, kv.modRevision) : await this.#c.store.create(key, value);
      if (r.ok) return;
    }
  }

  async #liveLeases(): Promise<Lease[]> {
    const { kvs } = await this.#c.store.list(MASTER_LEASE_PREFIX);
    const live: Lease[] = [];
    for (const kv of kvs) {
      const lease = JSON.parse(Buffer.from(kv.value).toString()) as Lease;
      if (this.#c.now() - lease.renewTime <= this.#ttl) live.push(lease);
      else await this.#c.store.delete(kv.key, kv.modRevision);
    }
    return live.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  }

  async #ensureService(): Promise<void> {
    const ports = [{ name: 'https', port: 443, protocol: 'TCP' as const, targetPort: this.#c.port }];
    const current = (await this.#c.services.tryGet(NAMESPACE, NAME)) as unknown as Service | undefined;
    if (!current) {
      const svc: Service = {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: NAME, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: this.#c.clusterIP, clusterIPs: [this.#c.clusterIP], ports, sessionAffinity: 'None' },
      };
      await ignoreConflict(this.#c.services.create(NAMESPACE, svc as unknown as KubeObject));
      return;
    }
    if (isDeepStrictEqual(current.spec?.ports, ports) && current.spec?.type === 'ClusterIP') return;
    await ignoreConflict(this.#c.services.guaranteedUpdate(NAMESPACE, NAME, {}, (obj) => {
      const svc = obj as unknown as Service;
      svc.spec = { ...svc.spec, type: 'ClusterIP', ports };
      return obj!;
    }));
  }

  async #writeEndpoints(leases: Lease[]): Promise<void> {
    const byPort = new Map<number, string[]>();
    for (const l of leases) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l.ip]);
    const ep: Endpoints = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name: NAME, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [...byPort].map(([port, ips]) => ({ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' as const }] })),
    };
    if (!ep.subsets!.length) delete ep.subsets;
    await this.#put(this.#c.endpoints, ep as unknown as KubeObject, (o) => ({ labels: o.metadata?.labels, subsets: (o as unknown as Endpoints).subsets }));
    // One slice, as upstream's reconciler writes it: every server's address, each ready; the port of this server.
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
      addressType: 'IPv4',
      endpoints: leases.map((l) => ({ addresses: [l.ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port: this.#c.port, protocol: 'TCP' }],
    };
    await this.#put(this.#c.endpointSlices, slice as unknown as KubeObject, (o) => {
      const s = o as unknown as EndpointSlice;
      return { labels: o.metadata?.labels, addressType: s.addressType, endpoints: s.endpoints, ports: s.ports };
    });
  }

  /** Creates or replaces the object unless what `view` shows of it already matches. */
  async #put(registry: GenericRegistry, desired: KubeObject, view: (o: KubeObject) => unknown): Promise<void> {
    const current = await registry.tryGet(NAMESPACE, NAME);
    if (!current) return ignoreConflict(registry.create(NAMESPACE, structuredClone(desired)));
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(view(current))), JSON.parse(JSON.stringify(view(desired))))) return;
    await ignoreConflict(registry.guaranteedUpdate(NAMESPACE, NAME, {}, (obj) => {
      const { metadata, ...rest } = structuredClone(desired);
      for (const k of Object.keys(obj!)) if (k !== 'metadata') delete obj![k];
      Object.assign(obj!, rest);
      obj!.metadata = { ...obj!.metadata, labels: metadata?.labels };
      return obj!;
    }));
  }
}

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // Another API server wrote it first; the next pass looks again.
    if (err instanceof ApiError && (err.code === 409 || err.code === 404)) return;
    throw err;
  }
}
