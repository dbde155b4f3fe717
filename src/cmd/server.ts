/**
 * `kubeling server`: the all-in-one control plane (and, unless --no-agent, the local node). The composition
 * root: it picks the store backend, makes or loads the PKI and tokens in the data dir, starts the API server,
 * writes DIR/kubeconfig.yaml, starts the components (each with an admin client over loopback), then prints the
 * `ready` line. SIGTERM/SIGINT stop components first, then the API server, then the store; every loop is
 * awaited with Promise.allSettled.
 *
 * Data dir: pki/ (ca.crt, ca.key, server.crt, server.key), admin-token, node-token, kubelet-client-token,
 * kubeconfig.yaml, state.db (sqlite).
 */
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ApiServer, TokenAuthenticator, ensurePki, ensureServiceAccountKey, ensureToken } from '../apiserver/index.ts';
import { Client } from '../client/index.ts';
import { openStore, type Store } from '../storage/index.ts';
import { createLogger } from '../machinery/index.ts';
import { parseServerFlags, UsageError, type ServerOptions } from './flags.ts';
import type { Component, ComponentContext, NodeConfig } from './components/component.ts';
import { bridgeForPodCidr, serverNodePodCidr } from './join.ts';
import { nodeComponent } from './components/node.ts';
import { joinComponent } from './components/join.ts';
import { nodeIpamComponent } from './components/node-ipam.ts';
import { schedulerComponent } from './components/scheduler.ts';
import { controllersComponent } from './components/controllers.ts';
import { dnsComponent, kubeDnsServiceComponent } from './components/dns.ts';

/** The components the server runs besides the API server, one line each. */
const COMPONENTS: Component[] = [
  nodeComponent,
  joinComponent,
  nodeIpamComponent,
  schedulerComponent,
  controllersComponent,
  kubeDnsServiceComponent,
  dnsComponent,
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

/** The server's own node (undefined with --no-agent): the cluster CIDR's first /24 and its bridge. */
export function serverNode(options: ServerOptions): NodeConfig | undefined {
  if (options.noAgent) return undefined;
  const podCidr = serverNodePodCidr(options.clusterCidr);
  return {
    name: options.nodeName, role: 'server', podCidr, bridge: bridgeForPodCidr(podCidr), runtime: options.runtime,
    labels: options.nodeLabels, taints: options.nodeTaints, podManifestPath: options.podManifestPath,
    protectKernelDefaults: options.protectKernelDefaults,
    clusterDns: options.clusterDns, clusterDomain: options.clusterDomain,
  };
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
  const logger = createLogger('server');
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensurePki(join(dataDir, 'pki'), servingHosts(options));
  const adminToken = await ensureToken(join(dataDir, 'admin-token'));
  const nodeToken = await ensureToken(join(dataDir, 'node-token'));
  const kubeletToken = await ensureToken(join(dataDir, 'kubelet-client-token'));
  const authenticator = new TokenAuthenticator();
  authenticator.add(adminToken, { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
  authenticator.add(nodeToken, { name: 'system:node-bootstrap', groups: ['system:nodes', 'system:authenticated'] });

  let store: Store;
  try {
    store = await openStore(options.storage, { dataDir });
  } catch (err) {
    process.stderr.write(`kubeling server: ${(err as Error).message}\n`);
    return 1;
  }
  const serviceAccountKey = await ensureServiceAccountKey(join(dataDir, 'pki', 'sa.key'));
  const apiserver = new ApiServer({
    store, tls: { certPem: pki.certPem, keyPem: pki.keyPem }, caPem: pki.caPem, authenticator, kubeletToken, serviceAccountKey,
    // An etcd may have other writers, whose writes the watch cache cannot be known to have seen.
    consistentListFromCache: !options.storage.startsWith('etcd://'),
    defaultTolerationSeconds: { notReady: options.defaultNotReadyTolerationSeconds, unreachable: options.defaultUnreachableTolerationSeconds },
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
    const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
    await writeAtomic(kubeconfigPath, kubeconfigYaml(server, pki.caPem, adminToken));
    for (const component of COMPONENTS.filter((c) => !options.disabledComponents.includes(c.name))) {
      const ctx: ComponentContext = {
        client: new Client({ server, token: adminToken, caData: pki.caPem, userAgent: `kubeling-${component.name}` }),
        kubeconfigPath, server, caPem: pki.caPem, nodeToken, kubeletToken, dataDir, options, node: serverNode(options),
        logger: createLogger(component.name),
        signal: stopping.signal,
      };
      names.push(component.name);
      loops.push(component.run(ctx).catch((err) => {
        if (!stopping.signal.aborted) logger.error({ err, component: component.name }, 'component failed');
      }));
    }
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
