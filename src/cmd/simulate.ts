/**
 * `kubeling agent --runtime fake --simulate N [--node-name-prefix P] [--node-capacity cpu=8,memory=32Gi,pods=110]
 * [--node-labels ...] [--register-with-taints ...]`: N simulated nodes, named P0 … P(N-1) (default prefix
 * `simulated-`), in this one process (src/kubelet/simulated). Each node authenticates as itself: the agent
 * asks for every node's client certificate (`system:node:<name>`) with the join token, as one agent does for
 * its own, and keeps it in DIR/nodes/<name>/kubelet.kubeconfig for the next start; everything a node writes
 * goes through its own client, so the Node authorizer and NodeRestriction see that node.
 *
 * Nodes are killed and revived on command through a control socket, DIR/simulate.sock (HTTP over a Unix
 * socket, mode 0600): `kubeling simulate kill NODE|revive NODE|list [--data-dir DIR]` talks to it.
 *
 * It prints `ready nodes=N` once every node is registered.
 */
import { mkdir, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parseQuantity, QuantityError, type Taint } from '../api/index.ts';
import { Client } from '../client/index.ts';
import { SimulatedNodes } from '../kubelet/simulated/index.ts';
import { createLogger, realClock, type Logger } from '../machinery/index.ts';
import { UsageError } from './flags.ts';
import {
  CertificateRequestError, credentialState, loadNodeCredential, requestNodeCredential, writeKubeletKubeconfig, type NodeCredential,
} from './node-credentials.ts';

export interface SimulateOptions {
  count: number;
  prefix: string;
  capacity: Record<string, string>;
}

/** What `kubeling agent --simulate` needs of the agent's options. */
interface SimulatedAgentOptions {
  server: string;
  servers: string[];
  token: string;
  dataDir: string;
  nodeLabels: Record<string, string>;
  nodeTaints: Taint[];
}

export const DEFAULT_NODE_NAME_PREFIX = 'simulated-';
export const DEFAULT_NODE_CAPACITY: Record<string, string> = { cpu: '8', memory: '32Gi', pods: '110' };
export const CONTROL_SOCKET = 'simulate.sock';
/** Certificate requests in flight at once while the nodes join. */
const JOIN_CONCURRENCY = 16;

export function parseSimulateCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000)
    throw new UsageError(`invalid value for --simulate: ${JSON.stringify(value)} (want a number of nodes, 1 to 100000)`);
  return n;
}

export function parseNodeNamePrefix(value: string): string {
  // The names made from it (prefix + number) must be DNS subdomains, as node names are.
  if (!/^[a-z0-9]([-a-z0-9.]*[-a-z0-9.])?$/.test(value) || value.length > 240)
    throw new UsageError(`invalid value for --node-name-prefix: ${JSON.stringify(value)} (lower-case letters, digits, '-' and '.', starting with a letter or digit)`);
  return value;
}

export function parseNodeCapacity(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const quantity = pair.slice(eq + 1).trim();
    if (eq <= 0 || quantity === '') throw new UsageError(`invalid value for --node-capacity: ${JSON.stringify(pair)} (want RESOURCE=QUANTITY,...)`);
    try {
      out[name] = parseQuantity(quantity).toString();
    } catch (err) {
      if (err instanceof QuantityError) throw new UsageError(`invalid value for --node-capacity: ${name}=${quantity}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

async function nodeCredential(o: SimulatedAgentOptions, caPem: string, name: string, log: Logger, signal: AbortSignal): Promise<NodeCredential> {
  const dir = join(o.dataDir, 'nodes', name);
  const have = await loadNodeCredential(dir, name);
  if (have && credentialState(have, Date.now()) === 'fresh') return have;
  const as = have && credentialState(have, Date.now()) === 'renew' ? { certData: have.certPem, keyData: have.keyPem } : { token: o.token };
  const client = new Client({ server: o.server, servers: o.servers, ...as, caData: caPem, userAgent: `kubeling-agent/${name}`, qps: 0 });
  try {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
      try {
        const cred = await requestNodeCredential(client, name, log, signal);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeKubeletKubeconfig(dir, o.server, caPem, name, cred);
        return cred;
      } catch (err) {
        if (signal.aborted || err instanceof CertificateRequestError) throw err;
        log.warn({ node: name, err: (err as Error).message }, 'getting the node client certificate failed; retrying');
        await realClock.sleep(delay, signal);
      }
    }
  } finally {
    client.close();
  }
}

/** Serves kill/revive/list on DIR/simulate.sock. */
async function serveControl(file: string, nodes: SimulatedNodes): Promise<Server> {
  await rm(file, { force: true });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulate');
    const [, action, name] = url.pathname.split('/');
    const reply = (code: number, text: string) => res.writeHead(code, { 'Content-Type': 'text/plain' }).end(`${text}\n`);
    if (req.method === 'GET' && action === 'nodes')
      return reply(200, nodes.names.map((n) => `${n} ${nodes.isAlive(n) ? 'alive' : 'killed'}`).join('\n'));
    if (req.method !== 'POST' || (action !== 'kill' && action !== 'revive') || !name) return reply(404, 'want POST /kill/NODE, POST /revive/NODE or GET /nodes');
    if (!nodes.names.includes(name)) return reply(404, `no simulated node ${JSON.stringify(name)}`);
    const done = action === 'kill' ? nodes.kill(name) : nodes.revive(name);
    return reply(done ? 200 : 409, done ? `${name} ${action === 'kill' ? 'killed' : 'revived'}` : `${name} is already ${action === 'kill' ? 'killed' : 'alive'}`);
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen({ path: file, readableAll: false, writableAll: false }, () => ok()));
  return server;
}

export async function runSimulatedNodes(o: SimulatedAgentOptions, sim: SimulateOptions, caPem: string, log: Logger, signal: AbortSignal): Promise<number> {
  const names = Array.from({ length: sim.count }, (_, i) => `${sim.prefix}${i}`);
  const creds = new Map<string, NodeCredential>();
  let next = 0;
  const worker = async () => {
    while (next < names.length && !signal.aborted) {
      const name = names[next++]!;
      creds.set(name, await nodeCredential(o, caPem, name, log, signal));
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, names.length) }, worker));
  if (signal.aborted) return 0;
  log.info({ nodes: names.length }, 'node credentials ready');
  const clients = names.map((name) => new Client({
    server: o.server, servers: o.servers, certData: creds.get(name)!.certPem, keyData: creds.get(name)!.keyPem, caData: caPem,
    userAgent: `kubeling-agent/${name}`, maxSockets: 4,
  }));
  const nodes = new SimulatedNodes({
    nodes: names.map((name, i) => ({ name, client: clients[i]! })),
    podClient: clients[0]!,
    capacity: sim.capacity,
    labels: o.nodeLabels,
    taints: o.nodeTaints,
    logger: createLogger('simulated-nodes'),
  });
  const control = await serveControl(resolve(o.dataDir, CONTROL_SOCKET), nodes);
  try {
    await nodes.run(signal, () => process.stdout.write(`ready nodes=${names.length} prefix=${sim.prefix}\n`));
  } finally {
    await new Promise((ok) => control.close(ok));
    for (const c of clients) c.close();
  }
  return 0;
}

export const SIMULATE_USAGE = 'kubeling simulate kill NODE | revive NODE | list [--data-dir DIR]';

/** `kubeling simulate kill|revive NODE | list [--data-dir DIR]`: asks a running `agent --simulate` (default DIR ./.kubeling-agent). */
export async function runSimulate(argv: string[]): Promise<number> {
  let dataDir = './.kubeling-agent';
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') dataDir = argv[++i] ?? '';
    else if (a.startsWith('--data-dir=')) dataDir = a.slice('--data-dir='.length);
    else args.push(a);
  }
  const [action, name] = args;
  const valid = (action === 'list' && args.length === 1) || ((action === 'kill' || action === 'revive') && args.length === 2 && name);
  if (!valid || !dataDir) {
    process.stderr.write(`kubeling simulate: want kill NODE, revive NODE or list\nusage: ${SIMULATE_USAGE}\n`);
    return 2;
  }
  const path = action === 'list' ? '/nodes' : `/${action}/${encodeURIComponent(name!)}`;
  try {
    const { code, body } = await new Promise<{ code: number; body: string }>((ok, fail) => {
      const req = request({ socketPath: resolve(dataDir, CONTROL_SOCKET), path, method: action === 'list' ? 'GET' : 'POST' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => ok({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', fail).end();
    });
    (code === 200 ? process.stdout : process.stderr).write(code === 200 ? body : `kubeling simulate: ${body}`);
    return code === 200 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`kubeling simulate: no simulated nodes running with data dir ${dataDir} (${(err as Error).message})\n`);
    return 1;
  }
}
