/**
 * `kubeling agent --server URL --token TOKEN [--node-name N] [--data-dir DIR] [--runtime oci|fake]
 * [--node-labels k=v,...] [--register-with-taints k=v:Effect,...] [--pod-manifest-path DIR]`: joins this machine to a server as a
 * worker node and runs its kubelet until SIGTERM/SIGINT.
 *
 *   discover   cluster-info (CA, signed with the token; ./join.ts) → trusted CA, kept in DIR/pki/ca.crt
 *              (a later start checks the server against it)
 *   identify   a CertificateSigningRequest for system:node:<name>, sent with the token → DIR/kubelet.kubeconfig
 *              (reused on restart, renewed within 20% of its expiry); then the kubelet client token
 *   register   the Node with its labels and taints, without a podCIDR
 *   wait       for the server's node-ipam to set spec.podCIDR (one /24 of 10.42.0.0/16)
 *   serve      a kubernetes.io/kubelet-serving CertificateSigningRequest as the node, for its name and
 *              InternalIP → DIR/pki/kubelet-server-current.pem (reused on restart while fresh), the
 *              kubelet's serving certificate, signed by the cluster CA
 *   run        the runtime (its own CNI bridge `kubeling<n>` and pod CIDR; state in DIR/runtime, images in
 *              DIR/images) and the kubelet (DIR/kubelet, static pods from DIR/manifests and
 *              --pod-manifest-path), beside the service proxy (nftables rules): the same node managers the
 *              server runs (components/node.ts), and the node's cluster DNS (components/dns.ts; --cluster-dns,
 *              --cluster-domain), and the pod network between nodes (components/pod-network.ts: routes or
 *              vxlan to the other nodes' podCIDRs, masquerade; cluster CIDR and backend from the server's
 *              kube-system/kubeling-pod-network ConfigMap; --node-ip)
 *
 * `--server URL1,URL2,...` names several servers of one cluster (servers on one etcd): the agent discovers
 * through the first that answers, and its client moves to the next when a connection to its server fails
 * (src/client/transport.ts), so the node keeps working, and its watches resume, when a server dies.
 *
 * It prints `ready node=N podCIDR=C` once its kubelet serves and its Node is Ready=True in the API. The
 * agent's Node has no control-plane role. The node token only joins: with it the agent asks for the node's own client
 * certificate (`system:node:<name>`, ./node-credentials.ts), kept in DIR/kubelet.kubeconfig, and everything
 * after that (registration, kubelet, proxy, DNS, pod network) runs as that node.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import type { INode } from 'kubernetes-models/v1/Node';
import { parse } from 'yaml';
import { ApiError, Client, isAlreadyExists } from '../client/index.ts';
import { configureLogging, createLogger, defaultLogFormat, realClock, type Logger } from '../machinery/index.ts';
import { checkEvictionFlags, defaultNodeDns, NODE_FLAGS, nodeFlagDefaults, parseFlagArgs, UsageError, type FlagSpec, type NodeFlagOptions } from './flags.ts';
import { runNode } from './components/node.ts';
import {
  DEFAULT_NODE_CAPACITY, DEFAULT_NODE_NAME_PREFIX, parseNodeCapacity, parseNodeNamePrefix, parseSimulateCount, runSimulatedNodes, type SimulateOptions,
} from './simulate.ts';
import type { NodeConfig } from './components/component.ts';
import { runNodeDns } from './components/dns.ts';
import { readNetConf } from './components/pod-network.ts';
import { VXLAN_MTU } from '../network/index.ts';
import {
  CertificateRequestError, credentialState, loadKubeletServingCertificate, loadNodeCredential, nodeUserName, requestKubeletServingCertificate,
  requestNodeCredential, writeKubeletKubeconfig, writeKubeletServingCertificate, type NodeCredential,
} from './node-credentials.ts';
import {
  CLUSTER_INFO,
  JWS_DATA_KEY,
  KUBELET_CLIENT_SECRET,
  bridgeForPodCidr,
  verifyDetached,
} from './join.ts';

/** What `kubeling agent` runs with: the node flags it shares with the server, and how it joins. */
export interface AgentOptions extends NodeFlagOptions {
  /** The first of `servers`. */
  server: string;
  /** Every `--server` URL, in order (comma-separated, or the flag given several times). */
  servers: string[];
  token: string;
  /** `--simulate N`: run N simulated nodes (fake runtime) instead of this machine's node. */
  simulate?: SimulateOptions;
}

export const AGENT_USAGE =
  'kubeling agent --server URL[,URL...] --token TOKEN|--token-file FILE [--node-name N] [--data-dir DIR] [--runtime oci|fake] [--node-labels k=v,...] [--register-with-taints k=v:Effect,...] [--pod-manifest-path DIR] [--private-registry FILE] [--protect-kernel-defaults] [--service-cidr CIDR] [--cluster-dns IP] [--cluster-domain DOMAIN] [--node-ip IP] [--log-format text|json] [--simulate N [--node-name-prefix P] [--node-capacity cpu=8,memory=32Gi,pods=110]]';
/** `kubeling agent`'s own flags, beside NODE_FLAGS: the servers and the token, read after parsing. */
interface AgentArgs extends NodeFlagOptions {
  servers: string[];
  token?: string;
  tokenFile?: string;
  simulate?: number;
  nodeNamePrefix?: string;
  nodeCapacity?: Record<string, string>;
}

const AGENT_FLAGS: FlagSpec<AgentArgs> = {
  bool: { ...NODE_FLAGS.bool },
  value: {
    ...NODE_FLAGS.value,
    '--server': (o, value) => {
      for (const one of value.split(',').filter((v) => v.trim() !== '')) {
        let url: URL;
        try {
          url = new URL(one.trim());
        } catch {
          throw new UsageError(`invalid value for --server: ${JSON.stringify(one)} (want https://HOST:PORT)`);
        }
        if (url.protocol !== 'https:')
          throw new UsageError(`invalid value for --server: ${JSON.stringify(one)} (want https://HOST:PORT)`);
        if (!o.servers.includes(url.origin)) o.servers.push(url.origin);
      }
    },
    '--token': (o, value) => (o.token = value.trim()),
    '--token-file': (o, value) => (o.tokenFile = value),
    '--simulate': (o, value) => (o.simulate = parseSimulateCount(value)),
    '--node-name-prefix': (o, value) => (o.nodeNamePrefix = parseNodeNamePrefix(value)),
    '--node-capacity': (o, value) => (o.nodeCapacity = parseNodeCapacity(value)),
  },
  emptyIsMissing: true,
};

export async function parseAgentFlags(argv: string[]): Promise<AgentOptions> {
  const o: AgentArgs = { ...nodeFlagDefaults(), dataDir: './.kubeling-agent', servers: [] };
  parseFlagArgs(argv, o, AGENT_FLAGS);
  if (o.token === undefined && o.tokenFile !== undefined) {
    try {
      o.token = (await readFile(o.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file: ${(err as Error).message}`);
    }
  }
  const server = o.servers[0];
  if (!server) throw new UsageError('--server is required');
  if (!o.token) throw new UsageError('--token is required (the server writes it to DATA_DIR/node-token)');
  defaultNodeDns(o);
  checkEvictionFlags(o);
  if (o.simulate === undefined && (o.nodeNamePrefix !== undefined || o.nodeCapacity !== undefined))
    throw new UsageError('--node-name-prefix and --node-capacity go with --simulate N');
  if (o.simulate !== undefined && o.runtime !== 'fake') throw new UsageError('--simulate needs --runtime fake');
  return {
    server,
    servers: o.servers,
    token: o.token,
    nodeName: o.nodeName,
    dataDir: resolve(o.dataDir),
    runtime: o.runtime,
    nodeLabels: o.nodeLabels,
    nodeTaints: o.nodeTaints,
    ...(o.podManifestPath !== undefined ? { podManifestPath: o.podManifestPath } : {}),
    ...(o.privateRegistry !== undefined ? { privateRegistry: resolve(o.privateRegistry) } : {}),
    protectKernelDefaults: o.protectKernelDefaults,
    allowedUnsafeSysctls: o.allowedUnsafeSysctls,
    ...(o.eviction ? { eviction: o.eviction } : {}),
    ...(o.imageGC ? { imageGC: o.imageGC } : {}),
    ...(o.containerGC ? { containerGC: o.containerGC } : {}),
    ...(o.sandboxPoolSize !== undefined ? { sandboxPoolSize: o.sandboxPoolSize } : {}),
    serviceCidr: o.serviceCidr,
    clusterDns: o.clusterDns,
    clusterDomain: o.clusterDomain,
    ...(o.nodeIp !== undefined ? { nodeIp: o.nodeIp } : {}),
    ...(o.logFormat !== undefined ? { logFormat: o.logFormat } : {}),
    ...(o.simulate !== undefined
      ? { simulate: { count: o.simulate, prefix: o.nodeNamePrefix ?? DEFAULT_NODE_NAME_PREFIX, capacity: { ...DEFAULT_NODE_CAPACITY, ...o.nodeCapacity } } }
      : {}),
  };
}

export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

/** GET over TLS without checking the server certificate (nothing is trusted yet); `token` only if given. */
function insecureGet(
  url: string,
  token: string | undefined,
  signal: AbortSignal,
): Promise<{ code: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        rejectUnauthorized: false,
        signal,
        headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (body += d))
          .on('end', () => resolveGet({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The cluster CA, from the signed cluster-info. An anonymous read is tried first (Kubernetes serves
 * cluster-info to anyone, so the token never goes to an unverified server); a server that answers 401 gets
 * the token, and the CA is then trusted on first use. `pinnedCa` (from an earlier join) must match.
 */
export async function discoverCa(
  server: string,
  token: string,
  pinnedCa: string | undefined,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  const url = `${server}/api/v1/namespaces/${CLUSTER_INFO.namespace}/configmaps/${CLUSTER_INFO.name}`;
  let res = await insecureGet(url, undefined, signal);
  if (res.code === 401 || res.code === 403) {
    if (!pinnedCa)
      log.warn(
        'the server does not serve cluster-info anonymously: sending the token before the server is verified (trust on first use)',
      );
    res = pinnedCa ? res : await insecureGet(url, token, signal);
  }
  if (res.code === 401 && pinnedCa) {
    // Verified transport from here on: the pinned CA must accept the server before the token is sent.
    const client = new Client({ server, token, caData: pinnedCa, userAgent: 'kubeling-agent' });
    const cm = await client
      .resource<{ kind?: string; data?: Record<string, string> }>('configmaps', CLUSTER_INFO.namespace)
      .get(CLUSTER_INFO.name, { signal });
    res = { code: 200, body: JSON.stringify(cm) };
  }
  if (res.code === 401) throw new JoinError('the server refused the token (401 Unauthorized)');
  // A server that just printed `ready` may not have published cluster-info yet: retried by the caller.
  if (res.code === 404) {
    throw new Error(
      `the server has no ${CLUSTER_INFO.namespace}/${CLUSTER_INFO.name} yet (still starting, or not a kubeling server)`,
    );
  }
  if (res.code !== 200) throw new Error(`reading cluster-info: HTTP ${res.code}: ${res.body.slice(0, 200)}`);
  const data = (JSON.parse(res.body) as { data?: Record<string, string> }).data ?? {};
  const kubeconfig = data.kubeconfig;
  const jws = data[JWS_DATA_KEY];
  if (!kubeconfig || !jws) throw new JoinError('cluster-info is not signed for this token');
  if (!verifyDetached(kubeconfig, jws, token))
    throw new JoinError('cluster-info signature does not match the token (wrong token, or not the server you meant)');
  const cfg = parse(kubeconfig) as { clusters?: { cluster?: { 'certificate-authority-data'?: string } }[] };
  const caData = cfg.clusters?.[0]?.cluster?.['certificate-authority-data'];
  if (!caData) throw new JoinError('cluster-info holds no CA');
  const ca = Buffer.from(caData, 'base64').toString('utf8');
  if (pinnedCa && pinnedCa.trim() !== ca.trim())
    throw new JoinError('the server CA changed since this node joined (remove DIR/pki/ca.crt to join anew)');
  return ca;
}

async function writeAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  await writeFile(`${file}.tmp`, text, { mode });
  await rename(`${file}.tmp`, file);
}

/** Registers the Node (labels, taints, no podCIDR) unless it exists, then waits for its podCIDR. */
async function registerAndWaitForPodCidr(
  client: Client,
  o: AgentOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  const nodes = client.resource<INode>('nodes');
  try {
    await nodes.create(
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: o.nodeName,
          labels: { 'kubernetes.io/hostname': o.nodeName, 'kubernetes.io/os': 'linux', ...o.nodeLabels },
        },
        spec: o.nodeTaints.length ? { taints: o.nodeTaints } : {},
      },
      { signal },
    );
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  let waited = 0;
  for (;;) {
    const node = await nodes.get(o.nodeName, { signal });
    if (node.spec?.podCIDR) return node.spec.podCIDR;
    if (waited === 5000) log.info('waiting for the server to allocate this node a pod CIDR');
    await realClock.sleep(100, signal);
    waited += 100;
  }
}

/**
 * This node's credential: the one in DIR/kubelet.kubeconfig while it has more than 20% of its life left; a
 * renewal asked for with it when less is left; a new one asked for with the join token when there is none
 * (or it expired).
 */
async function nodeCredential(o: AgentOptions, caPem: string, log: Logger, signal: AbortSignal): Promise<NodeCredential> {
  const have = await loadNodeCredential(o.dataDir, o.nodeName);
  const state = have ? credentialState(have, Date.now()) : 'expired';
  if (have && state === 'fresh') return have;
  const as = have && state === 'renew'
    ? { certData: have.certPem, keyData: have.keyPem }
    : { token: o.token };
  if (have && state === 'renew') log.info('the node client certificate is near its expiry: renewing it');
  const client = new Client({ server: o.server, servers: o.servers, ...as, caData: caPem, userAgent: `kubeling-agent/${o.nodeName}` });
  try {
    return await requestNodeCredential(client, o.nodeName, log, signal);
  } catch (err) {
    if (err instanceof CertificateRequestError) throw new JoinError(err.message);
    throw err;
  } finally {
    client.close();
  }
}

/**
 * The kubelet's serving certificate for the node's name and InternalIP: the kept one while it is fresh and for
 * these names; else one asked for as the node through a kubernetes.io/kubelet-serving request, after making sure
 * the Node lists these addresses (the server's approver approves only the node's own names and addresses; the
 * kubelet reports the same ones once it runs).
 */
function kubeletServingCertificate(client: Client, o: AgentOptions, log: Logger, signal: AbortSignal) {
  return async (n: { name: string; ip: string }): Promise<NodeCredential> => {
    const hosts = [n.name, n.ip];
    const kept = await loadKubeletServingCertificate(o.dataDir, n.name, hosts, Date.now());
    if (kept) return kept;
    const cred = await retry('getting the kubelet serving certificate', async () => {
      const nodes = client.resource<INode>('nodes');
      const addresses = (await nodes.get(n.name, { signal })).status?.addresses ?? [];
      const has = (type: string, address: string) => addresses.some((a) => a.type === type && a.address === address);
      if (!has('InternalIP', n.ip) || !has('Hostname', n.name)) {
        await nodes.patchStatus(n.name, { status: { addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }] } }, 'merge', { signal });
      }
      try {
        return await requestKubeletServingCertificate(client, n.name, hosts, log, signal);
      } catch (err) {
        if (err instanceof CertificateRequestError) throw new JoinError(err.message);
        throw err;
      }
    }, log, signal);
    await writeKubeletServingCertificate(o.dataDir, cred);
    log.info({ hosts }, 'kubelet serving certificate issued by the cluster CA');
    return cred;
  };
}

async function retry<T>(what: string, fn: () => Promise<T>, log: Logger, signal: AbortSignal): Promise<T> {
  let delay = 200;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (
        signal.aborted ||
        err instanceof JoinError ||
        (err instanceof ApiError && (err.code === 401 || err.code === 403))
      )
        throw err;
      log.warn({ err: (err as Error).message }, `${what} failed; retrying`);
      await realClock.sleep(delay, signal);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export async function runAgent(argv: string[]): Promise<number> {
  let o: AgentOptions;
  try {
    o = await parseAgentFlags(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kubeling agent: ${err.message}\nusage: ${AGENT_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  configureLogging({ format: o.logFormat ?? defaultLogFormat(process.stderr.isTTY) });
  const log = createLogger('agent');
  const stopping = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.kill(process.pid, 'SIGKILL');
    log.info({ signal: sig }, 'stopping');
    stopping.abort();
    // A runtime call that never returns (a hung `crun`, a blocked fifo) must not keep the node agent
    // alive forever: containers outlive the agent anyway, and a restart adopts them.
    setTimeout(() => {
      // SIGKILL rather than exit(): exit() waits for libuv's threads, and a thread blocked in open() on a
      // fifo is exactly what can hang here.
      log.error('the kubelet did not stop within 20 s; killing the agent');
      process.kill(process.pid, 'SIGKILL');
    }, 20_000).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const signal = stopping.signal;

  try {
    await mkdir(join(o.dataDir, 'pki'), { recursive: true, mode: 0o700 });
    const caFile = join(o.dataDir, 'pki', 'ca.crt');
    const pinned = existsSync(caFile) ? await readFile(caFile, 'utf8') : undefined;
    // Through the first server that answers (all servers of one cluster publish the same signed CA).
    let next = 0;
    const caPem = await retry(
      'discovering the server',
      () => discoverCa(o.servers[next++ % o.servers.length]!, o.token, pinned, log, signal),
      log,
      signal,
    );
    if (!pinned) await writeAtomic(caFile, caPem, 0o644);
    if (o.simulate) return await runSimulatedNodes(o, o.simulate, caPem, log, signal);
    // The node's own credential (DIR/kubelet.kubeconfig): reused, renewed, or asked for with the join identity.
    const cred = await retry('getting the node client certificate', () => nodeCredential(o, caPem, log, signal), log, signal);
    const kubeconfigPath = await writeKubeletKubeconfig(o.dataDir, o.server, caPem, o.nodeName, cred);
    log.info({ kubeconfig: kubeconfigPath, user: nodeUserName(o.nodeName) }, 'node credential ready');
    const client = new Client({
      server: o.server,
      servers: o.servers,
      certData: cred.certPem,
      keyData: cred.keyPem,
      caData: caPem,
      userAgent: `kubeling-agent/${o.nodeName}`,
    });
    const secret = await retry(
      'reading the kubelet client token',
      () =>
        client
          .resource<{ kind?: string; data?: Record<string, string> }>('secrets', KUBELET_CLIENT_SECRET.namespace)
          .get(KUBELET_CLIENT_SECRET.name, { signal }),
      log,
      signal,
    );
    const kubeletToken = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    if (!kubeletToken)
      throw new JoinError(`secret ${KUBELET_CLIENT_SECRET.namespace}/${KUBELET_CLIENT_SECRET.name} holds no token`);
    const podCidr = await retry(
      'registering the node',
      () => registerAndWaitForPodCidr(client, o, log, signal),
      log,
      signal,
    );

    // The pod network's cluster CIDR and backend come from the server (its kubeling-pod-network ConfigMap).
    const netConf = o.runtime === 'oci' ? await retry('reading the pod network settings', () => readNetConf(client, signal), log, signal) : undefined;
    const bridge = bridgeForPodCidr(podCidr);
    const node: NodeConfig = {
      name: o.nodeName,
      role: 'agent',
      podCidr,
      bridge,
      runtime: o.runtime,
      labels: o.nodeLabels,
      taints: o.nodeTaints,
      podManifestPath: o.podManifestPath,
      ...(o.privateRegistry !== undefined ? { privateRegistry: o.privateRegistry } : {}),
      protectKernelDefaults: o.protectKernelDefaults,
      ...(o.allowedUnsafeSysctls.length ? { allowedUnsafeSysctls: o.allowedUnsafeSysctls } : {}),
      ...(o.eviction ? { eviction: o.eviction } : {}),
      ...(o.imageGC ? { imageGC: o.imageGC } : {}),
      ...(o.containerGC ? { containerGC: o.containerGC } : {}),
      ...(o.sandboxPoolSize !== undefined ? { sandboxPoolSize: o.sandboxPoolSize } : {}),
      serviceCidr: o.serviceCidr,
      clusterDns: o.clusterDns,
      clusterDomain: o.clusterDomain,
      ...(o.nodeIp !== undefined ? { nodeIp: o.nodeIp } : {}),
      ...(netConf?.backend === 'vxlan' ? { podMtu: VXLAN_MTU } : {}),
    };
    const kubelet = runNode({
      client,
      // The agent is not told the cluster CIDR: its proxy treats its own pods' range as local (NodeCIDR mode).
      localPodCidr: podCidr,
      serviceCidr: o.serviceCidr,
      proxyLogger: createLogger('proxy'),
      ...(netConf ? { netConf } : {}),
      caPem,
      kubeletToken,
      kubeletServingCert: kubeletServingCertificate(client, o, log, signal),
      dataDir: o.dataDir,
      logger: createLogger('kubelet'),
      signal,
      node,
      onReady: () =>
        process.stdout.write(
          `ready node=${o.nodeName} podCIDR=${podCidr} bridge=${o.runtime === 'oci' ? bridge : '-'}\n`,
        ),
    });
    // The node's cluster DNS beside its kubelet; a failure there is logged, never fatal to the node.
    // It stops with the agent, or when the kubelet fails.
    const dnsLog = createLogger('dns');
    const dnsStop = new AbortController();
    signal.addEventListener('abort', () => dnsStop.abort(), { once: true });
    const dns = runNodeDns({ client, node, logger: dnsLog, signal: dnsStop.signal }).catch((err) => {
      if (!dnsStop.signal.aborted) dnsLog.error({ err }, 'cluster DNS failed');
    });
    try {
      await kubelet;
    } finally {
      dnsStop.abort();
      await dns;
    }
  } catch (err) {
    // runNode's kubelet has closed (and awaited) the runtime it made.
    if (signal.aborted) return 0;
    process.stderr.write(`kubeling agent: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}
