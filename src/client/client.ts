/**
 * `Client`: kubeling's typed Kubernetes REST client, the only way scheduler, controllers, kubelet and CLI
 * reach the cluster (DESIGN.md: every component talks through the API server, even in one process).
 * `client.resource<Pod>('pods', 'default')` gives the verbs of one resource; informers and the event
 * recorder build on it.
 */
import { resolveResource, type ResourceInfo } from '../api/index.ts';
import { loadKubeconfig } from './kubeconfig.ts';
import { ResourceClient, type KubeObjectLike, type ResourceRef } from './resource.ts';
import { Transport, type ClientConfig, type RequestOptions } from './transport.ts';

export class Client {
  readonly transport: Transport;
  /** The kubeconfig context's namespace (or `default`): what the CLI uses when none is given. */
  readonly defaultNamespace: string;
  readonly #config: ClientConfig & { namespace?: string };

  constructor(config: ClientConfig & { namespace?: string }) {
    this.transport = new Transport(config);
    this.defaultNamespace = config.namespace || 'default';
    this.#config = config;
  }

  /** The settings this client was made with (what `with` starts from; a worker thread builds its own client from them). */
  get config(): Readonly<ClientConfig & { namespace?: string }> {
    return this.#config;
  }

  /**
   * Another client to the same server with some settings changed (its own connections and rate limiter):
   * how a component takes its own limits, e.g. `client.with({ qps: 20, burst: 30 })` for controllers.
   */
  with(overrides: Partial<ClientConfig>): Client {
    return new Client({ ...this.#config, ...overrides });
  }

  static async fromKubeconfig(file: string, opts: { context?: string; userAgent?: string } = {}): Promise<Client> {
    const config = await loadKubeconfig(file, opts);
    return new Client({ ...config, userAgent: opts.userAgent });
  }

  /**
   * The verbs of one resource. `resource` is a `ResourceInfo` (api's RESOURCES), or a name kubectl would
   * accept (`pods`, `po`, `deployments.apps`). A namespaced resource without `namespace` lists and watches
   * across all namespaces and takes the namespace of objects it writes from their metadata.
   */
  resource<T extends KubeObjectLike = KubeObjectLike>(resource: ResourceRef | ResourceInfo | string, namespace?: string): ResourceClient<T> {
    let ref: ResourceRef;
    if (typeof resource === 'string') {
      const found = resolveResource(resource);
      if (!found) throw new Error(`client: the server doesn't have a resource type "${resource}"`);
      ref = found;
    } else {
      ref = resource;
    }
    return new ResourceClient<T>(this.transport, ref, namespace);
  }

  /** A raw JSON request (discovery, /version, anything without a resource). */
  request<R = unknown>(opts: RequestOptions): Promise<R> {
    return this.transport.request<R>(opts);
  }

  /** Drops idle keep-alive connections (call when the component stops). */
  close(): void {
    this.transport.close();
  }
}
