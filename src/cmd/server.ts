/**
 * `kubeling server`: the all-in-one control plane (and, unless --no-agent, the local node). The composition
 * root: it picks the store backend, makes or loads the PKI and tokens in the data dir, starts the API server,
 * writes DIR/kubeconfig.yaml, starts the components (each with a client over loopback acting as its own identity, tokens minted at
 * start: ./component-identities.ts), then prints the `ready` line. SIGTERM/SIGINT stop components first, then the API server, then the store; every loop is
 * awaited with Promise.allSettled.
 *
 * Data dir: pki/ (ca.crt, ca.key, server.crt, server.key, sa.key), admin-token, node-token, kubelet-client-token,
 * kubeconfig.yaml, kubelet.kubeconfig (the local node's own certificate, system:node:<name>), state.db (sqlite).
 *
 * Several servers on one etcd: the CA, the service-account key and the tokens are the cluster's, shared
 * through the store (./bootstrap.ts; a later server needs the first one's node token, `--token` or
 * `--token-file`), and with `--leader-elect` (the default with etcd) the scheduler and the controller manager
 * act only in the server holding their Lease (components/leader-elected.ts).
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { applyServerHeapSettings } from './heap-settings.ts';
import { ApiServer, TokenAuthenticator, advertiseAddress, BOOTSTRAP_USER, BOOTSTRAPPERS_GROUP, NodeGraph, ensurePki, ensureServiceAccountKey, ensureToken, ipAt, parseServiceCidr } from '../apiserver/index.ts';
import { podSecurityConfigFromAdmissionFile, type PodSecurityConfig } from '../apiserver/index.ts';
import { openStore, TransformingStore, type Store } from '../storage/index.ts';
import { RESOURCES } from '../api/index.ts';
import { checkStoredValuesReadable, loadEncryptionConfig, storeKeyTransformers, type EncryptionConfig } from '../apiserver/index.ts';
import { Client } from '../client/index.ts';
import { configureLogging, createLogger, defaultLogFormat, Deferred } from '../machinery/index.ts';
import { parseServerFlags, UsageError, type ServerOptions } from './flags.ts';
import type { Component, ComponentContext, NodeConfig } from './components/component.ts';
import { bridgeForPodCidr, serverNodePodCidr } from './join.ts';
import { nodeComponent } from './components/node.ts';
import { podNetworkConfigComponent } from './components/pod-network.ts';
import { VXLAN_MTU } from '../network/index.ts';
import { joinComponent } from './components/join.ts';
import { nodeIpamComponent } from './components/node-ipam.ts';
import { schedulerComponent } from './components/scheduler.ts';
import { controllersComponent } from './components/controllers.ts';
import { dnsComponent, kubeDnsServiceComponent } from './components/dns.ts';
import { localStorageComponent } from './components/local-storage.ts';
import { withLeaderElection } from './components/leader-elected.ts';
import { loadBootstrap, publishBootstrap } from './bootstrap.ts';
import { openAudit, type AuditSetup } from './audit.ts';
import { componentClients, ComponentCredentials, nodeUser } from './component-identities.ts';
import { inProcessReadsFor } from './in-process-reads.ts';
import { restClientMetrics } from './rest-client-metrics.ts';
import { authorizerFor } from './authorization.ts';
import { credentialState, loadNodeCredential, signKubeletServingCertificate, signNodeCredential, writeKubeletKubeconfig, type NodeCredential } from './node-credentials.ts';
import { createDashboard } from '../dashboard/index.ts';

/** The components the server runs besides the API server, one line each. */
export const COMPONENTS: Component[] = [
  nodeComponent,
  joinComponent,
  nodeIpamComponent,
  schedulerComponent,
  controllersComponent,
  kubeDnsServiceComponent,
  localStorageComponent,
  dnsComponent,
  podNetworkConfigComponent,
];

export function kubeconfigYaml(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubeling', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'kubeling', context: { cluster: 'kubeling', user: 'admin' } }],
    'current-context': 'kubeling',
    preferences: {},
  });
}

/**
 * The names the serving certificate must carry (besides localhost and loopback, which ensurePki adds): the
 * listen host, every `--tls-san`, and when listening on all addresses the machine's own non-loopback IPs,
 * so agents on other machines can verify the server at any of them.
 */
export function servingHosts(options: Pick<ServerOptions, 'listenHost' | 'tlsSans'>, nics = networkInterfaces()): string[] {
  const hosts = [options.listenHost, ...options.tlsSans];
  if (['0.0.0.0', '::', ''].includes(options.listenHost)) {
    for (const addrs of Object.values(nics)) {
      for (const a of addrs ?? []) {
        // Link-local v6 addresses need a zone to be dialled; nobody reaches a server through one.
        if (!a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'))) hosts.push(a.address);
      }
    }
  }
  return [...new Set(hosts)];
}

/**
 * The names a pod uses for the API server, which the serving certificate must carry as upstream's does: the
 * `kubernetes` Service's cluster IP and DNS names (cluster domain `cluster.local`), and the address the
 * Service's endpoints list (the listen address, or the host's primary IPv4 address on loopback or wildcard).
 */
export function inClusterHosts(options: Pick<ServerOptions, 'listenHost' | 'serviceCidr'>): string[] {
  const ip = ipAt(parseServiceCidr(options.serviceCidr), 1);
  return [ip, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', advertiseAddress(options.listenHost)];
}

/** The server's own node (undefined with --no-agent): the cluster CIDR's first /24 and its bridge. */
export function serverNode(options: ServerOptions): NodeConfig | undefined {
  if (options.noAgent) return undefined;
  const podCidr = serverNodePodCidr(options.clusterCidr);
  return {
    name: options.nodeName, role: 'server', podCidr, bridge: bridgeForPodCidr(podCidr), runtime: options.runtime,
    labels: options.nodeLabels, taints: options.nodeTaints, podManifestPath: options.podManifestPath,
    ...(options.privateRegistry !== undefined ? { privateRegistry: options.privateRegistry } : {}),
    protectKernelDefaults: options.protectKernelDefaults,
    ...(options.allowedUnsafeSysctls.length ? { allowedUnsafeSysctls: options.allowedUnsafeSysctls } : {}),
    ...(options.eviction ? { eviction: options.eviction } : {}),
    ...(options.imageGC ? { imageGC: options.imageGC } : {}),
    ...(options.containerGC ? { containerGC: options.containerGC } : {}),
    ...(options.sandboxPoolSize !== undefined ? { sandboxPoolSize: options.sandboxPoolSize } : {}),
    clusterDns: options.clusterDns, clusterDomain: options.clusterDomain,
    serviceCidr: options.serviceCidr,
    ...(options.nodeIp ? { nodeIp: options.nodeIp } : {}),
    ...(options.podNetwork === 'vxlan' ? { podMtu: VXLAN_MTU } : {}),
  };
}

/** The server's node credential: the one in DIR/kubelet.kubeconfig unless under 20% of its life is left. */
async function serverNodeCredential(dataDir: string, caPem: string, nodeName: string): Promise<NodeCredential> {
  const have = await loadNodeCredential(dataDir, nodeName);
  if (have && credentialState(have, Date.now()) === 'fresh') return have;
  return signNodeCredential(caPem, await readFile(join(dataDir, 'pki', 'ca.key'), 'utf8'), nodeName);
}

async function writeAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}

export async function runServer(argv: string[]): Promise<number> {
  let options: ServerOptions;
  try {
    options = parseServerFlags(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kubeling server: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  configureLogging({ format: options.logFormat ?? defaultLogFormat(process.stderr.isTTY) });
  applyServerHeapSettings();
  const logger = createLogger('server');
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let token = options.token;
  if (options.tokenFile !== undefined) {
    try {
      token = (await readFile(options.tokenFile, 'utf8')).trim();
    } catch (err) {
      process.stderr.write(`kubeling server: cannot read --token-file: ${(err as Error).message}\n`);
      return 2;
    }
    if (!token) {
      process.stderr.write(`kubeling server: --token-file ${options.tokenFile} is empty\n`);
      return 2;
    }
  }

  // Read before the store opens: a bad config stops the server with upstream's one-line error.
  let encryption: EncryptionConfig | undefined;
  try {
    if (options.encryptionProviderConfig !== undefined) encryption = await loadEncryptionConfig(options.encryptionProviderConfig);
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    return 1;
  }
  let audit: AuditSetup | undefined;
  try {
    audit = await openAudit(options.audit, logger);
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    return 2;
  }
  let podSecurity: PodSecurityConfig | undefined;
  if (options.admissionControlConfigFile !== undefined) {
    try {
      podSecurity = await loadPodSecurityConfig(options.admissionControlConfigFile);
    } catch (err) {
      process.stderr.write(`kubeling server: --admission-control-config-file: ${(err as Error).message}\n`);
      return 2;
    }
  }

  let store: Store;
  try {
    store = await openStore(options.storage, { dataDir });
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    return 1;
  }
  if (encryption) {
    store = new TransformingStore({ store, transformerFor: storeKeyTransformers(encryption, RESOURCES) });
    for (const rule of encryption.summary) logger.info({ resources: rule.resources, writes: rule.writes }, 'encryption at rest');
    try {
      await checkStoredValuesReadable(store, RESOURCES);
    } catch (err) {
      const message = (err as Error).message;
      const hint = message.startsWith('unable to transform key') ? ' (--encryption-provider-config must list every key stored data still uses)' : '';
      process.stderr.write(`kubeling server: ${message}${hint}\n`);
      await store.close().catch(() => {});
      return 1;
    }
  }
  const ensureIdentity = async () => {
    await mkdir(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
    await ensurePki(join(dataDir, 'pki'), [...servingHosts(options), ...inClusterHosts(options)]);
    await ensureToken(join(dataDir, 'admin-token'));
    await ensureToken(join(dataDir, 'kubelet-client-token'));
    await ensureServiceAccountKey(join(dataDir, 'pki', 'sa.key'), (note) => logger.warn({}, note));
  };
  try {
    // With etcd the identity is the cluster's: take the stored one, or store ours for later servers.
    const shared = options.storage.startsWith('etcd://');
    const state = shared ? await loadBootstrap(store, dataDir, token) : 'first';
    if (state === 'first' && token !== undefined) await writeAtomic(join(dataDir, 'node-token'), `${token}\n`);
    await ensureToken(join(dataDir, 'node-token'));
    await ensureIdentity();
    if (shared && state === 'first' && (await publishBootstrap(store, dataDir)) === 'published') {
      logger.info({}, 'stored the cluster identity in the datastore for other servers');
    } else if (shared) {
      logger.info({}, 'took the cluster identity from the datastore');
    }
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    await store.close().catch(() => {});
    return 1;
  }
  const pki = await ensurePki(join(dataDir, 'pki'), [...servingHosts(options), ...inClusterHosts(options)]);
  const adminToken = await ensureToken(join(dataDir, 'admin-token'));
  const nodeToken = await ensureToken(join(dataDir, 'node-token'));
  const kubeletToken = await ensureToken(join(dataDir, 'kubelet-client-token'));
  const authenticator = new TokenAuthenticator();
  authenticator.add(adminToken, { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
  // The node token only joins: its identity may ask for a node certificate (RBAC's kubeadm:kubelet-bootstrap).
  authenticator.add(nodeToken, { name: BOOTSTRAP_USER, groups: [BOOTSTRAPPERS_GROUP, 'system:authenticated'] });
  const nodeGraph = new NodeGraph();
  const saKeys = await ensureServiceAccountKey(join(dataDir, 'pki', 'sa.key'), (note) => logger.warn({}, note));
  // One Prometheus registry for the process: the API server's metrics, the scheduler's and the controllers'
  // (upstream serves those on their own ports) and the process metrics, all at the API server's /metrics.
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  // The dashboard reaches the API as its users, over the address the server listens on (set below).
  let selfUrl: string | undefined;
  const apiserver = new ApiServer({
    metricsRegistry: metrics,
    publicHandlers: options.dashboard ? [createDashboard({ apiServer: () => selfUrl, caPem: pki.caPem })] : [],
    store, tls: { certPem: pki.certPem, keyPem: pki.keyPem }, caPem: pki.caPem, authenticator, kubeletToken, auditor: audit?.auditor,
    serviceAccountKey: saKeys.signing, serviceAccountVerificationKeys: saKeys.extraVerifying,
    serviceAccountIssuers: options.serviceAccountIssuers, apiAudiences: options.apiAudiences,
    serviceAccountMaxTokenExpirationSeconds: options.serviceAccountMaxTokenExpirationMs / 1000,
    ...(options.serviceAccountJwksUri ? { serviceAccountJwksUri: options.serviceAccountJwksUri } : {}),
    authorizer: (server) => authorizerFor(options.authorizationModes, server, nodeGraph), nodeGraph,
    // An etcd may have other writers, whose writes the watch cache cannot be known to have seen.
    consistentListFromCache: !options.storage.startsWith('etcd://'),
    serviceCidr: options.serviceCidr, serviceNodePortRange: options.serviceNodePortRange,
    // Pods reach the API through the kubernetes Service's endpoint, the host's address: serve there too.
    alsoListenOnAdvertiseAddress: true,
    defaultTolerationSeconds: { notReady: options.defaultNotReadyTolerationSeconds, unreachable: options.defaultUnreachableTolerationSeconds },
    podSecurity,
    podPreset: !(options.disableAdmissionPlugins ?? []).includes('PodPreset'),
    limitRanger: !(options.disableAdmissionPlugins ?? []).includes('LimitRanger'),
    resourceQuota: !(options.disableAdmissionPlugins ?? []).includes('ResourceQuota'),
    limits: {
      maxRequestsInflight: options.maxRequestsInflight, maxMutatingRequestsInflight: options.maxMutatingRequestsInflight,
      maxWatchesPerUser: options.maxWatchesPerUser, requestTimeoutMs: options.requestTimeoutMs,
    },
  });
  const stopping = new AbortController();
  const loops: Promise<void>[] = [];
  let stopped: Promise<void> | undefined;
  const names: string[] = [];
  const stop = async () => {
    stopping.abort();
    // A component blocked on a request to the API server would hold the stop forever: after a grace period,
    // name the laggards, close the API server (which ends their connections) and then wait for them. Both waits
    // together stay well inside the 10 s a supervisor usually gives before SIGKILL.
    const pending = new Set(names);
    loops.forEach((l, i) => void l.finally(() => pending.delete(names[i]!)));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 3000)));
    if ((await Promise.race([Promise.allSettled(loops), grace])) === 'timeout') {
      logger.warn({ components: [...pending] }, 'components still stopping; closing the API server first');
    }
    clearTimeout(timer);
    await apiserver.stop();
    await audit?.log.stop();
    const last = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 4000)));
    if ((await Promise.race([Promise.allSettled(loops), last])) === 'timeout') {
      // Nothing is served any more; a loop that ignores its signal must not keep the process alive.
      logger.error({ components: [...pending] }, 'components did not stop; exiting anyway');
      await store.close().catch(() => {});
      process.exit(0);
    }
    clearTimeout(timer);
    await store.close();
    // A timer or socket some component left behind must not keep a stopped server alive (unref'd: a clean
    // stop exits before it fires).
    setTimeout(() => {
      logger.warn({}, 'handles left open after stop; exiting');
      process.exit(0);
    }, 3000).unref();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) {
      logger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal: sig }, 'stopping');
    stopped = stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await apiserver.start();
    const addr = await apiserver.listen(options.listenHost, options.listenPort);
    const host = ['0.0.0.0', '::', ''].includes(options.listenHost) ? '127.0.0.1' : options.listenHost;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    selfUrl = server;
    const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
    await writeAtomic(kubeconfigPath, kubeconfigYaml(server, pki.caPem, adminToken));
    const enabled = COMPONENTS.filter((c) => !options.disabledComponents.includes(c.name));
    // `ready` means kubectl works against the whole server: with a local node, once its kubelet serves (after a
    // restart, logs, exec and port-forward reach the adopted pods at once) and its Node is Ready=True in the API
    // (`kubectl wait --for=condition=Ready node --all` right after passes).
    const nodeReady = new Deferred<void>();
    let nodeLoop: Promise<void> | undefined;
    const credentials = new ComponentCredentials({
      authenticator, server, caPem: pki.caPem, requestObserver: restClientMetrics(metrics),
      inProcess: (user) => inProcessReadsFor(apiserver, user),
      connect: () => apiserver.connectInProcess(),
    });
    // The local node acts as system:node:<name>, with a certificate the server signs itself (DIR/kubelet.kubeconfig).
    const localNode = serverNode(options);
    const nodeCred = localNode ? await serverNodeCredential(dataDir, pki.caPem, localNode.name) : undefined;
    if (localNode && nodeCred) await writeKubeletKubeconfig(dataDir, server, pki.caPem, localNode.name, nodeCred);
    for (const component of options.leaderElect ? withLeaderElection(enabled) : enabled) {
      const ctx: ComponentContext = {
        ...componentClients(credentials, component.name, options.nodeName),
        kubeconfigPath, server, caPem: pki.caPem, nodeToken, kubeletToken, dataDir, options, node: localNode,
        ...(localNode && component.name === nodeComponent.name ? { kubeletServingCert: async (n: { name: string; ip: string }) => signKubeletServingCertificate(pki.caPem, await readFile(join(dataDir, 'pki', 'ca.key'), 'utf8'), localNode.name, [n.name, 'localhost', '127.0.0.1', n.ip]) } : {}),
        ...(nodeCred && localNode && component.name === nodeComponent.name ? { nodeClient: new Client({ server, certData: nodeCred.certPem, keyData: nodeCred.keyPem, caData: pki.caPem, userAgent: `kubeling-${component.name}`, connect: () => apiserver.connectInProcess(nodeUser(localNode.name)) }) } : {}),
        onNodeReady: () => nodeReady.resolve(),
        metrics,
        logger: createLogger(component.name),
        signal: stopping.signal,
      };
      names.push(component.name);
      const loop = component.run(ctx).catch((err) => {
        if (!stopping.signal.aborted) logger.error({ err, component: component.name }, 'component failed');
      });
      if (component.name === nodeComponent.name) nodeLoop = loop;
      loops.push(loop);
    }
    if (nodeLoop && serverNode(options)) await Promise.race([nodeReady.promise, nodeLoop]);
    process.stdout.write(`ready ${server} kubeconfig=${kubeconfigPath}\n`);
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    await stop().catch(() => {});
    return 1;
  }
  await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  await stopped;
  return 0;
}

/** PodSecurity's configuration from kube-apiserver's `--admission-control-config-file` (plugin paths resolve against it). */
async function loadPodSecurityConfig(file: string): Promise<PodSecurityConfig | undefined> {
  const text = await readFile(file, 'utf8');
  const base = dirname(resolve(file));
  return podSecurityConfigFromAdmissionFile(text, (path) => readFileSync(isAbsolute(path) ? path : join(base, path), 'utf8'));
}
