/**
 * The Kubelet: composition only. It owns no pod state; it wires the pieces and routes messages between them:
 *
 *   API informer (spec.nodeName=<node>) ─┐
 *   static manifest dirs (FileSource) ───┴─▶ PodConfig ──ADD──▶ admission ──▶ PodWorkers (one per UID)
 *                                                       UPDATE/DELETE/REMOVE ─▶ PodWorkers
 *   PLEG events, probe results ─────────────────────────────────────────────▶ PodWorkers.wake(uid)
 *   PodWorkers → KubeletPodSyncer → KubeRuntimeManager (runtime), VolumeManager, StatusManager (pods/status)
 *   NodeAgent: Node registration, status, Lease.     KubeletServer: logs, exec, attach (HTTPS).
 *   Service informer → the containers' service env variables; DnsConfigurer → each new sandbox's resolv.conf.
 *   housekeeping (every 2 s): forget finished removed pods, kill/remove runtime pods nobody knows, clean
 *   orphaned pod directories and log directories, reconcile mirror pods.
 *
 * A deleted pod's life ends here: once its containers are stopped and its sandbox and volumes are gone, the
 * kubelet deletes it from the API with gracePeriodSeconds 0 and a uid precondition.
 *
 * Restart safety: housekeeping starts only after the API source has synced and the manifest dirs were scanned,
 * so a restarted kubelet adopts its running pods (their workers find the containers with matching hashes and
 * leave them alone) instead of treating them as orphans.
 *
 * Each part runs as a manager (manager.ts) that starts and stops on its own; run() starts them in upstream's
 * order (the server, then node registration, then kubelet.Run's volume manager, node status, log manager,
 * status manager, PLEG and sync loop, then the sources, then housekeeping), each step once the managers
 * before it are ready, and stops them together.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IRuntimeClass as RuntimeClass } from 'kubernetes-models/node.k8s.io/v1/RuntimeClass';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { EventRecorder, Informer, isNotFound, type Client } from '../client/index.ts';
import { Deferred, createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import {
  GenericPLEG,
  KubeRuntimeManager,
  KubeletPodSyncer,
  PodWorkers,
  ProbeManager,
  StatusManager,
  type PodStatusWriter,
} from './index.ts';
import { SysctlAllowlist, admitAppArmor, admitPod, hostAppArmorEnabled, type AdmitResult } from './admission/index.ts';
import { sandboxPoolManager } from './sandbox-pool.ts';
import { ContainerGC, credentialsFor, nodeCredentialsFor, podLogDirectory, type ContainerGCPolicy } from './kuberuntime/index.ts';
import {
  ApiPodSource,
  FileSource,
  MirrorPodClient,
  PodConfig,
  isStaticPod,
  type PodConfigUpdate,
} from './config/index.ts';
import { QOSContainerManager, readPidMax } from './cm/index.ts';
import { EvictionManager, NodeStatsProvider, parseThresholds, thresholdQuantity, type Threshold } from './eviction/index.ts';
import { SummaryProvider } from './stats/summary.ts';
import { RESOURCE_METRICS_CONTENT_TYPE, renderResourceMetrics } from './stats/resource-metrics.ts';
import { KubeletMetrics } from './metrics/index.ts';
import type { Registry } from 'prom-client';
import { Housekeeping } from './housekeeping.ts';
import { ImageGCManager, type ImageGCPolicy } from './images/index.ts';
import { ContainerLogManager } from './logs/index.ts';
import { ManagerGroup, manager, untilAborted, type Manager } from './manager.ts';
import { DnsConfigurer, ServiceEnvSource } from './network/index.ts';
import { NodeAgent, defaultNodeIP, readMachineInfo, type NodeFacts, type NodeHealth } from './node/index.ts';
import { KubeletServer, selfSignedServingCert, type ServingCert } from './server/index.ts';
import { PodTimelines } from './timeline/index.ts';
import {
  NodeContainerEnvironment,
  NodeVolumeManager,
  ObjectCache,
  ObjectNotFoundError,
  PodDirs,
  ServiceAccountTokenManager,
  type ConfigMap,
  type Mounter,
  type ObjectSource,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Secret,
} from './volumes/index.ts';

export interface KubeletConfig {
  client: Client;
  /** The kubelet's Prometheus registry, rendered at its server's /metrics (none: /metrics is 404). */
  metrics?: Registry;
  runtime: ContainerRuntime;
  nodeName: string;
  /** The kubelet's state: pods/<uid>/ (volumes, etc-hosts), logs/ (container logs). */
  rootDir: string;
  /** Static pod manifest directories (missing ones are fine: they are watched for). */
  manifestDirs: string[];
  /** Bearer token the API server presents to this kubelet's HTTPS server. */
  kubeletToken: string;
  /** HTTPS port (10250 by default; 0 picks a free one). */
  port?: number;
  /** When `port` is taken, listen on a free one instead of failing (the Node's daemonEndpoints says which). */
  portFallback?: boolean;
  /** Address the HTTPS server listens on (default all). */
  address?: string;
  /** InternalIP (default: the machine's first non-container IPv4 address). */
  nodeIP?: string;
  podCIDR?: string;
  controlPlane?: boolean;
  nodeLabels?: Record<string, string>;
  nodeTaints?: NonNullable<NonNullable<NodeFacts['taints']>>;
  /** The cluster CA, served as kube-root-ca.crt when that ConfigMap does not exist (no publisher yet). */
  caPem?: string;
  /**
   * @deprecated Ignored: projected serviceAccountToken volumes get bound tokens of the pod's own service
   * account from the TokenRequest API (ServiceAccountTokenManager), never a node credential.
   */
  serviceAccountToken?: string;
  tls?: ServingCert;
  clock?: Clock;
  logger?: Logger;
  housekeepingPeriodMs?: number;
  fileCheckPeriodMs?: number;
  /** Mounts for volumes (default: a SystemMounter that forks mount(8) from this process). */
  mounter?: Mounter;
  /**
   * KubeletConfiguration.clusterDNS: the DNS servers ClusterFirst pods get (default none: such pods fall back
   * to the node's resolver, with a MissingClusterDNS event).
   */
  clusterDNS?: string[];
  /** KubeletConfiguration.clusterDomain (default `cluster.local`): pods' search domains and /etc/hosts names. */
  clusterDomain?: string;
  /** KubeletConfiguration.resolvConf: the node's resolver file (default /etc/resolv.conf; "" for none). */
  resolvConf?: string;
  /** `--allowed-unsafe-sysctls`: sysctls (or `prefix*` patterns) pods may set beyond the safe set. */
  allowedUnsafeSysctls?: string[];
  /** Image garbage collection (default: upstream's 85% high, 80% low, 2 min minimum age). */
  imageGC?: ImageGCPolicy;
  /** Node-pressure eviction (default: upstream's default hard thresholds, 5 min transition period). */
  eviction?: {
    thresholds?: Threshold[];
    pressureTransitionPeriodMs?: number;
    /** The image store's dir, for imagefs.* (default the root dir's filesystem). */
    imageFsDir?: string;
    periodMs?: number;
  };
  /**
   * Keep the QoS parent cgroups (`kubepods`, `kubepods/burstable`, `kubepods/besteffort`) set as upstream's
   * container manager does (cm/). On for a node whose runtime puts pods in real cgroups; off for the fake one.
   */
  qosCgroups?: boolean;
  /** Dead-container garbage collection (default upstream's: keep 1 per container, no total limit, no minimum age). */
  containerGC?: ContainerGCPolicy;
  /**
   * `--sandbox-pool-size`: pod sandboxes the runtime keeps ready for new pods (sandbox-pool.ts); 0 (the
   * default here; the command line's is DEFAULT_SANDBOX_POOL_SIZE) keeps none.
   */
  sandboxPoolSize?: number;
}

/**
 * What #compose() makes: the kubelet's managers, in the order run() starts them (upstream's `kubelet.Run`
 * and `startKubelet`), and what run() reports once the node is registered.
 */
interface Composition {
  nodeIP: string;
  port: () => number;
  /** The event recorder: nothing to run, flushed at close. */
  events: Manager;
  /** The HTTPS server (logs, exec, attach, port-forward): first, as its port goes into daemonEndpoints. */
  server: Manager;
  /** Node registration, status, lease; ready once the Node exists (admission reads it). */
  nodeAgent: Manager;
  /** The Service informer of the containers' service env variables. */
  services: Manager;
  volumeManager: Manager;
  /** upstream fastStatusUpdateOnce: Ready as soon as PLEG has relisted. */
  firstNodeStatus: Manager;
  /** upstream initializeRuntimeDependentModules: the container log manager (rotation). */
  logManager: Manager;
  /** upstream initializeRuntimeDependentModules: node-pressure eviction. */
  evictionManager: Manager;
  /** upstream StartGarbageCollection: image GC by disk usage. */
  imageGC: Manager;
  /** upstream StartGarbageCollection: dead containers every minute, once the pod sources are ready. */
  containerGC: Manager;
  /** Ready sandboxes for pods to come, removed when the node stops (a no-op manager without a pool). */
  sandboxPool: Manager;
  /** upstream containerManager.Start: the QoS parent cgroups (a no-op manager when qosCgroups is off). */
  qosManager: Manager;
  statusManager: Manager;
  pleg: Manager;
  probeManager: Manager;
  podWorkers: Manager;
  /** The sync loop: pod config updates → admission → pod workers. */
  syncLoop: Manager;
  /** The pod sources: ready once the API source synced and the manifest dirs were scanned. */
  apiSource: Manager;
  fileSource: Manager;
  housekeeping: Manager;
}

/** Grace period for a pod that vanished from its source: the API's, else the spec's. */
function removalGrace(pod: IPod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export class Kubelet {
  readonly #c: KubeletConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #ready = new Deferred<{ port: number }>();
  readonly #nodeReady = new Deferred<void>();
  readonly podConfig = new PodConfig();
  /** Pods refused by admission: they never get a worker. */
  readonly #rejected = new Set<string>();
  /** Pods gone from their source whose workers are still terminating; forgotten once finished. */
  readonly #removed = new Set<string>();

  constructor(config: KubeletConfig) {
    if (!config.nodeName) throw new Error('kubelet: nodeName is required');
    if (!config.kubeletToken) throw new Error('kubelet: kubeletToken is required');
    this.#c = config;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('kubelet');
  }

  /** Resolves once the node is registered and the HTTPS server listens. */
  get ready(): Promise<{ port: number }> {
    return this.#ready.promise;
  }

  /** Resolves once the API holds this node with Ready=True, as this kubelet reported it. */
  get nodeReady(): Promise<void> {
    return this.#nodeReady.promise;
  }

  /**
   * Starts the managers in upstream's order, each step once the ones before it are ready, and stops them all
   * when `signal` aborts (or a manager fails before it was ready).
   */
  async run(signal: AbortSignal): Promise<void> {
    const m = await this.#compose();
    const group = new ManagerGroup({ signal, logger: this.#log });
    try {
      await group.start(m.events, m.server);
      if (!(await group.start(m.nodeAgent, m.services))) throw signal.reason;
      this.#ready.resolve({ port: m.port() });
      this.#log.info({ node: this.#c.nodeName, port: m.port(), nodeIP: m.nodeIP }, 'kubelet running');
      // kubelet.Run: volume manager, node status, runtime-dependent modules, status manager, PLEG, sync loop.
      await group.start(
        m.volumeManager,
        m.firstNodeStatus,
        m.logManager,
        m.evictionManager,
        m.imageGC,
        m.qosManager,
        m.sandboxPool,
        m.statusManager,
        m.pleg,
        m.probeManager,
        m.podWorkers,
        m.syncLoop,
      );
      // Housekeeping only once the sources are ready (upstream's sourcesReady).
      if (await group.start(m.apiSource, m.fileSource)) await group.start(m.housekeeping, m.containerGC);
      await untilAborted(group.signal);
    } finally {
      if (!this.#ready.settled) this.#ready.reject(new Error('kubelet stopped before it was ready'));
      if (!this.#nodeReady.settled) this.#nodeReady.reject(new Error('kubelet stopped before its node was Ready'));
      // A loop stuck in a runtime call must not keep the process from stopping: the containers outlive the
      // kubelet anyway, and the next start adopts them.
      if (!(await group.stop())) this.#log.warn('kubelet loops did not stop within 15 s; exiting anyway');
    }
  }

  /** Makes every part and wires them together; nothing runs yet. */
  async #compose(): Promise<Composition> {
    const c = this.#c;
    const clock = this.#clock;
    const log = this.#log;
    const client = c.client;
    const runtime = c.runtime;
    const rootDir = path.resolve(c.rootDir);
    const dirs = new PodDirs(rootDir);
    const logRoot = path.join(rootDir, 'logs');
    await fs.mkdir(dirs.podsDir(), { recursive: true });
    await fs.mkdir(logRoot, { recursive: true });

    const version = await runtime.version();
    const nodeIP = c.nodeIP ?? defaultNodeIP();
    // Events through a client of their own, as upstream's kubelet (eventRecordQPS 50, eventBurst 100): three or
    // four per pod start must not spend the tokens its status writes wait for.
    const eventClient = client.with({ qps: 50, burst: 100 });
    const recorder = new EventRecorder(eventClient, { component: 'kubelet', host: c.nodeName, clock });

    const events = manager('event recorder', untilAborted, {
      close: async () => {
        await recorder.flush().catch(() => {});
        eventClient.close();
      },
    });

    // ---- the HTTPS server first: its port goes into the Node's daemonEndpoints
    const tls = c.tls ?? (await selfSignedServingCert(c.nodeName, [nodeIP]));
    const podConfig = this.podConfig;
    // Made further down; the server and the node's health check may be asked before that.
    const late: { statusManager?: StatusManager; pleg?: GenericPLEG; eviction?: EvictionManager; summary?: SummaryProvider } = {};
    const kubeletMetrics = c.metrics ? new KubeletMetrics(c.metrics) : undefined;
    const timeline = new PodTimelines({ clock, nodeName: c.nodeName });
    const server = new KubeletServer({
      timeline: (namespace, name) => timeline.get(namespace, name),
      runtime,
      token: c.kubeletToken,
      ...(c.metrics ? { metrics: async () => ({ contentType: c.metrics!.contentType, body: await c.metrics!.metrics() }) } : {}),
      tls,
      address: c.address,
      port: c.port ?? 10250,
      summary: () => (late.summary ? late.summary.get() : Promise.resolve({ node: { nodeName: c.nodeName }, pods: [] })),
      resourceMetrics: async () => {
        // As upstream: a Summary that cannot be had is resource_scrape_error 1, not a failed scrape.
        const summary = await late.summary?.get().catch((err: unknown) => {
          log.warn({ err }, 'resource metrics: no summary');
          return undefined;
        });
        return { contentType: RESOURCE_METRICS_CONTENT_TYPE, body: renderResourceMetrics(summary) };
      },
      host: {
        getPod: (namespace, name) => {
          const pod = podConfig.pods().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
          if (!pod) return undefined;
          return { ...pod, status: late.statusManager?.getPodStatus(pod.metadata?.uid ?? '') ?? pod.status };
        },
      },
    });
    let port = 0;
    const listening = new Deferred<void>();
    const serverManager = manager(
      'kubelet server',
      async (signal) => {
        try {
          port = await server.listen();
        } catch (err) {
          if (!c.portFallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          // The fallback port is kept in the root dir, so a restarted kubelet comes back where the Node's
          // daemonEndpoints (and so the API server's logs, exec and port-forward) still point, as a kubelet
          // on its fixed port does; a free one only when that is taken too.
          const portFile = path.join(rootDir, 'kubelet-port');
          const previous = Number(await fs.readFile(portFile, 'utf8').catch(() => '0')) || 0;
          port = previous > 0 ? await server.listen(previous).catch(() => server.listen(0)) : await server.listen(0);
          await fs.writeFile(portFile, `${port}\n`);
          log.info({ wanted: c.port ?? 10250, port }, 'kubelet port taken; listening on a free one');
        }
        listening.resolve();
        await untilAborted(signal);
      },
      { ready: () => listening.promise, close: () => server.close() },
    );

    // ---- node: registration, status, lease
    const thresholds = c.eviction?.thresholds ?? parseThresholds({});
    const hardOf = (signal: string) => thresholds.find((t) => t.hard && t.signal === signal);
    const hardEviction = {
      memoryBytes: (capacity: number) => {
        const t = hardOf('memory.available');
        return t ? thresholdQuantity(t.value, capacity) : 0;
      },
      nodefsBytes: (capacity: number) => {
        const t = hardOf('nodefs.available');
        return t ? thresholdQuantity(t.value, capacity) : 0;
      },
    };
    const facts = async (): Promise<NodeFacts> => ({
      nodeName: c.nodeName,
      nodeIP,
      machine: await readMachineInfo(rootDir),
      kubeletPort: port,
      podCIDR: c.podCIDR ?? '10.42.0.0/24',
      controlPlane: c.controlPlane ?? false,
      runtime: { name: version.runtimeName, version: version.runtimeVersion },
      labels: c.nodeLabels,
      taints: c.nodeTaints,
      pressure: late.eviction?.conditions(),
      hardEviction,
    });
    const health = async (): Promise<NodeHealth> => {
      const errors: string[] = [];
      try {
        for (const cond of await runtime.status()) {
          if (cond.status) continue;
          errors.push(
            cond.type === 'RuntimeReady'
              ? 'container runtime is down'
              : `container runtime network not ready: NetworkReady=false reason:${cond.reason} message:${cond.message}`,
          );
        }
      } catch (err) {
        errors.push(`container runtime status check may not have completed yet: ${(err as Error).message}`);
      }
      const p = late.pleg?.healthy();
      if (p && !p.ok) errors.push(`PLEG is not healthy: ${p.message}`);
      return { errors };
    };
    const nodeAgent = new NodeAgent({
      client,
      clock,
      facts,
      health,
      images: async () =>
        (await runtime.listImages()).map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size })),
      onError: (what, err) => log.warn({ err }, what),
    });
    void nodeAgent.readyInApi.then(() => this.#nodeReady.resolve());
    const nodeFacts = () => ({
      hostIPs: [nodeIP],
      allocatable: (nodeAgent.node?.status?.allocatable ?? {}) as Record<string, string>,
    });

    // ---- volumes and container environment
    // Bound tokens of the pod's service account (TokenRequest), renewed at 80% of their lifetime.
    const tokens = new ServiceAccountTokenManager({
      clock,
      request: async (r) => {
        const tr = await client
          .resource('serviceaccounts', r.namespace)
          .subresource('token')
          .create<{
            spec?: { expirationSeconds?: number };
            status?: { token?: string; expirationTimestamp?: string };
          }>(r.serviceAccountName, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              ...(r.audience ? { audiences: [r.audience] } : {}),
              expirationSeconds: r.expirationSeconds,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: r.pod.name, uid: r.pod.uid },
            },
          });
        if (!tr.status?.token || !tr.status.expirationTimestamp)
          throw new Error(`TokenRequest for ${r.namespace}/${r.serviceAccountName} returned no token`);
        return {
          token: tr.status.token,
          expirationTimestamp: tr.status.expirationTimestamp,
          expirationSeconds: tr.spec?.expirationSeconds ?? r.expirationSeconds,
        };
      },
    });
    // GETs through a short-lived cache (object-cache.ts says why).
    const configMaps = new ObjectCache<ConfigMap>(
      async (ns, name) => {
        try {
          return await client.resource<ConfigMap>('configmaps', ns).get(name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          // No root-CA publisher runs yet: serve the cluster CA the kubelet was given.
          if (name === 'kube-root-ca.crt' && c.caPem)
            return {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name, namespace: ns },
              data: { 'ca.crt': c.caPem },
            };
          throw new ObjectNotFoundError('configmap', name);
        }
      },
      { clock },
    );
    const secrets = new ObjectCache<Secret>(
      async (ns, name) => {
        try {
          return await client.resource<Secret>('secrets', ns).get(name);
        } catch (err) {
          if (isNotFound(err)) throw new ObjectNotFoundError('secret', name);
          throw err;
        }
      },
      { clock },
    );
    const objects: ObjectSource = {
      getConfigMap: (ns, name) => configMaps.get(ns, name),
      getSecret: (ns, name) => secrets.get(ns, name),
      serviceAccountToken: (r) => tokens.getToken(r),
      releasePod: (uid) => tokens.deletePodTokens(uid),
      getPersistentVolumeClaim: (ns, name) => client.resource<PersistentVolumeClaim>('persistentvolumeclaims', ns).get(name).catch((err: unknown) => {
        throw isNotFound(err) ? new ObjectNotFoundError('persistentvolumeclaim', name) : err;
      }),
      getPersistentVolume: (name) => client.resource<PersistentVolume>('persistentvolumes').get(name),
    };
    const volumeManager = new NodeVolumeManager({ dirs, objects, node: nodeFacts, recorder, clock, ...(c.mounter ? { mounter: c.mounter } : {}) });
    // Service env variables from a Service informer (all namespaces: a pod also gets default/kubernetes).
    const services = new Informer<IService>(client.resource<IService>('services'), {
      clock,
      logger: log.child({ informer: 'services' }),
    });
    const serviceEnv = new ServiceEnvSource({ services, clock, isStaticPod });
    const clusterDomain = c.clusterDomain ?? 'cluster.local';
    const environment = new NodeContainerEnvironment({
      dirs,
      objects,
      node: nodeFacts,
      clusterDomain,
      serviceEnv: (pod) => serviceEnv.forPod(pod),
    });
    const dns = new DnsConfigurer({
      clusterDNS: c.clusterDNS ?? [],
      clusterDomain,
      ...(c.resolvConf !== undefined ? { resolvConf: c.resolvConf } : {}),
      nodeIPs: () => [nodeIP],
      record: (pod, e) => {
        const node = nodeAgent.node ?? { apiVersion: 'v1', kind: 'Node', metadata: { name: c.nodeName } };
        recorder.event(e.on === 'node' ? node : pod, 'Warning', e.reason, e.message);
      },
    });

    // ---- kubelet core (kubelet-core's pieces, wired as src/kubelet/index.ts describes)
    // The status manager GETs the pod, then sends a strategic merge patch of pods/status computed from that
    // status to its own, with the uid as precondition (upstream statusutil.PatchPodStatus): no resourceVersion,
    // so no conflicts to retry, and fields other writers set in between are kept. A static pod's status goes
    // to its mirror pod; the status manager matches it by the config.mirror annotation.
    const writer: PodStatusWriter = {
      getPod: async (namespace, name) => {
        try {
          return await client.resource<IPod>('pods', namespace).get(name);
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      patchPodStatus: (namespace, name, patch) =>
        client.resource<IPod>('pods', namespace).patchStatus(name, patch, 'strategic'),
    };
    const runtimeManager = new KubeRuntimeManager({
      runtime,
      timeline,
      environment,
      recorder,
      clock,
      logRoot,
      clusterDomain,
      dnsConfig: (pod) => dns.getPodDns(pod),
      nodeMemoryCapacity: (await readMachineInfo(rootDir)).memoryBytes,
      seccompProfileRoot: path.join(rootDir, 'seccomp'),
      runtimeHandler: async (name) => (await client.resource<RuntimeClass>('runtimeclasses').get(name)).handler ?? '',
      pullCredentials: async (pod, image) => {
        const namespace = pod.metadata?.namespace ?? 'default';
        const found: Secret[] = [];
        const missing: string[] = [];
        for (const ref of pod.spec?.imagePullSecrets ?? []) {
          try {
            found.push(await objects.getSecret(namespace, ref.name ?? ''));
          } catch (err) {
            if (!(err instanceof ObjectNotFoundError)) throw err;
            missing.push(ref.name ?? '');
          }
        }
        // upstream getPullSecretsForPod: a missing secret is a warning, and the pull goes on without it.
        if (missing.length)
          recorder.event(
            pod,
            'Warning',
            'FailedToRetrieveImagePullSecret',
            `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
          );
        // Then the node's own docker config (upstream's DockerConfigProvider reads <root-dir>/config.json,
        // then the legacy .dockercfg), read at each pull so an edited file counts without a restart.
        const node = await fs
          .readFile(path.join(rootDir, 'config.json'), 'utf8')
          .then((text) => nodeCredentialsFor(image, text))
          .catch(() => fs.readFile(path.join(rootDir, '.dockercfg'), 'utf8').then((text) => nodeCredentialsFor(image, text, true)))
          .catch(() => []);
        return [...credentialsFor(image, found), ...node];
      },
    });
    const pleg = (late.pleg = new GenericPLEG({
      runtime: runtimeManager, clock, ...(kubeletMetrics ? { onRelist: (ms, counts) => kubeletMetrics.relisted(ms, counts) } : {}),
      // Exits as the runtime sees them, so a dead container is relisted at once rather than a period later.
      ...(runtime.watchContainerExits ? { exitHints: (hint: () => void) => runtime.watchContainerExits!(() => hint()) } : {}),
    }));
    const probeManager = new ProbeManager({
      runtime,
      recorder,
      clock,
      statusOf: (uid) => pleg.getCachedStatus(uid),
      hostIPs: () => [nodeIP],
      onResultChanged: (pod, container, kind, result, previous) => {
        const step =
          kind === 'startup' && result === 'Success'
            ? 'StartupProbeSucceeded'
            : kind === 'readiness' && result === 'Success'
              ? 'ContainerReady'
              : kind === 'readiness' && result === 'Failure' && previous === 'Success'
                ? 'ContainerNotReady'
                : kind === 'liveness' && result === 'Failure'
                  ? 'LivenessProbeFailed'
                  : undefined;
        if (step) timeline.record(pod, step, { container, containerType: KubeRuntimeManager.containerType(pod, container) });
      },
    });
    runtimeManager.setProbeResults(probeManager);
    const sm = (late.statusManager = new StatusManager({
      writer,
      clock,
      onError: (err, pod) => log.debug({ err, pod }, 'pod status write failed'),
      ...(kubeletMetrics ? { onStatus: (pod, status) => kubeletMetrics.podStatus(pod, status, clock.now()) } : {}),
    }));
    const syncer = new KubeletPodSyncer({
      runtimeManager,
      pleg,
      statusManager: sm,
      probeManager,
      volumeManager,
      recorder,
      runtimeName: version.runtimeName,
      hostIPs: () => [nodeIP],
      clock,
      onPodTerminated: (pod) => this.#onPodTerminated(pod),
      onPodStopped: () => this.#onPodStopped(),
      timeline,
    });
    const podWorkers = new PodWorkers({
      syncer,
      clock,
      onError: (err, pod) => log.warn({ err, pod: pod.metadata?.name }, 'pod worker failed'),
    });
    pleg.subscribe((e) => podWorkers.wake(e.podUid));
    // Exits reach the timeline from the PLEG (the runtime's own finish time and exit code).
    pleg.subscribe((e) => {
      if (e.type !== 'ContainerDied') return;
      const status = pleg.getCachedStatus(e.podUid);
      if (status) timeline.exits({ metadata: { uid: status.uid, namespace: status.namespace, name: status.name } }, status.containerStatuses);
    });
    probeManager.subscribe((uid) => podWorkers.wake(uid));

    // ---- pod sources → workers
    const apiSource = new ApiPodSource(client, c.nodeName, podConfig);
    const fileSource = new FileSource({
      dirs: c.manifestDirs,
      nodeName: c.nodeName,
      clock,
      periodMs: c.fileCheckPeriodMs,
      onPods: (pods) => podConfig.setPods('file', pods),
      onError: (e) => log.warn({ file: e.file }, `static pod manifest: ${e.message}`),
    });
    const mirrors = new MirrorPodClient({ client, nodeName: c.nodeName, nodeUid: () => nodeAgent.node?.metadata?.uid });

    const sysctls = new SysctlAllowlist(c.allowedUnsafeSysctls ?? []);
    const appArmor = hostAppArmorEnabled();
    const active = () =>
      podConfig
        .pods()
        .filter(
          (p) =>
            !this.#rejected.has(p.metadata?.uid ?? '') && podWorkers.couldHaveRunningContainers(p.metadata?.uid ?? ''),
        );
    const dispatch = (u: PodConfigUpdate) => {
      const pod = u.pod;
      const uid = pod.metadata?.uid ?? '';
      switch (u.op) {
        case 'ADD': {
          timeline.recordOnce(pod, 'PodSeen');
          const phase = pod.status?.phase;
          const node = nodeAgent.node;
          if (
            node &&
            phase !== 'Succeeded' &&
            phase !== 'Failed' &&
            !pod.metadata?.deletionTimestamp &&
            podWorkers.state(uid) === undefined
          ) {
            // Upstream's handler order: the eviction manager, sysctls, the general predicates, then AppArmor.
            let verdict: AdmitResult = evictionManager.admit(pod);
            if (verdict.admit) verdict = sysctls.admit(pod);
            if (verdict.admit) verdict = admitPod(pod, node, active());
            if (verdict.admit) verdict = admitAppArmor(pod, appArmor);
            if (!verdict.admit) {
              this.#rejected.add(uid);
              recorder.event(pod, 'Warning', verdict.reason, verdict.message);
              sm.setPodStatus(pod, {
                ...pod.status,
                phase: 'Failed',
                reason: verdict.reason,
                message: `Pod was rejected: ${verdict.message}`,
              } as IPodStatus);
              return;
            }
          }
          podWorkers.updatePod({ type: 'create', pod });
          // Upstream updates the QoS cgroups before a new pod's cgroup is made; here once it is a worker's.
          void qos?.update();
          return;
        }
        case 'UPDATE':
          if (this.#rejected.has(uid)) return;
          volumeManager.updatePod(pod);
          podWorkers.updatePod({ type: 'update', pod });
          return;
        case 'DELETE':
          if (this.#rejected.has(uid)) {
            // Nothing ever ran: finish the deletion at once.
            void this.#deleteFromApi(pod);
            return;
          }
          podWorkers.updatePod({ type: 'kill', pod });
          return;
        case 'REMOVE': {
          this.#rejected.delete(uid);
          if (podWorkers.state(uid) === undefined) {
            sm.removePod(uid);
            timeline.gone(uid);
            return;
          }
          // The syncer tears a pod down completely (sandbox, volumes) only when it is being deleted.
          const deleted: IPod = pod.metadata?.deletionTimestamp
            ? pod
            : {
                ...pod,
                metadata: {
                  ...pod.metadata,
                  deletionTimestamp: new Date(clock.now()).toISOString(),
                  deletionGracePeriodSeconds: removalGrace(pod),
                },
              };
          this.#removed.add(uid);
          podWorkers.updatePod({ type: 'kill', pod: deleted, gracePeriodSeconds: removalGrace(pod) });
          return;
        }
      }
    };
    this.#deleteFromApi = async (pod: IPod) => {
      if (isStaticPod(pod)) return;
      try {
        await client
          .resource<IPod>('pods', pod.metadata?.namespace)
          .delete(pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) log.warn({ err, pod: pod.metadata?.name }, 'final pod delete failed');
      }
    };

    // ---- image GC and node-pressure eviction
    const imageGC = new ImageGCManager({
      images: runtime,
      containers: () => runtime.listContainers(),
      policy: c.imageGC ?? { highThresholdPercent: 85, lowThresholdPercent: 80 },
      clock,
      logger: log,
    });
    // Dead containers (upstream's kuberuntime_gc): what the pod workers know decides what may go.
    const terminated = (uid: string) => {
      const state = podWorkers.state(uid);
      return state === undefined || state === 'terminated' || state === 'finished';
    };
    const containerGC = new ContainerGC({
      runtime,
      policy: c.containerGC,
      clock,
      logger: log,
      pods: {
        shouldPodContentBeRemoved: (uid) => {
          if (podWorkers.state(uid) === undefined || syncer.isEvicted(uid)) return true;
          const pod = podConfig.pods().find((p) => p.metadata?.uid === uid);
          return terminated(uid) && (!pod || !!pod.metadata?.deletionTimestamp);
        },
        shouldPodRuntimeBeRemoved: terminated,
      },
    });
    const nodeStats = new NodeStatsProvider({
      rootDir,
      imageFsDir: c.eviction?.imageFsDir,
      emptyDirPath: (uid, volume) => dirs.volumeDir(uid, 'empty-dir', volume),
      podLogDir: (pod) => podLogDirectory(logRoot, pod),
      containerIds: (uid) => {
        const ids = new Map<string, string>();
        // Newest first: the first instance of each name is the current one.
        for (const cs of pleg.getCachedStatus(uid)?.containerStatuses ?? []) if (!ids.has(cs.name)) ids.set(cs.name, cs.id);
        return ids;
      },
    });
    late.summary = new SummaryProvider({
      nodeName: c.nodeName,
      stats: nodeStats,
      pods: () => active().filter((p) => podWorkers.state(p.metadata?.uid ?? '') === 'syncing'),
      containerIds: (uid) => {
        const ids = new Map<string, string>();
        for (const cs of pleg.getCachedStatus(uid)?.containerStatuses ?? []) if (!ids.has(cs.name)) ids.set(cs.name, cs.id);
        return ids;
      },
      now: () => new Date(clock.now()),
      ...(runtime.podSandboxNetworkStats
        ? {
            podNetwork: async (uid: string) => {
              const sandbox = pleg.getCachedStatus(uid)?.sandboxStatuses.find((s) => s.state === 'SANDBOX_READY');
              return sandbox ? runtime.podSandboxNetworkStats!(sandbox.id) : undefined;
            },
          }
        : {}),
      ...(runtime.containerWritableLayer ? { writableLayer: (id: string) => runtime.containerWritableLayer!(id) } : {}),
      imageFs: () => runtime.imageFsInfo(),
    });
    const evictionManager = (late.eviction = new EvictionManager({
      thresholds,
      pressureTransitionPeriodMs: c.eviction?.pressureTransitionPeriodMs,
      periodMs: c.eviction?.periodMs,
      clock,
      logger: log,
      stats: nodeStats,
      activePods: () => active().filter((p) => !p.metadata?.deletionTimestamp && podWorkers.state(p.metadata?.uid ?? '') === 'syncing'),
      evictPod: async ({ pod, message, gracePeriodSeconds }) => {
        const uid = pod.metadata?.uid ?? '';
        if (podWorkers.state(uid) !== 'syncing') return false;
        log.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, message }, 'evicting pod');
        syncer.markEvicted(uid, message);
        recorder.event(pod, 'Warning', 'Evicted', message);
        podWorkers.updatePod({ type: 'kill', pod, gracePeriodSeconds });
        return true;
      },
      // upstream's node-level reclaim for nodefs: dead containers (DeleteAllUnusedContainers), then images.
      reclaimDisk: async () => {
        const containers = await containerGC.garbageCollect(true, true);
        if (containers.length) log.info({ containers: containers.length }, 'disk pressure: removed dead containers');
        const removed = await imageGC.deleteUnusedImages();
        if (removed.length) log.info({ images: removed }, 'disk pressure: deleted unused images');
      },
      onConditionsChanged: () => void nodeAgent.syncStatus().catch((err) => log.warn({ err }, 'update node status')),
    }));

    // ---- the QoS parent cgroups, following the pods that may run here
    const qos = c.qosCgroups
      ? new QOSContainerManager({
          activePods: active,
          capacity: async () => {
            const m = await readMachineInfo(rootDir);
            return { cpus: m.cpus, memoryBytes: m.memoryBytes, pidMax: await readPidMax() };
          },
          clock,
          logger: log,
        })
      : undefined;
    this.#onPodStopped = () => void qos?.update();

    const logManager = new ContainerLogManager({
      runtime,
      clock,
      onError: (err) => log.debug({ err }, 'log rotation'),
    });

    return {
      nodeIP,
      port: () => port,
      events,
      server: serverManager,
      nodeAgent: manager('node agent', (s) => nodeAgent.run(s), { ready: () => nodeAgent.registered }),
      services: manager('service informer', (s) => services.run(s)),
      volumeManager: manager('volume manager', (s) => volumeManager.run(s)),
      // Registration reported NotReady (PLEG had not relisted yet); report Ready as soon as it has.
      firstNodeStatus: manager('first node status', (s) => clock.sleep(1500, s).then(() => nodeAgent.syncStatus())),
      logManager: manager('log manager', (s) => logManager.run(s)),
      evictionManager,
      imageGC,
      qosManager: qos ?? manager('qos container manager', untilAborted),
      sandboxPool: sandboxPoolManager(runtime, c.sandboxPoolSize ?? 0, log),
      statusManager: manager('status manager', (s) => sm.run(s)),
      pleg: manager('pleg', (s) => pleg.run(s)),
      probeManager: manager('prober manager', (s) => untilAborted(s).then(() => probeManager.stop())),
      podWorkers: manager('pod workers', (s) => podWorkers.run(s)),
      syncLoop: manager('sync loop', async (s) => {
        const unsubscribe = podConfig.subscribe(dispatch);
        await untilAborted(s);
        unsubscribe();
      }),
      apiSource: manager('api source', (s) => apiSource.run(s), { ready: () => apiSource.synced }),
      fileSource: manager('file source', (s) => fileSource.run(s), { ready: () => fileSource.scan() }),
      containerGC: manager('container gc', async (s) => {
        while (!s.aborted) {
          // The sources are ready once this runs (it starts after them, as upstream's allSourcesReady).
          await containerGC.garbageCollect(true).catch((err: unknown) => log.warn({ err }, 'container garbage collection failed'));
          await clock.sleep(60_000, s).catch(() => {});
        }
      }),
      housekeeping: new Housekeeping({
        podConfig,
        removed: this.#removed,
        deleteFromApi: (pod) => this.#deleteFromApi(pod),
        podWorkers,
        syncer,
        sm,
        dirs,
        logRoot,
        volumeManager,
        mirrors,
        apiSource,
        clock,
        logger: log,
        periodMs: c.housekeepingPeriodMs,
      }),
    };
  }

  #deleteFromApi: (pod: IPod) => Promise<void> = async () => {};

  /** upstream killPod ends with UpdateQOSCgroups: a stopped Burstable pod's cpu request leaves the tier's shares. */
  #onPodStopped: () => void = () => {};

  async #onPodTerminated(pod: IPod): Promise<void> {
    await this.#deleteFromApi(pod);
  }
}
