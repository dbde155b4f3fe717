/**
 * The API server: an HTTPS listener in front of one GenericRegistry (and watch cache) per served resource.
 *
 *   request ─▶ authn (bearer token) ─▶ non-resource paths (version, health, discovery, OpenAPI)
 *                                   └▶ resource path ─▶ verb handler ─▶ registry ─▶ admission/strategy ─▶ store
 *
 * `start()` starts the watch caches and the server's own loops (namespace bootstrap, default service accounts,
 * namespace cleanup) and resolves when they are ready; `listen()` opens the port; `stop()` closes the port,
 * ends every watch and awaits every loop. Errors become Status objects only through status.ts.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { RESOURCES, type KubeObject, type ResourceInfo } from '../api/index.ts';
import type { Store } from '../storage/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { AdmissionChain, type AdmissionLookup } from './admission/chain.ts';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.ts';
import { ServiceAccountAdmission } from './admission/service-account.ts';
import { DefaultTolerationSeconds } from './admission/default-toleration-seconds.ts';
import { TokenAuthenticator, type User } from './auth/tokens.ts';
import { alwaysAllow, forbiddenMessage, type Attributes, type Authorizer } from './authz/authorizer.ts';
import { servingTlsOptions } from './auth/certs.ts';
import { runEventTtlController, runNamespaceController, runServiceAccountsController } from './controllers.ts';
import {
  DISCOVERY_V2, DISCOVERY_V2BETA1, VERSION_INFO, aggregatedDiscovery, apiResourceList, legacyApiGroup, legacyApiGroupList,
  legacyApiVersions, negotiateDiscovery, openApiDocument, openApiIndex,
} from './discovery.ts';
import { sendJson, sendStatus } from './http.ts';
import { KUBELET_SUBRESOURCES, handleBinding, handleEphemeralContainers, handleEviction, handleLog, handleUpgrade, rejectNonUpgrade, type PodDeps } from './pod-subresources.ts';
import { GenericRegistry, strategyFor, VIRTUAL_RESOURCES } from './registry/index.ts';
import { parseResourcePath } from './request-info.ts';
import type { RequestContext } from './request-context.ts';
import {
  handleCreate, handleDelete, handleDeleteCollection, handleGet, handleList, handlePatch, handleUpdate, handleWatch, type HandlerDeps,
} from './resource-handler.ts';
import { ApiError, forbidden, methodNotAllowed, toStatus, unauthorized, type Status } from './status.ts';
import { writeUpgradeError } from './kubelet-proxy.ts';
import { ServiceAccountTokens } from './auth/service-account-tokens.ts';
import { handleTokenRequest } from './token-request.ts';
import { handleScale } from './scale.ts';
import { handleSelfSubjectReview, type SelfSubjectResource } from './self-subject-review.ts';
import { propagateDeletion } from './propagation.ts';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ServiceAllocators } from './services/allocators.ts';
import { ServiceAllocation } from './services/service-allocation.ts';
import { serviceStrategy } from './registry/services.ts';
import { repairAllocations } from './services/repair.ts';
import { KubernetesServiceController } from './services/kubernetes-service.ts';
import { advertiseAddress, listensOnLoopbackOnly } from './services/advertise-address.ts';
import { handleServiceProxy } from './services/service-proxy.ts';
import { RequestLimits, listenerOptions, type LimitsConfig } from './limits/index.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiServerConfig {
  store: Store;
  /** PEM serving certificate and key. */
  tls: { certPem: string; keyPem: string };
  /** The CA that signed the serving certificate (published as kube-root-ca.crt). */
  caPem: string;
  authenticator: TokenAuthenticator;
  /** Decides every authenticated request (`--authorization-mode`); every request is allowed when absent. */
  authorizer?: Authorizer;
  /** The token the server presents to kubelets (logs, exec, attach, port-forward). */
  kubeletToken: string;
  clock?: Clock;
  logger?: Logger;
  watchCacheCapacity?: number;
  /** Consistent lists from the watch cache (default true); only while this server is the store's single writer. */
  consistentListFromCache?: boolean;
  /** How often watches that asked for bookmarks get one (default 60 s). */
  bookmarkIntervalMs?: number;
  /** How long Events live after they were last seen (default 1 h, like --event-ttl). */
  eventTtlMs?: number;
  /** Signs service account tokens (TokenRequest); a fresh key per process when absent. */
  serviceAccountKey?: KeyObject;
  /** `--service-cidr`: where Services' cluster IPs come from (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  serviceNodePortRange?: string;
  /**
   * The address the `default/kubernetes` Endpoints list for this server (--advertise-address); default the
   * listen address, or the host's primary IPv4 address when listening on a wildcard or loopback address.
   */
  advertiseAddress?: string;
  /** How often this server renews its lease and rewrites the kubernetes endpoints (default 10 s). */
  kubernetesServiceIntervalMs?: number;
  /** How long a server's lease lives unrenewed before it leaves the kubernetes endpoints (default 15 s). */
  masterLeaseTtlMs?: number;
  /** How old an allocation key without a Service must be before the repair pass frees it (default 60 s). */
  allocationRepairGraceMs?: number;
  /**
   * When `listen` gets a loopback address, also serve on the advertise address (same port), so pods, which
   * reach the API through the `kubernetes` Service's endpoints, find it. Failing to bind there is logged.
   */
  alsoListenOnAdvertiseAddress?: boolean;
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds (default 300 each). */
  defaultTolerationSeconds?: { notReady?: number; unreachable?: number };
  /** Abuse limits: in-flight requests, watches per user, request and header timeouts (limits/). */
  limits?: LimitsConfig;
}

const SELF_SUBJECT: Record<string, true> = {
  'authentication.k8s.io/v1/selfsubjectreviews': true,
  'authorization.k8s.io/v1/selfsubjectaccessreviews': true,
  'authorization.k8s.io/v1/selfsubjectrulesreviews': true,
};

/** What the real apiserver answers for a path it does not serve. */
const NOT_FOUND: Status = toStatus(new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}));

export class ApiServer {
  readonly #config: ApiServerConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #registries = new Map<string, GenericRegistry>();
  readonly #server: https.Server;
  /** The extra listener on the advertise address (alsoListenOnAdvertiseAddress). */
  #advertiseServer: https.Server | undefined;
  readonly #stop = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly #saTokens: ServiceAccountTokens;
  readonly #serviceAllocation: ServiceAllocation;
  readonly #limits: RequestLimits;
  #address = '';

  constructor(config: ApiServerConfig) {
    this.#config = config;
    this.#clock = config.clock ?? realClock;
    this.#logger = config.logger ?? createLogger('apiserver');
    this.#limits = new RequestLimits(config.limits);
    this.#saTokens = new ServiceAccountTokens(config.serviceAccountKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const lookup: AdmissionLookup = { get: (resource, ns, name) => this.#lookup(resource, ns, name) };
    const admission = new AdmissionChain([new NamespaceLifecycle(lookup), new ServiceAccountAdmission(lookup), new DefaultTolerationSeconds({
      notReadySeconds: config.defaultTolerationSeconds?.notReady, unreachableSeconds: config.defaultTolerationSeconds?.unreachable,
    })]);
    this.#serviceAllocation = new ServiceAllocation(new ServiceAllocators({
      store: config.store, serviceCidr: config.serviceCidr, nodePortRange: config.serviceNodePortRange, now: () => this.#clock.now(),
    }));
    const onHookError = (err: unknown) => this.#logger.warn({ err: String(err) }, 'after-delete hook failed');
    for (const info of RESOURCES) {
      if (VIRTUAL_RESOURCES.has(`${info.group}/${info.plural}`)) continue;
      const strategy = info.group === '' && info.plural === 'services' ? serviceStrategy(info, this.#serviceAllocation) : strategyFor(info);
      const registry = new GenericRegistry({ strategy, store: config.store, admission, clock: this.#clock, watchCacheCapacity: config.watchCacheCapacity, consistentListFromCache: config.consistentListFromCache, onHookError });
      this.#registries.set(`${info.groupVersion}/${info.plural}`, registry);
    }
    this.#server = this.#httpsServer();
  }

  #httpsServer(): https.Server {
    // Header, handshake and keep-alive timeouts bound slow clients (limits/); the request timeout is per request.
    const server = https.createServer({ ...servingTlsOptions(this.#config.tls), ...listenerOptions(this.#config.limits) }, (req, res) => {
      this.#handle(req, res).catch((err) => this.#fail(res, err)).finally(() => this.#limits.done(req));
    });
    // Watches and log streams are long; Node's socket inactivity timer would cut them.
    server.timeout = 0;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(req, socket, head).catch((err) => writeUpgradeError(socket, toStatus(err, undefined, (e) => this.#logger.error({ err: e }, 'upgrade failed'))));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    return server;
  }

  /** The service IP and node port allocators (tests and the repair pass). */
  get serviceAllocators(): ServiceAllocators {
    return this.#serviceAllocation.allocators;
  }

  /** One repair pass of the service IP and node port allocations (also run at start and every 3 minutes). */
  repairServiceAllocations() {
    const services = this.registry('services');
    return repairAllocations({
      allocators: this.#serviceAllocation.allocators,
      listServices: async () => (await services.list('')).items as never,
      now: () => this.#clock.now(),
      graceMs: this.#config.allocationRepairGraceMs,
      logger: this.#logger,
    });
  }

  /** The registry of a resource (`pods`, or `leases` with group `coordination.k8s.io`). */
  registry(plural: string, group = ''): GenericRegistry {
    for (const r of this.#registries.values()) if (r.info.plural === plural && r.info.group === group) return r;
    throw new Error(`no registry for ${plural}${group ? `.${group}` : ''}`);
  }

  async #lookup(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const r = this.registry(resource);
    return r.cache.get(r.key(namespace, name)) ?? (await r.tryGet(namespace, name));
  }

  /** Starts the watch caches and the server's loops; resolves when the caches are loaded and namespaces exist. */
  async start(): Promise<void> {
    const signal = this.#stop.signal;
    for (const r of this.#registries.values()) this.#loops.push(r.cache.run(signal));
    await Promise.all([...this.#registries.values()].map((r) => r.cache.ready));
    const namespaces = this.registry('namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      if (!(await namespaces.tryGet('', name))) {
        await namespaces.create('', { metadata: { name } }).catch((err) => {
          if (!(err instanceof ApiError && err.code === 409)) throw err;
        });
      }
    }
    const logger = this.#logger;
    this.#loops.push(
      runServiceAccountsController({ namespaces, serviceAccounts: this.registry('serviceaccounts'), configMaps: this.registry('configmaps'), caPem: this.#config.caPem, logger }, signal),
      runNamespaceController({ namespaces, namespaced: [...this.#registries.values()].filter((r) => r.info.namespaced), logger }, signal),
      runEventTtlController({ events: [this.registry('events'), this.registry('events', 'events.k8s.io')], ttlMs: this.#config.eventTtlMs, now: () => this.#clock.now(), logger }, signal),
    );
    await this.repairServiceAllocations();
    this.#loops.push(this.#repairLoop(signal));
  }

  async #repairLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 180_000);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      if (signal.aborted) return;
      await this.repairServiceAllocations().catch((err) => this.#logger.warn({ err: String(err) }, 'service allocation repair failed'));
    }
  }

  /**
   * Starts the `default/kubernetes` Service controller for this server's address and port; resolves after its
   * first pass. `listen` calls it, since the port is known only then.
   */
  async #startKubernetesService(host: string, port: number): Promise<void> {
    if (this.#stop.signal.aborted) return;
    const controller = new KubernetesServiceController({
      store: this.#config.store,
      services: this.registry('services'),
      endpoints: this.registry('endpoints'),
      endpointSlices: this.registry('endpointslices', 'discovery.k8s.io'),
      clusterIP: this.#serviceAllocation.allocators.kubernetesIP,
      address: advertiseAddress(host, this.#config.advertiseAddress),
      port,
      now: () => this.#clock.now(),
      intervalMs: this.#config.kubernetesServiceIntervalMs,
      leaseTtlMs: this.#config.masterLeaseTtlMs,
      logger: this.#logger,
    });
    let firstPass!: (err?: unknown) => void;
    const first = new Promise<void>((resolve) => { firstPass = () => resolve(); });
    this.#loops.push(controller.run(this.#stop.signal, firstPass));
    await first;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const addr = this.#server.address() as AddressInfo;
    this.#address = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    await this.#listenOnAdvertiseAddress(host, addr.port);
    await this.#startKubernetesService(host, addr.port);
    return addr;
  }

  async #listenOnAdvertiseAddress(host: string, port: number): Promise<void> {
    const advertise = advertiseAddress(host, this.#config.advertiseAddress);
    if (!this.#config.alsoListenOnAdvertiseAddress || !listensOnLoopbackOnly(host) || listensOnLoopbackOnly(advertise)) return;
    const server = this.#httpsServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, advertise, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.#advertiseServer = server;
      this.#logger.info({ address: `${advertise}:${port}` }, 'also serving on the advertise address, for pods');
    } catch (err) {
      this.#logger.warn({ address: `${advertise}:${port}`, err: String(err) }, 'cannot serve on the advertise address; pods will not reach the API server');
    }
  }

  /** Closes the port and every open connection (watches included), stops the loops and waits for them. */
  async stop(): Promise<void> {
    this.#stop.abort();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    const extra = this.#advertiseServer;
    const extraClosed = extra ? new Promise<void>((resolve) => extra.close(() => resolve())) : Promise.resolve();
    extra?.closeAllConnections();
    const results = await Promise.allSettled([closed, extraClosed, ...this.#loops]);
    for (const r of results) if (r.status === 'rejected' && !this.#stop.signal.aborted) this.#logger.warn({ err: String(r.reason) }, 'loop failed');
  }

  #fail(res: ServerResponse, err: unknown, ref?: { resource: { group: string; resource: string }; name: string }): void {
    const status = toStatus(err, ref, (e) => this.#logger.error({ err: e }, 'internal error'));
    // A refused body is not drained: the connection closes after the answer.
    if (status.code === 413 && !res.headersSent) res.setHeader('Connection', 'close');
    sendStatus(res, status);
  }

  /** A static token (admin, node), or a service account token this server issued for an existing account. */
  #authenticate(req: IncomingMessage): User | undefined {
    const auth = req.headers.authorization;
    const user = this.#config.authenticator.authenticate(auth);
    if (user || !auth) return user;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    const claims = token ? this.#saTokens.verify(token, Math.floor(this.#clock.now() / 1000)) : undefined;
    if (!claims) return undefined;
    const k = claims['kubernetes.io'];
    const sas = this.registry('serviceaccounts');
    const sa = sas.cache.get(sas.key(k.namespace, k.serviceaccount.name));
    if (!sa || sa.metadata?.uid !== k.serviceaccount.uid) return undefined;
    return { name: claims.sub, groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'] };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Health and version are public, as system:public-info-viewer makes them in Kubernetes.
      if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end('ok');
        return;
      }
      if (path === '/version') return sendJson(res, 200, VERSION_INFO);
    }
    const user = this.#authenticate(req) ?? anonymousUser(req, path, url.searchParams);
    if (!user) return sendStatus(res, toStatus(unauthorized()));
    const info = parseResourcePath(req.method ?? 'GET', path, url.searchParams);
    if (!this.#limits.admit(req, res, user, info)) return;
    const denied = await this.#authorize(user, req.method ?? 'GET', path, info);
    if (denied) return sendStatus(res, denied);
    if (req.method === 'GET' && this.#serveNonResource(req, res, path)) return;
    if (!info) return sendStatus(res, NOT_FOUND);
    const podDeps: PodDeps = { nodes: this.registry('nodes'), podDisruptionBudgets: this.registry('poddisruptionbudgets', 'policy'), kubeletToken: this.#config.kubeletToken, now: () => this.#clock.now() };
    // POST /api/v1/namespaces/{ns}/bindings: the scheduler's older form of pods/binding.
    if (info.groupVersion === 'v1' && info.resource === 'bindings' && !info.name && req.method === 'POST') {
      const ctx = this.#context(req, res, url, info, this.registry('pods'), user);
      return handleBinding(ctx, podDeps, '');
    }
    if (SELF_SUBJECT[`${info.groupVersion}/${info.resource}`] && !info.namespace && !info.name) {
      try {
        return await handleSelfSubjectReview(req, res, info.resource as SelfSubjectResource, user);
      } catch (err) {
        return this.#fail(res, err);
      }
    }
    const registry = this.#registries.get(`${info.groupVersion}/${info.resource}`);
    if (!registry) return sendStatus(res, NOT_FOUND);
    // Routes the real apiserver does not register: a namespaced object without its namespace (only list and
    // watch span namespaces), or a cluster-scoped resource under a namespace.
    if (registry.info.namespaced && !info.namespace && info.verb !== 'list' && info.verb !== 'watch') return sendStatus(res, NOT_FOUND);
    if (!registry.info.namespaced && info.namespace) return sendStatus(res, NOT_FOUND);
    const ref = { resource: registry.qualified, name: info.name };
    const ctx = this.#context(req, res, url, info, registry, user);
    try {
      await this.#dispatch(ctx, podDeps);
    } catch (err) {
      this.#fail(res, err, ref);
    }
  }

  /** The 403 Status when the authorizer does not allow the request, else undefined. */
  async #authorize(user: User, method: string, path: string, info: RequestContext['info'] | undefined): Promise<Status | undefined> {
    const authorizer = this.#config.authorizer ?? alwaysAllow;
    const attrs: Attributes = info
      ? {
        user, verb: info.verb === 'connect' ? method.toLowerCase() : info.verb, resourceRequest: true, namespace: info.namespace,
        apiGroup: info.group, apiVersion: info.version, resource: info.resource, subresource: info.subresource, name: info.name, path,
      }
      : { user, verb: method.toLowerCase(), resourceRequest: false, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '', path };
    const result = await authorizer.authorize(attrs);
    if (result.decision === 'Allow') return undefined;
    const message = forbiddenMessage(attrs, result.reason);
    if (!info) return toStatus(new ApiError(403, 'Forbidden', `forbidden: ${message}`, {}));
    return toStatus(forbidden({ group: info.group, resource: info.resource }, info.name, message));
  }

  #context(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestContext['info'], registry: GenericRegistry, user: User): RequestContext {
    return { req, res, url, query: url.searchParams, info, registry, user, warnings: [] };
  }

  async #dispatch(ctx: RequestContext, podDeps: PodDeps): Promise<void> {
    const { info, registry } = ctx;
    const deps: HandlerDeps = {
      now: () => this.#clock.now(),
      bookmarkIntervalMs: this.#config.bookmarkIntervalMs ?? 60_000,
      propagate: (owner, options, dryRun) => propagateDeletion(this.#registries.values(), owner, options, dryRun),
    };
    const sub = info.subresource;
    if ((sub === 'proxy' || sub.startsWith('proxy/')) && registry.info.plural === 'services' && registry.info.group === '' && info.name) {
      return handleServiceProxy(ctx, { endpointSlices: this.registry('endpointslices', 'discovery.k8s.io') });
    }
    if (sub) {
      const r = registry.info;
      const known = r.subresources.some((s) => s.name === sub);
      if (!known || !info.name) return sendStatus(ctx.res, NOT_FOUND);
      if (r.plural === 'pods' && r.group === '') {
        if (sub === 'binding') {
          if (ctx.req.method !== 'POST') throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
          return handleBinding(ctx, podDeps, info.name);
        }
        if (sub === 'eviction') {
          if (ctx.req.method !== 'POST') throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
          return handleEviction(ctx, podDeps);
        }
        if (sub === 'ephemeralcontainers') return handleEphemeralContainers(ctx);
        if (sub === 'log') return handleLog(ctx, podDeps);
        if (KUBELET_SUBRESOURCES.has(sub)) rejectNonUpgrade();
      }
      if (sub === 'scale' && (r.group === 'apps' || r.plural === 'replicationcontrollers')) return handleScale(ctx);
      if (r.plural === 'serviceaccounts' && r.group === '' && sub === 'token') {
        return handleTokenRequest(ctx, { tokens: this.#saTokens, pods: this.registry('pods'), now: () => this.#clock.now() });
      }
      if (sub !== 'status' && sub !== 'finalize') throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
      if (ctx.req.method === 'GET') return handleGet(ctx, deps);
      if (ctx.req.method === 'PUT') return handleUpdate(ctx);
      if (ctx.req.method === 'PATCH') return handlePatch(ctx);
      throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
    }
    const allowed = (verb: string) => {
      const v = verb === 'deletecollection' ? 'deletecollection' : verb;
      if (!registry.info.verbs.includes(v as ResourceInfo['verbs'][number])) throw methodNotAllowed(verb, registry.qualified);
    };
    switch (info.verb) {
      case 'get':
        allowed('get');
        return handleGet(ctx, deps);
      case 'list':
        allowed('list');
        return handleList(ctx, deps);
      case 'watch':
        allowed('watch');
        return handleWatch(ctx, deps);
      case 'create':
        allowed('create');
        if (info.name) throw methodNotAllowed('create', registry.qualified);
        return handleCreate(ctx);
      case 'update':
        allowed('update');
        if (!info.name) throw methodNotAllowed('update', registry.qualified);
        return handleUpdate(ctx);
      case 'patch':
        allowed('patch');
        if (!info.name) throw methodNotAllowed('patch', registry.qualified);
        return handlePatch(ctx);
      case 'delete':
        allowed('delete');
        return handleDelete(ctx, deps);
      case 'deletecollection':
        return handleDeleteCollection(ctx);
      default:
        throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
    }
  }

  /** Discovery and OpenAPI; returns false when the path is not one of them. */
  #serveNonResource(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const accept = req.headers.accept;
    if (path === '/api' || path === '/apis') {
      const core = path === '/api';
      const form = negotiateDiscovery(accept);
      if (form === 'legacy') sendJson(res, 200, core ? legacyApiVersions(this.#address) : legacyApiGroupList(), { Vary: 'Accept' });
      else sendJson(res, 200, aggregatedDiscovery(core, form), { 'Content-Type': form === 'v2' ? DISCOVERY_V2 : DISCOVERY_V2BETA1, Vary: 'Accept' });
      return true;
    }
    let m = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (m) {
      const list = apiResourceList(m[1]!);
      if (!list) return false;
      sendJson(res, 200, list);
      return true;
    }
    m = /^\/apis\/([^/]+)$/.exec(path);
    if (m) {
      const g = legacyApiGroup(m[1]!);
      if (!g) return false;
      sendJson(res, 200, g);
      return true;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiIndex());
      return true;
    }
    m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(path);
    if (m) {
      const doc = openApiDocument(m[1] ?? m[2]!);
      if (!doc) return false;
      sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
      return true;
    }
    return false;
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const user = this.#authenticate(req);
    if (!user) return writeUpgradeError(socket, toStatus(unauthorized()));
    const info = parseResourcePath(req.method ?? 'GET', url.pathname, url.searchParams);
    const denied = await this.#authorize(user, req.method ?? 'GET', url.pathname, info);
    if (denied) return writeUpgradeError(socket, denied);
    if (!info || info.groupVersion !== 'v1' || info.resource !== 'pods' || !info.name || !KUBELET_SUBRESOURCES.has(info.subresource) || info.subresource === 'log') {
      return writeUpgradeError(socket, NOT_FOUND);
    }
    await handleUpgrade(this.registry('pods'), { nodes: this.registry('nodes'), podDisruptionBudgets: this.registry('poddisruptionbudgets', 'policy'), kubeletToken: this.#config.kubeletToken, now: () => this.#clock.now() }, req, socket, head, info.namespace, info.name, info.subresource, url.searchParams);
  }
}

/** The one object Kubernetes lets anyone read (RBAC's system:public-info-viewer for bootstrap discovery). */
const ANONYMOUS_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/**
 * `system:anonymous` for a request without credentials that reads cluster-info, so a joining agent can check
 * the server (the signed CA in it) before it sends its token; any other request without a valid token is 401.
 * A request that presents a bad token is refused even here, as Kubernetes does.
 */
function anonymousUser(req: IncomingMessage, path: string, params: URLSearchParams): User | undefined {
  if (req.headers.authorization || req.method !== 'GET' || path !== ANONYMOUS_PATH) return undefined;
  if (params.has('watch')) return undefined;
  return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
}
