/**
 * The API server: an HTTPS listener in front of one GenericRegistry (and watch cache) per served resource.
 *
 *   request ─▶ authn (client certificate, bearer token) ─▶ authz ─▶ non-resource paths (version, health, discovery, OpenAPI, metrics)
 *                                                                └▶ resource path ─▶ verb handler ─▶ registry ─▶ admission/strategy ─▶ store
 *
 * Impersonation headers and the authorizer (`authorizer`, RBAC over the watch caches by default in `cmd`) come
 * right after authentication. `start()` starts the watch caches and the server's own loops (namespace
 * bootstrap, RBAC bootstrap policy and ClusterRole aggregation, default service accounts, namespace cleanup)
 * and resolves when they are ready; `listen()` opens the port; `stop()` closes the port,
 * ends every watch and awaits every loop. Errors become Status objects only through status.ts.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import { RESOURCES, ResourceTable, SYSTEM_PRIORITY_CLASSES, customResourceInfos, fieldTypeOfCustomResource, type CustomResourceDefinition, type KubeObject, type Node, type Pod, type ResourceInfo, type ResourceQuota } from '../api/index.ts';
import { isDeepStrictEqual } from 'node:util';
import { runCrdController } from './crd/crd-controller.ts';
import type { Store } from '../storage/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { AdmissionChain, type AdmissionLookup } from './admission/chain.ts';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.ts';
import { ServiceAccountAdmission } from './admission/service-account.ts';
import { DefaultTolerationSeconds } from './admission/default-toleration-seconds.ts';
import { PodSecurity } from './admission/pod-security/plugin.ts';
import type { PodSecurityConfig } from './admission/pod-security/config.ts';
import { DefaultStorageClass } from './admission/default-storage-class.ts';
import { RuntimeClassAdmission } from './admission/runtime-class.ts';
import { PriorityAdmission } from './admission/priority.ts';
import { StorageObjectInUseProtection } from './admission/storage-object-in-use-protection.ts';
import { TokenAuthenticator, type User } from './auth/tokens.ts';
import { InProcessReader } from './in-process-reads.ts';
import { alwaysAllow, forbiddenMessage, type Attributes, type Authorizer } from './authz/authorizer.ts';
import { servingTlsOptions } from './auth/certs.ts';
import { beginAudit, type Auditor, type RequestAudit } from './audit/index.ts';
import { NodeRestriction } from './admission/node-restriction.ts';
import { CsrRequester } from './admission/csr-requester.ts';
import { AdmissionWebhooks } from './admission/webhook/dispatcher.ts';
import { PodPresetAdmission } from './admission/pod-preset.ts';
import { ValidatingAdmissionPolicyPlugin } from './admission/policy/validating-policy.ts';
import { LimitRanger } from './admission/limit-ranger.ts';
import { ResourceQuotaAdmission, type QuotaAccess } from './admission/resource-quota.ts';
import type { NodeGraph } from './authz/node-graph.ts';
import type { CachedEvent, WatchCache } from './watch-cache.ts';
import { clientCertificateUser } from './auth/x509.ts';
import { runEventTtlController, runNamespaceController, runServiceAccountsController } from './controllers.ts';
import {
  DISCOVERY_V2, DISCOVERY_V2BETA1, VERSION_INFO, aggregatedDiscovery, groupVersionResources, legacyApiGroup, legacyApiGroupList,
  legacyApiVersions, negotiateDiscovery, openApiDocument, openApiIndex,
} from './discovery.ts';
import { sendJson, sendStatus } from './http.ts';
import { notModified, openApiV2 } from './openapi-v2.ts';
import { KUBELET_SUBRESOURCES, handleBinding, handleEphemeralContainers, handleEviction, handleLog, handleUpgrade, rejectNonUpgrade, type PodDeps } from './pod-subresources.ts';
import { GenericRegistry, strategyFor, VIRTUAL_RESOURCES } from './registry/index.ts';
import { parseResourcePath } from './request-info.ts';
import type { RequestContext } from './request-context.ts';
import {
  handleCreate, handleDelete, handleDeleteCollection, handleGet, handleList, handlePatch, handleUpdate, handleWatch, type HandlerDeps,
} from './resource-handler.ts';
import { ApiError, forbidden, methodNotAllowed, toStatus, unauthorized, type Status } from './status.ts';
import { writeUpgradeError } from './kubelet-proxy.ts';
import { handleNodeProxy } from './node-proxy.ts';
import { METRICS_GROUP, METRICS_VERSION, handleMetrics } from './metrics/metrics-api.ts';
import { SummaryScraper } from './metrics/kubelet-summary.ts';
import { ServiceAccountTokens } from './auth/service-account-tokens.ts';
import { authenticateServiceAccountToken, type BoundKind } from './auth/service-account-authenticator.ts';
import { bearerFromProtocols } from './auth/websocket-bearer-protocol.ts';
import { handleTokenRequest } from './token-request.ts';
import { handleTokenReview } from './token-review.ts';
import { runServiceAccountTokenController } from './service-account-token-controller.ts';
import { handleScale } from './scale.ts';
import { REVIEW_RESOURCES, handleReview, type ReviewResource } from './self-subject-review.ts';
import { impersonate } from './authz/impersonation.ts';
import { RbacAuthorizer } from './rbac/authorizer.ts';
import { RbacEscalation } from './rbac/escalation.ts';
import { reconcileBootstrapPolicy } from './rbac/reconcile.ts';
import { runClusterRoleAggregationController, syncAggregatedClusterRoles } from './rbac/aggregation.ts';
import { runDependentsController } from './dependents-controller.ts';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ServiceAllocators } from './services/allocators.ts';
import { ServiceAllocation } from './services/service-allocation.ts';
import { serviceStrategy } from './registry/services.ts';
import { repairAllocations } from './services/repair.ts';
import { KubernetesServiceController } from './services/kubernetes-service.ts';
import { advertiseAddress, listensOnLoopbackOnly } from './services/advertise-address.ts';
import { handleServiceProxy } from './services/service-proxy.ts';
import { RequestLimits, listenerOptions, type LimitsConfig } from './limits/index.ts';
import { Registry } from 'prom-client';
import { ApiServerMetrics, instrumentStore, requestLabels } from './metrics.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiServerConfig {
  store: Store;
  /** PEM serving certificate and key. */
  tls: { certPem: string; keyPem: string };
  /** The CA that signed the serving certificate (published as kube-root-ca.crt). */
  caPem: string;
  authenticator: TokenAuthenticator;
  /**
   * Decides every authenticated request (`--authorization-mode`); every request is allowed when absent. A
   * function gets the server, to build authorizers over its watch caches (`server.rbac`).
   */
  authorizer?: Authorizer | ((server: ApiServer) => Authorizer);
  /** Writes the audit log (`--audit-policy-file`, `--audit-log-path`); nothing is audited when absent. */
  auditor?: Auditor;
  /** The Node authorizer's graph, fed here from the pod and claim watch caches. */
  nodeGraph?: NodeGraph;
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
  /** Signs service account tokens (TokenRequest, token Secrets); a fresh RSA key per process when absent. */
  serviceAccountKey?: KeyObject;
  /** Keys whose tokens are accepted besides the signing key's (an older data dir's EC key). */
  serviceAccountVerificationKeys?: KeyObject[];
  /** `--service-account-issuer`: the first issues, all are accepted (default https://kubernetes.default.svc.cluster.local). */
  serviceAccountIssuers?: string[];
  /** `--api-audiences` (default the issuers). */
  apiAudiences?: string[];
  /** `--service-account-max-token-expiration` in seconds (default 0: no limit). */
  serviceAccountMaxTokenExpirationSeconds?: number;
  /** `--service-account-jwks-uri` (default https://<advertise address>:<port>/openid/v1/jwks). */
  serviceAccountJwksUri?: string;
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
  /** PodSecurity's defaults and exemptions (`--admission-control-config-file`); all privileged when absent. */
  podSecurity?: PodSecurityConfig;
  /** The PodPreset admission plugin (settings.k8s.io/v1alpha1); default on, `--disable-admission-plugins PodPreset` turns it off. */
  podPreset?: boolean;
  /** The LimitRanger and ResourceQuota admission plugins; default on, `--disable-admission-plugins` turns them off. */
  limitRanger?: boolean;
  resourceQuota?: boolean;
  /** Abuse limits: in-flight requests, watches per user, request and header timeouts (limits/). */
  limits?: LimitsConfig;
  /**
   * The Prometheus registry `GET /metrics` renders and this server's metrics join (cmd shares it with the
   * scheduler and controllers, and adds the process metrics); a fresh one when absent.
   */
  metricsRegistry?: Registry;
  /**
   * Handlers served before authentication, each under its own path prefix (cmd mounts the dashboard's
   * static shell and its read-only answers here; they authenticate their data requests themselves, through
   * this server). A handler answers every request under its prefix.
   */
  publicHandlers?: readonly PublicHandler[];
}

/** An unauthenticated handler of every request under `prefix` (e.g. `/dashboard`: also `/dashboard/...`). */
export interface PublicHandler {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** One RSA key per process for servers given none (tests): RSA key generation is slow. */
let processServiceAccountKey: KeyObject | undefined;

/** What the real apiserver answers for a path it does not serve. */
/** What #serve parsed of a request, kept for its metrics labels (`info` set once parsed, even to undefined). */
interface ParsedRequest {
  url?: URL;
  info?: ReturnType<typeof parseResourcePath>;
}

const NOT_FOUND: Status = toStatus(new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}));

export class ApiServer {
  readonly #config: ApiServerConfig;
  readonly #clock: Clock;
  #metricsScraper: SummaryScraper | undefined;
  /** The registries the pod subresources need, looked up on the first request (built in: never replaced). */
  #podDeps: PodDeps | undefined;
  readonly #logger: Logger;
  readonly #registries = new Map<string, GenericRegistry>();
  /** Built-in resources plus those CustomResourceDefinitions serve. */
  readonly #resources = new ResourceTable();
  /** The registries serving each CRD (by CRD name), with what stops their watch caches. */
  readonly #custom = new Map<string, { registries: GenericRegistry[]; stop: AbortController }>();
  /** Builds the registry of a resource (built-in at construction, custom when a CRD is established). */
  readonly #makeRegistry: (info: ResourceInfo) => GenericRegistry;
  readonly #server: https.Server;
  /** The extra listener on the advertise address (alsoListenOnAdvertiseAddress). */
  #advertiseServer: https.Server | undefined;
  /** Serves the in-process connections (connectInProcess): HTTP/1.1 over an in-memory stream, never listening. */
  #inProcessServer: http.Server | undefined;
  /** The user each in-process connection is authenticated as, when it was opened for one. */
  readonly #inProcessUsers = new WeakMap<object, User>();
  /** The open in-process connections (a server that never listens does not track its connections itself). */
  readonly #inProcessConnections = new Set<Duplex>();
  readonly #stop = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly #saTokens: ServiceAccountTokens;
  readonly #apiAudiences: string[];
  #jwksUri = '';
  readonly #serviceAllocation: ServiceAllocation;
  readonly #rbac: RbacAuthorizer;
  readonly #authorizer: Authorizer;
  readonly #limits: RequestLimits;
  readonly #metrics: ApiServerMetrics;
  #address = '';

  constructor(config: ApiServerConfig) {
    this.#config = config;
    this.#clock = config.clock ?? realClock;
    this.#logger = config.logger ?? createLogger('apiserver');
    this.#limits = new RequestLimits(config.limits);
    this.#metrics = new ApiServerMetrics(config.metricsRegistry ?? new Registry(), () => this.#storedObjects());
    processServiceAccountKey ??= config.serviceAccountKey ? undefined : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.#saTokens = new ServiceAccountTokens({
      signingKey: config.serviceAccountKey ?? processServiceAccountKey!, verificationKeys: config.serviceAccountVerificationKeys, issuers: config.serviceAccountIssuers,
    });
    this.#apiAudiences = config.apiAudiences?.length ? [...config.apiAudiences] : [...this.#saTokens.issuers];
    const lookup: AdmissionLookup = {
      get: (resource, ns, name) => this.#lookup(resource, ns, name),
      list: async (resource, ns) => (await this.registry(resource).list(ns)).items,
    };
    const inNamespace = (plural: string) => (ns: string) => this.registry(plural).cache.list().items.filter((o) => o.metadata?.namespace === ns);
    const admission = new AdmissionChain([new NamespaceLifecycle(lookup)]);
    if (config.limitRanger ?? true) admission.add(new LimitRanger(inNamespace('limitranges')));
    for (const p of [new ServiceAccountAdmission(lookup), new DefaultTolerationSeconds({
      notReadySeconds: config.defaultTolerationSeconds?.notReady, unreachableSeconds: config.defaultTolerationSeconds?.unreachable,
    })]) admission.add(p);
    if (config.podPreset ?? true) {
      admission.add(new PodPresetAdmission(() => this.registry('podpresets', 'settings.k8s.io').cache.list().items, (pod, presets, conflicts) => {
        this.#logger.warn(`conflict occurred while applying podpresets: ${presets.join(',')} on pod: ${pod.metadata?.generateName ?? ''} err: ${conflicts.join(', ')}`);
      }));
    }
    for (const p of [new PodSecurity(lookup, config.podSecurity),
      new DefaultStorageClass(() => this.registry('storageclasses', 'storage.k8s.io').cache.list().items), new StorageObjectInUseProtection(),
      new PriorityAdmission(() => this.registry('priorityclasses', 'scheduling.k8s.io').cache.list().items),
      new RuntimeClassAdmission(() => this.registry('runtimeclasses', 'node.k8s.io').cache.list().items),
      new CsrRequester(), new NodeRestriction(lookup)]) admission.add(p);
    const view = (plural: string) => {
      const cache = () => this.#registries.get(`${RBAC_GROUP}/v1/${plural}`)!.cache;
      return { revision: () => cache().revision, items: () => cache().list().items };
    };
    this.#rbac = new RbacAuthorizer({
      roles: view('roles'), clusterRoles: view('clusterroles'), roleBindings: view('rolebindings'), clusterRoleBindings: view('clusterrolebindings'),
    });
    admission.add(new RbacEscalation({ resolver: this.#rbac, authorizer: () => this.#authorizer }));
    // Upstream runs the policies and webhooks after every built-in plugin of each phase: mutating webhooks, then
    // ValidatingAdmissionPolicy, then validating webhooks.
    const admissionCache = (plural: string) => () => this.registry(plural, 'admissionregistration.k8s.io').cache.list().items;
    admission.add(new ValidatingAdmissionPolicyPlugin({ policies: admissionCache('validatingadmissionpolicies'), bindings: admissionCache('validatingadmissionpolicybindings') }, lookup));
    admission.add(new AdmissionWebhooks({ mutating: admissionCache('mutatingwebhookconfigurations'), validating: admissionCache('validatingwebhookconfigurations') }, lookup));
    // ResourceQuota comes last, as upstream: it charges the quota only for writes every other plugin let through.
    if (config.resourceQuota ?? true) admission.add(new ResourceQuotaAdmission(this.#quotaAccess(inNamespace('resourcequotas'))));
    this.#serviceAllocation = new ServiceAllocation(new ServiceAllocators({
      store: config.store, serviceCidr: config.serviceCidr, nodePortRange: config.serviceNodePortRange, now: () => this.#clock.now(),
    }));
    const onHookError = (err: unknown) => this.#logger.warn({ err: String(err) }, 'after-delete hook failed');
    this.#makeRegistry = (info) => {
      const strategy = info.group === '' && info.plural === 'services' ? serviceStrategy(info, this.#serviceAllocation) : strategyFor(info);
      const store = instrumentStore(config.store, info.group ? `${info.plural}.${info.group}` : info.plural, this.#metrics);
      const storageApiVersion = info.custom ? `${info.group}/${info.custom.storageVersion}` : undefined;
      // Server-side apply tracks a custom resource's fields by its version's structural schema.
      const fieldType = info.custom ? fieldTypeOfCustomResource(info.custom.schema) : undefined;
      return new GenericRegistry({ strategy, store, admission, clock: this.#clock, watchCacheCapacity: config.watchCacheCapacity, consistentListFromCache: config.consistentListFromCache, onHookError, storageApiVersion, fieldType });
    };
    for (const info of RESOURCES) {
      if (VIRTUAL_RESOURCES.has(`${info.group}/${info.plural}`)) continue;
      this.#registries.set(`${info.groupVersion}/${info.plural}`, this.#makeRegistry(info));
    }
    this.#server = this.#httpsServer();
    this.#authorizer = typeof config.authorizer === 'function' ? config.authorizer(this) : config.authorizer ?? alwaysAllow;
  }

  #quotaAccess(cached: (ns: string) => KubeObject[]): QuotaAccess {
    const quotas = () => this.registry('resourcequotas');
    return {
      list: async (ns, fresh) => (fresh ? (await quotas().list(ns)).items : cached(ns)) as unknown as ResourceQuota[],
      updateStatus: async (rq) => {
        try {
          await quotas().update(rq.metadata?.namespace ?? '', rq.metadata?.name ?? '', rq as unknown as KubeObject, { subresource: 'status' });
          return true;
        } catch (err) {
          if (err instanceof ApiError && err.code === 409) return false;
          throw err;
        }
      },
      now: () => this.#clock.now(),
    };
  }

  /** Objects per resource (`pods`, `deployments.apps`) in the watch caches, for apiserver_storage_objects. */
  *#storedObjects(): Iterable<[string, number]> {
    for (const r of this.#registries.values()) yield [r.info.group ? `${r.info.plural}.${r.info.group}` : r.info.plural, r.cache.list().items.length];
  }

  /**
   * Every resource this server serves now: the built-in table and the versions of every Established
   * CustomResourceDefinition (discovery, OpenAPI and namespace deletion read this one list).
   */
  servedResources(): readonly ResourceInfo[] {
    return this.#resources.all();
  }

  /**
   * Serves the versions of an accepted CRD: one registry per served version, all over the same stored objects.
   * A CRD whose served versions did not change keeps its registries (and their watches).
   */
  async #serveCustomResources(crd: CustomResourceDefinition): Promise<void> {
    const name = crd.metadata!.name!;
    const infos = customResourceInfos(crd);
    const current = this.#custom.get(name);
    if (current && current.registries.length === infos.length && current.registries.every((r, i) => isDeepStrictEqual(r.info, infos[i]))) {
      await Promise.all(current.registries.map((r) => r.cache.ready));
      return;
    }
    this.#unserveCustomResources(name);
    const stop = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, stop.signal]);
    const registries = infos.map((info) => this.#makeRegistry(info));
    this.#custom.set(name, { registries, stop });
    for (const r of registries) {
      this.#loops.push(r.cache.run(signal));
      this.#registries.set(`${r.info.groupVersion}/${r.info.plural}`, r);
      this.#registryOf.clear();
      this.#resources.add(r.info);
    }
    await Promise.all(registries.map((r) => r.cache.ready));
  }

  /** Whether a CRD is being deleted (its objects may then be read and deleted, not created). */
  #crdTerminating(crdName: string): boolean {
    const crds = this.registry('customresourcedefinitions', 'apiextensions.k8s.io');
    return Boolean(crds.cache.get(crds.key('', crdName))?.metadata?.deletionTimestamp);
  }

  #unserveCustomResources(crdName: string): void {
    const current = this.#custom.get(crdName);
    if (!current) return;
    this.#custom.delete(crdName);
    for (const r of current.registries) {
      const key = `${r.info.groupVersion}/${r.info.plural}`;
      if (this.#registries.get(key) === r) this.#registries.delete(key);
      this.#registryOf.clear();
      this.#resources.remove(r.info.groupVersion, r.info.plural);
    }
    // Ends the watches on them, as upstream closes a deleted CRD's watches.
    current.stop.abort();
  }

  /** The RBAC authorizer over this server's watch caches (for `--authorization-mode=...,RBAC`). */
  get rbac(): RbacAuthorizer {
    return this.#rbac;
  }

  #httpsServer(): https.Server {
    // Client certificates are asked for, never required (bearer tokens keep working): one the cluster CA signed
    // authenticates as its subject (x509.ts). Header, handshake and keep-alive timeouts bound slow clients
    // (limits/); the request timeout is per request.
    const tlsOptions = { ...servingTlsOptions(this.#config.tls), requestCert: true, rejectUnauthorized: false, ca: this.#config.caPem, ...listenerOptions(this.#config.limits) };
    return this.#serveWith(https.createServer(tlsOptions));
  }

  /** The request and upgrade handlers on a listener (the HTTPS ones, the in-process one). */
  #serveWith<S extends http.Server>(server: S): S {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
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

  /**
   * A connection to this server from inside its own process: one end of an in-memory stream pair whose other
   * end is served as an HTTP/1.1 connection, as a TCP one is after TLS. A component of `kubeling server` (the
   * controllers, the scheduler, the server's own kubelet) sends its requests over these (an http.Agent's
   * `createConnection`), skipping TLS and the kernel's loopback on both sides: over HTTPS that was a third of
   * a small write's cost to the server. Everything else is the same: the request is authenticated (by its
   * bearer token, or as `user`, as a client certificate would name it), authorized, admitted, audited,
   * counted and limited as any other. The connection ends with the server (stop).
   */
  connectInProcess(user?: User): Duplex {
    const server = (this.#inProcessServer ??= this.#serveWith(http.createServer(listenerOptions(this.#config.limits))));
    const [client, served] = duplexPair();
    if (user) this.#inProcessUsers.set(served, user);
    // What the audit log records as the source address, as for a client on loopback.
    Object.defineProperty(served, 'remoteAddress', { value: '127.0.0.1' });
    if (this.#stop.signal.aborted) {
      client.destroy(Object.assign(new Error('the API server has stopped'), { code: 'ECONNREFUSED' }));
      return client;
    }
    this.#inProcessConnections.add(served);
    // An in-memory pair only ends the other side's reading when one side is destroyed: close both, as a TCP
    // reset would, so neither a pooled client connection nor the server's side outlives the other.
    served.once('close', () => {
      this.#inProcessConnections.delete(served);
      client.destroy();
    });
    client.once('close', () => served.destroy());
    server.emit('connection', served);
    return client;
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

  /**
   * Every served resource's registry, at the time of asking: what namespace deletion empties and what the
   * deletion finalizers (orphan, foregroundDeletion) look through for dependents. Resources served later (custom
   * resources) belong here too.
   */
  servedRegistries(): GenericRegistry[] {
    return [...this.#registries.values()];
  }

  /** The registry of a resource (`pods`, or `leases` with group `coordination.k8s.io`). */
  /**
   * List and watch for a component of this process acting as `user`, answered from the watch caches with
   * their own (frozen) objects: in-process-reads.ts.
   */
  get inProcessReader(): InProcessReader {
    return (this.#inProcessReader ??= new InProcessReader({
      registry: (groupVersion, plural) => this.#registries.get(`${groupVersion}/${plural}`),
      authorize: (user, path, info) => this.#authorize(user, 'GET', path, info),
      bookmarkIntervalMs: this.#config.bookmarkIntervalMs ?? 60_000,
    }));
  }

  #inProcessReader: InProcessReader | undefined;

  registry(plural: string, group = ''): GenericRegistry {
    // Asked several times a write (admission reads policies, webhooks and classes through it): remembered
    // until the served registries change (custom resources come and go).
    let byPlural = this.#registryOf.get(group);
    if (!byPlural) this.#registryOf.set(group, (byPlural = new Map()));
    const known = byPlural.get(plural);
    if (known) return known;
    for (const r of this.#registries.values()) {
      if (r.info.plural === plural && r.info.group === group) {
        byPlural.set(plural, r);
        return r;
      }
    }
    throw new Error(`no registry for ${plural}${group ? `.${group}` : ''}`);
  }

  /** registry()'s answers by group, then plural; cleared whenever #registries changes after construction. */
  readonly #registryOf = new Map<string, Map<string, GenericRegistry>>();

  async #lookup(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const r = this.registry(resource);
    return r.cache.get(r.key(namespace, name)) ?? (await r.tryGet(namespace, name));
  }

  /** Starts the watch caches and the server's loops; resolves when the caches are loaded and namespaces exist. */
  async start(): Promise<void> {
    const signal = this.#stop.signal;
    for (const r of this.#registries.values()) this.#loops.push(r.cache.run(signal));
    await Promise.all([...this.#registries.values()].map((r) => r.cache.ready));
    const graph = this.#config.nodeGraph;
    if (graph) {
      this.#follow(this.registry('pods').cache, (ev) => graph.onPodEvent(ev.type, ev.object), () => graph.clearPods(), signal);
      this.#follow(this.registry('persistentvolumeclaims').cache, (ev) => graph.onClaimEvent(ev.type, ev.object), () => graph.clearClaims(), signal);
    }
    const namespaces = this.registry('namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      if (!(await namespaces.tryGet('', name))) {
        await namespaces.create('', { metadata: { name } }).catch((err) => {
          if (!(err instanceof ApiError && err.code === 409)) throw err;
        });
      }
    }
    // The two system PriorityClasses, as the scheduling REST storage's post-start hook creates them.
    const priorityClasses = this.registry('priorityclasses', 'scheduling.k8s.io');
    for (const [name, value] of Object.entries(SYSTEM_PRIORITY_CLASSES)) {
      if (await priorityClasses.tryGet('', name)) continue;
      const description = name === 'system-node-critical' ? 'Used for system critical pods that must not be moved from their current node.' : 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.';
      await priorityClasses.create('', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description } as KubeObject).catch((err) => {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      });
    }
    const logger = this.#logger;
    const rbac = (plural: string) => this.registry(plural, RBAC_GROUP);
    const written = await reconcileBootstrapPolicy({ roles: rbac('roles'), clusterRoles: rbac('clusterroles'), roleBindings: rbac('rolebindings'), clusterRoleBindings: rbac('clusterrolebindings') }, logger);
    // admin, edit and view get their rules before the server is ready, not a moment after.
    await rbac('clusterroles').cache.waitFor(written, 5000);
    await syncAggregatedClusterRoles(rbac('clusterroles'), logger);
    this.#loops.push(
      runClusterRoleAggregationController({ clusterRoles: rbac('clusterroles'), logger }, signal),
      runServiceAccountsController({ namespaces, serviceAccounts: this.registry('serviceaccounts'), configMaps: this.registry('configmaps'), caPem: this.#config.caPem, logger }, signal),
      runNamespaceController({ namespaces, namespaced: () => this.servedRegistries().filter((r) => r.info.namespaced), now: () => this.#clock.now(), logger }, signal),
      runDependentsController({ registries: () => this.servedRegistries(), logger }, signal),
      runServiceAccountTokenController({ secrets: this.registry('secrets'), serviceAccounts: this.registry('serviceaccounts'), tokens: this.#saTokens, caPem: this.#config.caPem, logger }, signal),
      runCrdController({
        crds: this.registry('customresourcedefinitions', 'apiextensions.k8s.io'),
        served: () => this.#resources.all(),
        serve: (crd) => this.#serveCustomResources(crd),
        unserve: (name) => this.#unserveCustomResources(name),
        registriesOf: (name) => this.#custom.get(name)?.registries ?? [],
        now: () => this.#clock.now(),
        logger,
      }, signal),
      runEventTtlController({ events: [this.registry('events'), this.registry('events', 'events.k8s.io')], ttlMs: this.#config.eventTtlMs, now: () => this.#clock.now(), logger }, signal),
    );
    await this.repairServiceAllocations();
    this.#loops.push(this.#repairLoop(signal));
    // CRDs Established before a restart are served before the server says it is ready (upstream's readyz
    // waits for crd-informer-synced); the controller carries on from there.
    for (const crd of this.registry('customresourcedefinitions', 'apiextensions.k8s.io').cache.list().items as CustomResourceDefinition[]) {
      const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established && crd.status?.acceptedNames?.kind) await this.#serveCustomResources(crd);
    }
  }

  /** Every event of a watch cache, from its current contents on; after the cache restarts, `reset` and again. */
  #follow(cache: WatchCache, onEvent: (ev: CachedEvent) => void, reset: () => void, signal: AbortSignal): void {
    const subscribe = () => {
      if (signal.aborted) return;
      reset();
      const { backlog, unsubscribe } = cache.subscribe(0, {
        deliver: (events) => events.forEach(onEvent),
        end: () => queueMicrotask(subscribe),
      });
      backlog.forEach(onEvent);
      signal.addEventListener('abort', unsubscribe, { once: true });
    };
    subscribe();
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
    const external = advertiseAddress(host, this.#config.advertiseAddress);
    this.#jwksUri = this.#config.serviceAccountJwksUri ?? `https://${external.includes(':') ? `[${external}]` : external}:${addr.port}${JWKS_PATH}`;
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
    for (const c of this.#inProcessConnections) c.destroy();
    const results = await Promise.allSettled([closed, extraClosed, ...this.#loops]);
    for (const r of results) if (r.status === 'rejected' && !this.#stop.signal.aborted) this.#logger.warn({ err: String(r.reason) }, 'loop failed');
  }

  #fail(res: ServerResponse, err: unknown, ref?: { resource: { group: string; resource: string }; name: string }): void {
    const status = toStatus(err, ref, (e) => this.#logger.error({ err: e }, 'internal error'));
    // A refused body is not drained: the connection closes after the answer.
    if (status.code === 413 && !res.headersSent) res.setHeader('Connection', 'close');
    sendStatus(res, status);
  }

  /**
   * The user of an in-process connection opened for one, a client certificate the cluster CA signed, a static token (admin, node, the components'), or a service account token this server signed whose
   * service account and bound object still exist (auth/service-account-authenticator.ts).
   */
  async #authenticate(req: IncomingMessage): Promise<User | undefined> {
    const fromConnection = this.#connectionUser(req);
    if (fromConnection) return fromConnection;
    const auth = req.headers.authorization;
    const user = this.#config.authenticator.authenticate(auth);
    if (user || !auth) return user;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    const result = token ? await this.#authenticateToken(token, undefined) : undefined;
    return result && 'user' in result ? result.user : undefined;
  }

  /** The user the connection itself names: an in-process connection opened for one, or a client certificate. */
  #connectionUser(req: IncomingMessage): User | undefined {
    const inProcess = this.#inProcessUsers.get(req.socket);
    if (inProcess) return { ...inProcess, groups: [...inProcess.groups] };
    return clientCertificateUser(req.socket, this.#clock.now());
  }

  /**
   * An upgrade authenticates as any request does, or, without an Authorization header, with a bearer token
   * offered as a WebSocket subprotocol (what browsers can send); that subprotocol is then dropped from the
   * request, so neither this server nor the kubelet picks or echoes it.
   */
  async #authenticateUpgrade(req: IncomingMessage): Promise<User | undefined> {
    if (req.headers.authorization || req.headers.upgrade?.toLowerCase() !== 'websocket') return this.#authenticate(req);
    const bearer = bearerFromProtocols(req.headers['sec-websocket-protocol']);
    if (!bearer) return this.#authenticate(req);
    if ('error' in bearer) return undefined;
    const fromCert = this.#connectionUser(req);
    const result = fromCert ? undefined : await this.#authenticateToken(bearer.token, undefined);
    const user = fromCert ?? (result && 'user' in result ? result.user : undefined);
    if (user) req.headers['sec-websocket-protocol'] = bearer.remaining;
    return user;
  }

  /** A raw bearer token for the audiences given (default --api-audiences); TokenReview asks the same. */
  async #authenticateToken(token: string, audiences: string[] | undefined): Promise<{ user: User; audiences: string[] } | { error: string } | undefined> {
    const user = this.#config.authenticator.authenticate(`Bearer ${token}`);
    if (user) {
      // Static tokens are not audience-scoped: they are good for the API server's own audiences.
      const auds = (audiences ?? this.#apiAudiences).filter((a) => this.#apiAudiences.includes(a));
      return auds.length ? { user, audiences: auds } : { error: 'token audiences are invalid for the target audiences' };
    }
    return authenticateServiceAccountToken(token, {
      tokens: this.#saTokens,
      apiAudiences: this.#apiAudiences,
      lookup: async (resource: BoundKind, ns, name) => {
        const r = this.registry(resource);
        return r.cache.get(r.key(ns, name)) ?? (await r.tryGet(ns, name));
      },
      now: () => this.#clock.now(),
    }, audiences);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const audit = beginAudit(this.#config.auditor, req, res);
    const parsed: ParsedRequest = {};
    this.#observe(req, res, parsed);
    try {
      await this.#serve(req, res, audit, parsed);
    } catch (err) {
      audit?.panic(err);
      throw err;
    }
  }

  /**
   * Counts the request and its latency into apiserver_request_* once its answer is sent (a watch when it ends),
   * labelled from the URL and request info #serve parsed (parsed again only for requests answered before that).
   */
  #observe(req: IncomingMessage, res: ServerResponse, parsed: ParsedRequest): void {
    const start = process.hrtime.bigint();
    res.once('close', () => {
      const url = parsed.url ?? new URL(req.url ?? '/', 'https://localhost');
      const method = req.method ?? 'GET';
      const info = 'info' in parsed ? parsed.info : parseResourcePath(method, url.pathname.replace(/\/+$/, '') || '/', url.searchParams);
      const labels = requestLabels(method, info, url.searchParams, req.headers['content-type']);
      this.#metrics.observeRequest(labels, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
  }

  /** `GET /metrics`: the registry in Prometheus' text format. */
  async #serveMetrics(res: ServerResponse): Promise<void> {
    const registry = this.#metrics.registry;
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
  }

  async #serve(req: IncomingMessage, res: ServerResponse, audit: RequestAudit | undefined, parsed: ParsedRequest): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    parsed.url = url;
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const open = this.#config.publicHandlers?.find((h) => path === h.prefix || url.pathname.startsWith(`${h.prefix}/`));
    if (open) return open.handle(req, res);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Health and version are public, as system:public-info-viewer makes them in Kubernetes.
      if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end('ok');
        return;
      }
      if (path === '/version') return sendJson(res, 200, VERSION_INFO);
    }
    const authenticated = (await this.#authenticate(req)) ?? anonymousUser(req, path, url.searchParams);
    if (!authenticated) return sendStatus(res, toStatus(unauthorized()));
    const user = await this.#impersonate(authenticated, req);
    if (!('groups' in user)) return sendStatus(res, user);
    if (user !== authenticated) audit?.impersonating(authenticated, user);
    const info = parseResourcePath(req.method ?? 'GET', path, url.searchParams);
    parsed.info = info;
    if (!this.#limits.admit(req, res, user, info)) return;
    const denied = await this.#authorize(user, req.method ?? 'GET', path, info, audit);
    if (denied) return sendStatus(res, denied);
    if (req.method === 'GET' && path === '/metrics') return this.#serveMetrics(res);
    if (req.method === 'GET' && this.#serveNonResource(req, res, path)) return;
    if (!info) return sendStatus(res, NOT_FOUND);
    const podDeps = (this.#podDeps ??= { nodes: this.registry('nodes'), podDisruptionBudgets: this.registry('poddisruptionbudgets', 'policy'), kubeletToken: this.#config.kubeletToken, now: () => this.#clock.now() });
    // POST /api/v1/namespaces/{ns}/bindings: the scheduler's older form of pods/binding.
    if (info.groupVersion === 'v1' && info.resource === 'bindings' && !info.name && req.method === 'POST') {
      const ctx = this.#context(req, res, url, info, this.registry('pods'), user, audit);
      return handleBinding(ctx, podDeps, '');
    }
    if (info.groupVersion === 'authentication.k8s.io/v1' && info.resource === 'tokenreviews' && !info.name && !info.subresource) {
      if (info.namespace) return sendStatus(res, NOT_FOUND);
      try {
        return await handleTokenReview(req, res, (token, audiences) => this.#authenticateToken(token, audiences));
      } catch (err) {
        return this.#fail(res, err);
      }
    }
    // The reviews: cluster-scoped, but for LocalSubjectAccessReview, which lives in a namespace.
    const review = (info.group === 'authentication.k8s.io' || info.group === 'authorization.k8s.io') && info.version === 'v1' && REVIEW_RESOURCES.has(info.resource);
    if (review && !info.name && !info.subresource && (info.resource === 'localsubjectaccessreviews' ? info.namespace !== '' : info.namespace === '')) {
      try {
        return await handleReview(req, res, info.resource as ReviewResource, user, info.namespace, { authorizer: this.#authorizer });
      } catch (err) {
        return this.#fail(res, err);
      }
    }
    if (info.group === METRICS_GROUP && info.version === METRICS_VERSION) {
      const r = { method: req.method ?? 'GET', verb: info.verb, resource: info.resource, namespace: info.namespace, name: info.name, subresource: info.subresource, query: url.searchParams };
      const deps = {
        nodes: () => this.registry('nodes').cache.list().items as Node[],
        pods: () => this.registry('pods').cache.list().items as Pod[],
        scraper: (this.#metricsScraper ??= new SummaryScraper(this.#config.kubeletToken, () => this.#clock.now())),
      };
      try {
        return await handleMetrics(r, res, deps, new Date(this.#clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'));
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
    const ctx = this.#context(req, res, url, info, registry, user, audit);
    try {
      await this.#dispatch(ctx, podDeps);
    } catch (err) {
      this.#fail(res, err, ref);
    }
  }

  /** The user the request acts as (Impersonate-* headers), or the Status refusing it. */
  async #impersonate(caller: User, req: IncomingMessage): Promise<User | Status> {
    const r = await impersonate(caller, req.headers, this.#authorizer);
    if ('groups' in r) return r;
    if (r.code === 400) return toStatus(new ApiError(400, 'BadRequest', r.message, {}));
    return toStatus(new ApiError(403, 'Forbidden', r.message, r.details ?? {}));
  }

  /** The 403 Status when the authorizer does not allow the request, else undefined. */
  async #authorize(user: User, method: string, path: string, info: RequestContext['info'] | undefined, audit?: RequestAudit): Promise<Status | undefined> {
    const authorizer = this.#authorizer;
    const attrs: Attributes = info
      ? {
        user, verb: info.verb === 'connect' ? method.toLowerCase() : info.verb, resourceRequest: true, namespace: info.namespace,
        // Only the first segment is the subresource (`proxy` of `proxy/stats/summary`), as upstream's RequestInfo parts.
        apiGroup: info.group, apiVersion: info.version, resource: info.resource, subresource: info.subresource.split('/')[0]!, name: info.name, path,
      }
      : { user, verb: method.toLowerCase(), resourceRequest: false, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '', path };
    const result = await authorizer.authorize(attrs);
    audit?.authorized(attrs, result);
    if (result.decision === 'Allow') return undefined;
    const message = forbiddenMessage(attrs, result.reason);
    if (!info) return toStatus(new ApiError(403, 'Forbidden', `forbidden: ${message}`, {}));
    return toStatus(forbidden({ group: info.group, resource: info.resource }, info.name, message));
  }

  #context(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestContext['info'], registry: GenericRegistry, user: User, audit: RequestAudit | undefined): RequestContext {
    return { req, res, url, query: url.searchParams, info, registry, user, warnings: [], auditAnnotations: audit?.annotations ?? {} };
  }

  async #dispatch(ctx: RequestContext, podDeps: PodDeps): Promise<void> {
    const { info, registry } = ctx;
    const deps: HandlerDeps = {
      now: () => this.#clock.now(),
      bookmarkIntervalMs: this.#config.bookmarkIntervalMs ?? 60_000,
    };
    const sub = info.subresource;
    if ((sub === 'proxy' || sub.startsWith('proxy/')) && registry.info.plural === 'services' && registry.info.group === '' && info.name) {
      return handleServiceProxy(ctx, { endpointSlices: this.registry('endpointslices', 'discovery.k8s.io') });
    }
    if ((sub === 'proxy' || sub.startsWith('proxy/')) && registry.info.plural === 'nodes' && registry.info.group === '' && info.name) {
      return handleNodeProxy(ctx, this.#config.kubeletToken);
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
      if (sub === 'scale' && r.custom?.scale) return handleScale(ctx, r.custom.scale);
      if (r.plural === 'serviceaccounts' && r.group === '' && sub === 'token') {
        return handleTokenRequest(ctx, {
          tokens: this.#saTokens, apiAudiences: this.#apiAudiences, maxExpirationSeconds: this.#config.serviceAccountMaxTokenExpirationSeconds,
          pods: this.registry('pods'), secrets: this.registry('secrets'), nodes: this.registry('nodes'), now: () => this.#clock.now(),
        });
      }
      if (sub !== 'status' && sub !== 'finalize' && sub !== 'approval') throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
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
        if (registry.info.custom && this.#crdTerminating(registry.info.custom.crdName)) {
          const err = methodNotAllowed('create', registry.qualified);
          throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating', err.details);
        }
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
        return handleDelete(ctx);
      case 'deletecollection':
        return handleDeleteCollection(ctx);
      default:
        throw methodNotAllowed(ctx.req.method ?? '', registry.qualified);
    }
  }

  /** Discovery and OpenAPI; returns false when the path is not one of them. */
  #serveNonResource(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const accept = req.headers.accept;
    // Service account issuer discovery, served as upstream only for an https issuer.
    if ((path === OPENID_CONFIGURATION_PATH || path === JWKS_PATH) && this.#saTokens.issuer.startsWith('https://')) {
      const cache = { 'Cache-Control': 'public, max-age=3600' };
      if (path === JWKS_PATH) sendJson(res, 200, this.#saTokens.jwks(), { ...cache, 'Content-Type': 'application/jwk-set+json' });
      else sendJson(res, 200, this.#saTokens.openIdConfiguration(this.#jwksUri), cache);
      return true;
    }
    if (path === '/api' || path === '/apis') {
      const core = path === '/api';
      const form = negotiateDiscovery(accept);
      if (form === 'legacy') sendJson(res, 200, core ? legacyApiVersions(this.#address) : legacyApiGroupList(this.#resources.all()), { Vary: 'Accept' });
      else sendJson(res, 200, aggregatedDiscovery(core, form, this.#resources.all()), { 'Content-Type': form === 'v2' ? DISCOVERY_V2 : DISCOVERY_V2BETA1, Vary: 'Accept' });
      return true;
    }
    let m = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (m) {
      const list = groupVersionResources(m[1]!, this.#resources.all());
      if (!list) return false;
      sendJson(res, 200, list);
      return true;
    }
    m = /^\/apis\/([^/]+)$/.exec(path);
    if (m) {
      const g = legacyApiGroup(m[1]!, this.#resources.all());
      if (!g) return false;
      sendJson(res, 200, g);
      return true;
    }
    if (path === '/openapi/v2') {
      const form = openApiV2(accept, this.#resources.all());
      const headers = { ETag: form.etag, 'Last-Modified': form.lastModified, Vary: 'Accept', 'Cache-Control': 'no-cache, private' };
      if (notModified(req.headers['if-none-match'], form.etag)) {
        res.writeHead(304, headers).end();
      } else {
        res.writeHead(200, { ...headers, 'Content-Type': form.contentType, 'Content-Length': form.body.length }).end(form.body);
      }
      return true;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiIndex(this.#resources.all()));
      return true;
    }
    m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(path);
    if (m) {
      const doc = openApiDocument(m[1] ?? m[2]!, this.#resources.all());
      if (!doc) return false;
      sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
      return true;
    }
    return false;
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const audit = this.#config.auditor?.beginUpgrade(req, socket);
    const authenticated = await this.#authenticateUpgrade(req);
    if (!authenticated) return writeUpgradeError(socket, toStatus(unauthorized()));
    const user = await this.#impersonate(authenticated, req);
    if (!('groups' in user)) return writeUpgradeError(socket, user);
    if (user !== authenticated) audit?.impersonating(authenticated, user);
    const info = parseResourcePath(req.method ?? 'GET', url.pathname, url.searchParams);
    const denied = await this.#authorize(user, req.method ?? 'GET', url.pathname, info, audit);
    if (denied) return writeUpgradeError(socket, denied);
    if (!info || info.groupVersion !== 'v1' || info.resource !== 'pods' || !info.name || !KUBELET_SUBRESOURCES.has(info.subresource) || info.subresource === 'log') {
      return writeUpgradeError(socket, NOT_FOUND);
    }
    await handleUpgrade(this.registry('pods'), { nodes: this.registry('nodes'), podDisruptionBudgets: this.registry('poddisruptionbudgets', 'policy'), kubeletToken: this.#config.kubeletToken, now: () => this.#clock.now() }, req, socket, head, info.namespace, info.name, info.subresource, url.searchParams);
  }
}

/** The one object Kubernetes lets anyone read (RBAC's system:public-info-viewer for bootstrap discovery). */
const ANONYMOUS_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
const JWKS_PATH = '/openid/v1/jwks';
/**
 * Paths a request without credentials reaches as system:anonymous: cluster-info, and the service account
 * issuer discovery documents (RBAC's system:service-account-issuer-discovery, which kubeling binds to
 * unauthenticated users too, so relying parties outside the cluster can fetch the keys).
 */
const ANONYMOUS_PATHS = new Set([ANONYMOUS_PATH, OPENID_CONFIGURATION_PATH, JWKS_PATH]);

/**
 * `system:anonymous` for a request without credentials that reads cluster-info, so a joining agent can check
 * the server (the signed CA in it) before it sends its token; any other request without a valid token is 401.
 * A request that presents a bad token is refused even here, as Kubernetes does.
 */
function anonymousUser(req: IncomingMessage, path: string, params: URLSearchParams): User | undefined {
  if (req.headers.authorization || req.method !== 'GET' || !ANONYMOUS_PATHS.has(path)) return undefined;
  if (params.has('watch')) return undefined;
  return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
}
