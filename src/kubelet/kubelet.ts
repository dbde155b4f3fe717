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
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { IService } from 'kubernetes-models/v1/Service';
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
import { admitPod } from './admission/index.ts';
import { credentialsFor } from './kuberuntime/index.ts';
import {
  ApiPodSource,
  FileSource,
  MirrorPodClient,
  PodConfig,
  isStaticPod,
  podFullName,
  type PodConfigUpdate,
} from './config/index.ts';
import { ContainerLogManager } from './logs/index.ts';
import { DnsConfigurer, ServiceEnvSource } from './network/index.ts';
import { NodeAgent, defaultNodeIP, readMachineInfo, type NodeFacts, type NodeHealth } from './node/index.ts';
import { KubeletServer, selfSignedServingCert, type ServingCert } from './server/index.ts';
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
  type Secret,
} from './volumes/index.ts';

export interface KubeletConfig {
  client: Client;
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
}

interface HousekeepingParts {
  podWorkers: PodWorkers;
  syncer: KubeletPodSyncer;
  sm: StatusManager;
  dirs: PodDirs;
  logRoot: string;
  volumeManager: NodeVolumeManager;
  mirrors: MirrorPodClient;
  apiSource: ApiPodSource;
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

  async run(signal: AbortSignal): Promise<void> {
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

    // ---- the HTTPS server first: its port goes into the Node's daemonEndpoints
    const tls = c.tls ?? (await selfSignedServingCert(c.nodeName, [nodeIP]));
    const podConfig = this.podConfig;
    // Made further down; the server and the node's health check may be asked before that.
    const late: { statusManager?: StatusManager; pleg?: GenericPLEG } = {};
    const server = new KubeletServer({
      runtime,
      token: c.kubeletToken,
      tls,
      address: c.address,
      port: c.port ?? 10250,
      host: {
        getPod: (namespace, name) => {
          const pod = podConfig.pods().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
          if (!pod) return undefined;
          return { ...pod, status: late.statusManager?.getPodStatus(pod.metadata?.uid ?? '') ?? pod.status };
        },
      },
    });
    let port: number;
    try {
      port = await server.listen();
    } catch (err) {
      if (!c.portFallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // The fallback port is kept in the root dir, so a restarted kubelet comes back where the Node's
      // daemonEndpoints (and so the API server's logs, exec and port-forward) still point, as a kubelet on
      // its fixed port does; a free one only when that is taken too.
      const portFile = path.join(rootDir, 'kubelet-port');
      const previous = Number(await fs.readFile(portFile, 'utf8').catch(() => '0')) || 0;
      port = previous > 0 ? await server.listen(previous).catch(() => server.listen(0)) : await server.listen(0);
      await fs.writeFile(portFile, `${port}\n`);
      log.info({ wanted: c.port ?? 10250, port }, 'kubelet port taken; listening on a free one');
    }

    // ---- node: registration, status, lease
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
      environment,
      recorder,
      clock,
      logRoot,
      dnsConfig: (pod) => dns.getPodDns(pod),
      nodeMemoryCapacity: (await readMachineInfo(rootDir)).memoryBytes,
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
        return credentialsFor(image, found);
      },
    });
    const pleg = (late.pleg = new GenericPLEG({ runtime: runtimeManager, clock }));
    const probeManager = new ProbeManager({
      runtime,
      recorder,
      clock,
      statusOf: (uid) => pleg.getCachedStatus(uid),
      hostIPs: () => [nodeIP],
    });
    runtimeManager.setProbeResults(probeManager);
    const sm = (late.statusManager = new StatusManager({
      writer,
      clock,
      onError: (err, pod) => log.debug({ err, pod }, 'pod status write failed'),
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
    });
    const podWorkers = new PodWorkers({
      syncer,
      clock,
      onError: (err, pod) => log.warn({ err, pod: pod.metadata?.name }, 'pod worker failed'),
    });
    pleg.subscribe((e) => podWorkers.wake(e.podUid));
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
          const phase = pod.status?.phase;
          const node = nodeAgent.node;
          if (
            node &&
            phase !== 'Succeeded' &&
            phase !== 'Failed' &&
            !pod.metadata?.deletionTimestamp &&
            podWorkers.state(uid) === undefined
          ) {
            const verdict = admitPod(pod, node, active());
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

    const logManager = new ContainerLogManager({
      runtime,
      clock,
      onError: (err) => log.debug({ err }, 'log rotation'),
    });
    const loops: Promise<unknown>[] = [];
    const keep = (name: string, p: Promise<unknown>) =>
      loops.push(
        p.catch((err) => {
          if (!signal.aborted) log.error({ err }, `${name} stopped`);
        }),
      );
    try {
      keep('node agent', nodeAgent.run(signal));
      keep('service informer', services.run(signal));
      await Promise.race([
        nodeAgent.registered,
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
      ]);
      this.#ready.resolve({ port });
      log.info({ node: c.nodeName, port, nodeIP }, 'kubelet running');

      keep('pleg', pleg.run(signal));
      // Registration reported NotReady (PLEG had not relisted yet); report Ready as soon as it has.
      keep(
        'first node status',
        clock.sleep(1500, signal).then(() => nodeAgent.syncStatus()),
      );
      keep('status manager', sm.run(signal));
      keep('pod workers', podWorkers.run(signal));
      keep('volume manager', volumeManager.run(signal));
      keep('log manager', logManager.run(signal));
      podConfig.subscribe(dispatch);
      keep('api source', apiSource.run(signal));
      keep('file source', fileSource.run(signal));
      await Promise.race([
        Promise.all([apiSource.synced, fileSource.scan()]),
        new Promise((r) => signal.addEventListener('abort', r, { once: true })),
      ]);
      keep(
        'housekeeping',
        this.#housekeeping(signal, { podWorkers, syncer, sm, dirs, logRoot, volumeManager, mirrors, apiSource }),
      );
      await new Promise((r) => (signal.aborted ? r(undefined) : signal.addEventListener('abort', r, { once: true })));
    } finally {
      if (!this.#ready.settled) this.#ready.reject(new Error('kubelet stopped before it was ready'));
      await probeManager.stop().catch(() => {});
      // A loop stuck in a runtime call must not keep the process from stopping: the containers outlive the
      // kubelet anyway, and the next start adopts them.
      const giveUp = new AbortController();
      const stopped = await Promise.race([
        Promise.allSettled(loops).then(() => true),
        realClock.sleep(15_000, giveUp.signal).then(
          () => false,
          () => false,
        ),
      ]);
      giveUp.abort();
      if (!stopped) log.warn('kubelet loops did not stop within 15 s; exiting anyway');
      await server.close();
      await recorder.flush().catch(() => {});
      eventClient.close();
    }
  }

  #deleteFromApi: (pod: IPod) => Promise<void> = async () => {};

  async #onPodTerminated(pod: IPod): Promise<void> {
    await this.#deleteFromApi(pod);
  }

  async #housekeeping(signal: AbortSignal, k: HousekeepingParts): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#housekeepOnce(k);
      } catch (err) {
        this.#log.warn({ err }, 'housekeeping');
      }
      try {
        await this.#clock.sleep(this.#c.housekeepingPeriodMs ?? 2000, signal);
      } catch {
        return;
      }
    }
  }

  async #housekeepOnce(k: HousekeepingParts): Promise<void> {
    const { podWorkers, syncer, sm, dirs, logRoot, volumeManager, mirrors, apiSource } = k;
    // Removed pods whose workers finished: forget them.
    for (const uid of [...this.#removed]) {
      const state = podWorkers.state(uid);
      if (state === undefined || state === 'finished' || state === 'terminated') {
        if (this.podConfig.get(uid)) continue;
        podWorkers.forget(uid);
        sm.removePod(uid);
        this.#removed.delete(uid);
      }
    }
    // Deleted pods whose teardown finished but whose final API delete did not go through (API down): retry.
    for (const pod of this.podConfig.pods()) {
      const uid = pod.metadata?.uid ?? '';
      const state = podWorkers.state(uid);
      if (pod.metadata?.deletionTimestamp && !isStaticPod(pod) && state === 'finished') await this.#deleteFromApi(pod);
    }
    const known = new Set<string>([
      ...this.podConfig.pods().map((p) => p.metadata?.uid ?? ''),
      ...podWorkers.knownPods(),
    ]);
    await syncer.cleanupOrphanedPods(known);

    // Pod and log directories of pods nobody knows any more (deleted while the kubelet was down, or done).
    for (const uid of await fs.readdir(dirs.podsDir()).catch(() => [] as string[])) {
      if (known.has(uid)) continue;
      await volumeManager.unmountPodVolumes(uid);
      await fs.rm(dirs.podDir(uid), { recursive: true, force: true });
    }
    for (const entry of await fs.readdir(logRoot).catch(() => [] as string[])) {
      const uid = entry.slice(entry.lastIndexOf('_') + 1);
      if (!known.has(uid)) await fs.rm(path.join(logRoot, entry), { recursive: true, force: true });
    }

    const statics = this.podConfig.pods().filter((p) => isStaticPod(p) && !this.#removed.has(p.metadata?.uid ?? ''));
    const { created } = await mirrors.reconcile(statics, apiSource.mirrorPods());
    // A new mirror has no status yet: have its static pod's worker publish one now.
    for (const sp of statics) if (created.includes(podFullName(sp))) podWorkers.wake(sp.metadata?.uid ?? '');
  }
}
