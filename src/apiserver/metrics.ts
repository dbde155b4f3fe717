/**
 * The API server's Prometheus metrics, with upstream's names, labels and buckets (k8s.io/apiserver
 * pkg/endpoints/metrics and pkg/storage/etcd3/metrics): `apiserver_request_total`,
 * `apiserver_request_duration_seconds`, `apiserver_storage_objects` and `etcd_request_duration_seconds`.
 *
 * Every metric lives in the registry it is given (no global state: several servers share one test process);
 * `cmd` passes the process's registry, which the scheduler and controllers fill too, and `GET /metrics`
 * renders it. `instrumentStore` wraps any Store backend, so the etcd histogram covers sqlite and memory too.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Store } from '../storage/index.ts';
import type { ResourceRequest } from './request-info.ts';

/** Upstream's buckets for apiserver_request_duration_seconds and etcd_request_duration_seconds. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

const REQUEST_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;

/** What one finished request is counted under. */
export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

export class ApiServerMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<(typeof REQUEST_LABELS)[number] | 'code'>;
  readonly #duration: Histogram<(typeof REQUEST_LABELS)[number]>;
  readonly #storage: Histogram<'operation' | 'type'>;

  /** `objects` counts the stored objects per resource (`pods`, `deployments.apps`) when scraped. */
  constructor(registry: Registry, objects: () => Iterable<[resource: string, count: number]>) {
    this.registry = registry;
    this.#requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...REQUEST_LABELS, 'code'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [...REQUEST_LABELS],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [registry],
    });
    this.#storage = new Histogram({
      name: 'etcd_request_duration_seconds',
      help: 'Etcd request latency in seconds for each operation and object type.',
      labelNames: ['operation', 'type'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      labelNames: ['resource'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [resource, count] of objects()) this.set({ resource }, count);
      },
    });
  }

  /** Counts a finished request and observes its latency. */
  observeRequest(labels: RequestLabels, code: number, seconds: number): void {
    this.#requests.inc({ ...labels, code: String(code) });
    this.#duration.observe(labels, seconds);
  }

  /** Observes one store call of `type` (`pods`, `deployments.apps`). */
  observeStorage(operation: string, type: string, seconds: number): void {
    this.#storage.observe({ operation, type }, seconds);
  }
}

/**
 * The labels upstream gives a request: the verb in capitals (LIST and WATCH for collection reads, APPLY for
 * server-side apply, CONNECT for proxies and streams), and the scope `resource` (named, or a create),
 * `namespace`, `cluster`, or empty for a non-resource path.
 */
export function requestLabels(method: string, info: ResourceRequest | undefined, query: URLSearchParams, contentType: string | undefined): RequestLabels {
  const dryRun = query.getAll('dryRun').filter((v) => v).sort().join(',');
  if (!info) return { verb: method.toUpperCase(), dry_run: dryRun, group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver' };
  let verb = method.toUpperCase();
  if (info.verb === 'list') verb = 'LIST';
  else if (info.verb === 'watch') verb = 'WATCH';
  else if (info.verb === 'connect') verb = 'CONNECT';
  else if (verb === 'PATCH' && contentType?.startsWith('application/apply-patch')) verb = 'APPLY';
  const scope = info.name || info.verb === 'create' ? 'resource' : info.namespace ? 'namespace' : 'cluster';
  return {
    verb, dry_run: dryRun, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, scope, component: 'apiserver',
  };
}

/** `store` with every call timed into etcd_request_duration_seconds{operation, type}. */
export function instrumentStore(store: Store, type: string, metrics: ApiServerMetrics): Store {
  const timed = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await call();
    } finally {
      metrics.observeStorage(operation, type, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  return {
    get: (key, options) => timed('get', () => store.get(key, options)),
    list: (prefix, options) => timed('list', () => store.list(prefix, options)),
    count: (prefix) => timed('listWithCount', () => store.count(prefix)),
    create: (key, value) => timed('create', () => store.create(key, value)),
    update: (key, value, rev) => timed('update', () => store.update(key, value, rev)),
    delete: (key, rev) => timed('delete', () => store.delete(key, rev)),
    watch: (prefix, options) => store.watch(prefix, options),
    currentRevision: () => timed('getCurrentRV', () => store.currentRevision()),
    compact: (revision) => store.compact(revision),
    close: () => store.close(),
  };
}
