/**
 * An embedded `kubeling server` for CLI commands that need a cluster of their own (`kubeling run`): the same
 * binary started as a child process on a free loopback port with a temporary data dir, so it is torn down
 * completely (its own process, its own files) and the CLI talks to it through the API like any client.
 * The server's logs go to `DIR/server.log`, shown when it fails to start.
 *
 * With the oci runtime it gets a cluster CIDR of its own (10.44.0.0/16–10.99.0.0/16, the first whose bridge
 * does not exist on this machine yet), so its pods never share a bridge, or IPs, with a `kubeling server`
 * running beside it (10.42.0.0/16, bridge kubeling0) or another `kubeling run`; 10.43.0.0/16 is the default
 * service CIDR, never a pod network. Its Services get a range of their own too (serviceCidrFor: 10.201.N.0/24
 * beside pod network 10.N): a node's service proxy rules see every packet on the host, so a `kubeling run` on
 * the default service CIDR would capture the cluster IPs of a `kubeling server` beside it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, openSync, closeSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../client/index.ts';
import { mountTable, unmountUnder } from '../runtime/oci/mounts.ts';

const KUBELING = fileURLToPath(new URL('../cmd/kubeling.ts', import.meta.url));

export interface EmbeddedServerOptions {
  runtime: 'oci' | 'fake';
  storage: 'memory' | 'sqlite';
  /** Keep the data dir here (default: a new temp dir, removed on stop). */
  dataDir?: string;
  /**
   * With a temp data dir: an image store to use instead of an empty one (linked in as DIR/images). The store is
   * safe to share between processes, and the link goes with the temp dir (removal does not follow links).
   */
  imageStore?: string;
  readyTimeoutMs?: number;
}

/**
 * A cluster CIDR 10.N.0.0/16 (N in 43..99) whose first node's bridge (`kubelingN-0`) is not on this machine.
 * The search starts at a pid-derived N so that two runs starting at once are unlikely to pick the same one.
 */
export function pickClusterCidr(bridgeExists = (name: string) => existsSync(`/sys/class/net/${name}`)): string {
  const span = 99 - 44 + 1;
  const start = process.pid % span;
  for (let i = 0; i < span; i++) {
    const n = 44 + ((start + i) % span);
    if (!bridgeExists(`kubeling${n}-0`)) return `10.${n}.0.0/16`;
  }
  throw new Error('no free pod network: bridges kubeling44-0 … kubeling99-0 all exist');
}

/** The service CIDR of the embedded server whose pods use `clusterCidr` (10.N.0.0/16): 10.201.N.0/24. */
export function serviceCidrFor(clusterCidr: string): string {
  return `10.201.${clusterCidr.split('.')[1]}.0/24`;
}

export class EmbeddedServer {
  readonly dataDir: string;
  readonly client: Client;
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #ownDir: boolean;
  readonly #exited: Promise<unknown>;
  /** The node's CNI bridge when this server made one (oci), deleted once the server has stopped. */
  #bridge: string | undefined;

  private constructor(child: ChildProcess, dataDir: string, ownDir: boolean, url: string, client: Client, exited: Promise<unknown>) {
    this.#child = child;
    this.dataDir = dataDir;
    this.#ownDir = ownDir;
    this.url = url;
    this.client = client;
    this.#exited = exited;
  }

  static async start(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
    const clusterCidr = opts.runtime === 'oci' ? pickClusterCidr() : undefined;
    const network = clusterCidr ? ['--cluster-cidr', clusterCidr, '--service-cidr', serviceCidrFor(clusterCidr)] : [];
    // The node's bridge did not exist before (pickClusterCidr): it goes when the server does.
    const bridge = clusterCidr ? `kubeling${clusterCidr.split('.')[1]}-0` : undefined;
    const ownDir = opts.dataDir === undefined;
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kubeling-run-'));
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (ownDir && opts.imageStore && existsSync(opts.imageStore)) symlinkSync(realpathSync(opts.imageStore), join(dataDir, 'images'));
    const logFile = join(dataDir, 'server.log');
    const log = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [KUBELING, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--storage', opts.storage, '--runtime', opts.runtime, ...network],
      // Its own process group: a terminal's Ctrl-C goes to the whole foreground group, and the server must
      // stay up until `kubeling run` has deleted the pods and the node has released them.
      { stdio: ['ignore', 'pipe', log], env: process.env, detached: true },
    );
    closeSync(log);
    const exited = once(child, 'exit');
    const cleanup = () => {
      if (bridge) deleteLink(bridge);
      if (existsSync(dataDir)) unmountState(dataDir);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    };
    let url: string;
    try {
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`the embedded server was not ready after ${(opts.readyTimeoutMs ?? 60_000) / 1000} s`)), opts.readyTimeoutMs ?? 60_000);
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const line = out.split('\n').find((l) => l.startsWith('ready '));
          if (line) {
            clearTimeout(timer);
            resolve(line.split(/\s+/)[1]!);
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`the embedded server exited (${code ?? signal}) before it was ready`));
        });
      });
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      const tail = safeRead(logFile).split('\n').slice(-20).join('\n');
      cleanup();
      throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
    }
    const client = await Client.fromKubeconfig(join(dataDir, 'kubeconfig.yaml'), { userAgent: 'kubeling-run' });
    const server = new EmbeddedServer(child, dataDir, ownDir, url, client, exited);
    server.#bridge = bridge;
    return server;
  }

  /**
   * Waits until the local node has released what it set up for pods that are gone: the kubelet finishes a
   * deleted pod asynchronously (unmount volumes, remove containers and sandbox), and a server stopped before
   * that would leave mounts and sandboxes under DIR behind. Returns what is still held after `timeoutMs`.
   */
  async waitForNodeCleanup(timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const held = this.#held();
      if (held.length === 0 || Date.now() > deadline) return held;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  #held(): string[] {
    const root = realpathSync(this.dataDir);
    // The runtime's state tmpfs (runtime/run) and the read-only view of crun in it (bin/) are the node's,
    // not a pod's: what else is mounted inside counts.
    const own = join(root, STATE_DIR, 'bin');
    // Sandboxes the node's pool keeps ready for pods to come (--sandbox-pool-size) are no pod's: they go
    // when the node stops.
    const pooled = pooledSandboxDirs(join(root, STATE_DIR, 'sandboxes'));
    const held = mountsUnder(root).filter(
      (m) => m !== join(root, STATE_DIR) && !m.startsWith(`${own}/`) && !pooled.some((p) => m.startsWith(`${p}/`)),
    );
    for (const dir of [`${STATE_DIR}/sandboxes`, `${STATE_DIR}/containers`]) {
      try {
        for (const entry of readdirSync(join(root, dir))) if (!pooled.includes(join(root, dir, entry))) held.push(join(root, dir, entry));
      } catch {
        // no such directory: nothing held there
      }
    }
    return held;
  }

  /** SIGTERM and wait (SIGKILL after `graceMs`); removes the data dir if it made it. */
  async stop(graceMs = 15_000): Promise<void> {
    this.client.close();
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
    if (this.#bridge) deleteLink(this.#bridge);
    // Nothing outlives `kubeling run`: with no pod left, the runtime's state tmpfs goes too.
    if (existsSync(this.dataDir) && this.#held().length === 0) unmountState(this.dataDir);
    if (this.#ownDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Stops at once (second Ctrl-C). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** Deletes a network link if it exists (best effort: nothing else uses a bridge only this server's node had). */
function deleteLink(name: string): void {
  if (existsSync(`/sys/class/net/${name}`)) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
}

/** The oci runtime's volatile state under a data dir: a tmpfs it mounts (runtime/oci/mounts.ts). */
const STATE_DIR = 'runtime/run';

function unmountState(dataDir: string): void {
  unmountUnder(join(realpathSync(dataDir), STATE_DIR));
}

/** Mount points below `root`. */
function mountsUnder(root: string): string[] {
  return mountTable()
    .map((m) => m.mountPoint)
    .filter((p) => p.startsWith(`${root}/`));
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Directories of the sandboxes in `dir` whose runtime record says a pool holds them (no pod has them). */
function pooledSandboxDirs(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const id of entries) {
    try {
      if ((JSON.parse(readFileSync(join(dir, id, 'state.json'), 'utf8')) as { pooled?: boolean }).pooled) out.push(join(dir, id));
    } catch {
      // being made or removed: not known to be pooled
    }
  }
  return out;
}
