/**
 * Starts the real `kubeling server` binary for end-to-end tests: a temp data dir (or a given one, for restart
 * tests), a free port, `--no-agent` by default off, and waits for the `ready` line. `kubectl(args)` runs the
 * real kubectl (1.32, the project's own: src/cmd/kubectl-binary.ts) against it with a private HOME and cache dir (kubectl's discovery cache would otherwise leak
 * between tests). `stop()` sends SIGTERM and waits; `kill()` sends SIGKILL (crash tests). The data dir the
 * helper made is removed by `stop()`; pass `dataDir` to keep control of it yourself.
 *
 * Pod networks: test files run in parallel on one machine, and two oci servers with the same cluster CIDR
 * would share bridge `kubeling0` and hand out the same pod IPs from separate lease stores. So each oci server
 * gets a cluster CIDR of its own from 10.100.0.0/16–10.199.0.0/16 (from the test process's pid and a counter,
 * skipping ranges whose bridge exists already; a restart on the same data dir keeps its range), unless the
 * caller passes `clusterCidr` or `--cluster-cidr`. `kubeling run` uses 10.44–10.99, a user's server 10.42 (10.43 is the service CIDR).
 * Services likewise: every oci node programs nftables rules for its service CIDR (and serves DNS at its .10),
 * and those rules see every packet on the host, so two servers with one service CIDR would capture each
 * other's traffic. A server with a test cluster CIDR 10.X.0.0/16 (every oci one) gets `--service-cidr 10.200.X.0/24`
 * (unique while its cluster CIDR is; 10.200/16 overlaps no cluster CIDR here, nor 10.42/10.43, nor `kubeling
 * run`'s ranges) and so `--cluster-dns 10.200.X.10`, unless the caller passes `--service-cidr`; startAgent()
 * passes the server's to its agents.
 * The bridge such a server made is deleted when the helper's data dir goes (stop()), or else when the test
 * process exits (restart tests reuse it in between).
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { unmountUnder } from '../../../src/runtime/oci/mounts.ts';
import { kubectlPath } from '../../../src/cmd/kubectl-binary.ts';
import { recordForbiddenLines } from './forbidden-log.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
export const KUBELING_BIN = join(ROOT, 'src/cmd/kubeling.ts');
/** kubectl 1.32 from the project's own dependencies (src/cmd/kubectl-binary.ts), never one found on the machine. */
export const KUBECTL = await kubectlPath();

export interface StartServerOptions {
  storage?: 'sqlite' | 'memory';
  runtime?: 'oci' | 'fake';
  /** Run without the local node (pods stay Pending). Default false. */
  noAgent?: boolean;
  /** Reuse this data dir (restart tests). It is then never removed by the helper. */
  dataDir?: string;
  /** Listen on this port (0: a free one). Restart tests pass the previous port. */
  port?: number;
  /** More flags for `kubeling server`. */
  args?: string[];
  /** `--cluster-cidr` (default for oci: a /16 of 10.100–10.199 no other server here uses; fake: the server's default). */
  clusterCidr?: string;
  env?: NodeJS.ProcessEnv;
  /** Flags for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** How long stop() waits after SIGTERM before SIGKILL (default 15 s; profiles take a while to write). */
  stopTimeoutMs?: number;
  /** How long to wait for `ready` (default 60 s). */
  readyTimeoutMs?: number;
  /** Run the server inside network namespace NAME (see inNetns); pass `--listen` in `args` to be reachable. */
  netns?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ServerHandle {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Path of the admin kubeconfig the server wrote. */
  kubeconfig: string;
  dataDir: string;
  token: string;
  caPem: string;
  /** The `--cluster-cidr` the server runs with (10.42.0.0/16 when the helper passed none). */
  clusterCidr: string;
  /** Its own node's pod CIDR (the cluster CIDR's first /24), e.g. `10.42.0.0/24`. */
  podCidr: string;
  /** The `--service-cidr` the server runs with (10.43.0.0/16 when the helper passed none). */
  serviceCidr: string;
  /** The kube-dns Service's IP: the `.10` of the service CIDR (unless the caller passed `--cluster-dns`). */
  clusterDns: string;
  process: ChildProcess;
  /** Everything the server wrote to stderr so far (logs). */
  stderr(): string;
  /** Runs the real kubectl against this server. Never throws on a non-zero exit. */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts kubectl and leaves it running (e.g. `get -w`); the caller kills it. */
  spawnKubectl(args: string[]): ChildProcess;
  /** The environment kubectl runs with (KUBECONFIG, HOME). */
  kubectlEnv: NodeJS.ProcessEnv;
  /** SIGTERM, wait for exit; removes the data dir if the helper made it. Returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, wait for exit; keeps the data dir. */
  kill(): Promise<void>;
}

/**
 * The node binary and its arguments, run inside network namespace `netns` (`/run/netns/NAME`, as `ip netns
 * add` makes them) if given. `nsenter --net` rather than `ip netns exec`: the latter also gives the command a
 * mount namespace of its own with a fresh /sys, which hides the cgroup filesystem from the runtime; with
 * nsenter the node shares the test's mounts (its data dir must be its own) and only its network differs.
 * nsenter execs the command in place, so the child's pid is node's own and SIGTERM reaches it directly.
 */
export function inNetns(netns: string | undefined, args: string[]): [string, string[]] {
  return netns === undefined ? [process.execPath, args] : ['nsenter', [`--net=/run/netns/${netns}`, process.execPath, ...args]];
}

let cidrCounter = 0;
/** Cluster CIDRs handed out by this process, by data dir (a restarted server keeps its range). */
const cidrByDataDir = new Map<string, string>();

/** Bridges of the cluster CIDRs this process picked (none existed before), deleted by the time it exits. */
const pickedBridges = new Set<string>();
function deleteBridge(name: string): void {
  if (pickedBridges.delete(name)) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
}
process.on('exit', () => [...pickedBridges].forEach(deleteBridge));

/** A 10.x.0.0/16 with x in 100..199 for this process's next oci server, whose first bridge does not exist yet. */
export function pickTestClusterCidr(): string {
  for (let tries = 0; tries < 100; tries++) {
    // The pid spreads parallel test processes over the range; the counter spreads one process's servers.
    const x = 100 + ((process.pid * 7 + cidrCounter++ * 13) % 100);
    const bridge = `kubeling${x}-0`;
    if (!existsSync(`/sys/class/net/${bridge}`) && ![...cidrByDataDir.values()].includes(`10.${x}.0.0/16`)) {
      pickedBridges.add(bridge);
      return `10.${x}.0.0/16`;
    }
  }
  throw new Error('no free cluster CIDR in 10.100.0.0/16-10.199.0.0/16 (bridges kubeling1xx-0 all exist)');
}

/**
 * The service CIDR of a test server with cluster CIDR `clusterCidr`: 10.200.X.0/24 for a test range 10.X.0.0/16
 * (X in 100..199, unique among running servers by the bridge check above), else the server's default.
 */
export function testServiceCidr(clusterCidr: string | undefined): string | undefined {
  const x = clusterCidr === undefined ? NaN : Number(/^10\.(\d+)\.0\.0\/16$/.exec(clusterCidr)?.[1]);
  return x >= 100 && x <= 199 ? `10.200.${x}.0/24` : undefined;
}

/** The value of `--flag` in `args` (either `--flag V` or `--flag=V`), if given. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

/** The `n`th address of an IPv4 CIDR: `addressIn('10.200.7.0/24', 80)` is 10.200.7.80 (a Service IP tests pick). */
export function addressIn(cidr: string, n: number): string {
  const [a, b, c, d] = cidr.split('/')[0]!.split('.').map(Number);
  const v = ((a! * 256 + b!) * 256 + c!) * 256 + d! + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** The cluster CIDR's first /24 (the server node's; cluster CIDRs here have no host bits set). */
function firstPodCidr(clusterCidr: string): string {
  const [a, b, c] = clusterCidr.split('/')[0]!.split('.');
  return `${a}.${b}.${c}.0/24`;
}

export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kubeling-e2e-'));
  const flagged = (options.args ?? []).findIndex((a) => a === '--cluster-cidr' || a.startsWith('--cluster-cidr='));
  let clusterCidr = options.clusterCidr;
  if (flagged >= 0) {
    const a = options.args![flagged]!;
    clusterCidr = a.includes('=') ? a.slice(a.indexOf('=') + 1) : options.args![flagged + 1];
  } else if (clusterCidr === undefined && (options.runtime ?? 'fake') === 'oci') {
    clusterCidr = cidrByDataDir.get(dataDir) ?? pickTestClusterCidr();
  }
  if (clusterCidr !== undefined) cidrByDataDir.set(dataDir, clusterCidr);
  const givenServiceCidr = flagValue(options.args ?? [], '--service-cidr');
  // Also for a fake server with a test cluster CIDR: its oci agents (agent-oci) program rules for it.
  const pickedServiceCidr = givenServiceCidr === undefined ? testServiceCidr(clusterCidr) : undefined;
  const serviceCidr = givenServiceCidr ?? pickedServiceCidr ?? '10.43.0.0/16';
  const clusterDns = flagValue(options.args ?? [], '--cluster-dns') ?? addressIn(serviceCidr, 10);
  const home = join(dataDir, 'kubectl-home');
  mkdirSync(home, { recursive: true });
  const args = [
    ...(options.nodeArgs ?? []),
    KUBELING_BIN, 'server',
    '--data-dir', dataDir,
    '--listen', `127.0.0.1:${options.port ?? 0}`,
    '--storage', options.storage ?? 'sqlite',
    '--runtime', options.runtime ?? 'fake',
    ...(options.noAgent ? ['--no-agent'] : []),
    ...(clusterCidr !== undefined && flagged < 0 ? ['--cluster-cidr', clusterCidr] : []),
    ...(pickedServiceCidr !== undefined ? ['--service-cidr', pickedServiceCidr] : []),
    ...(options.args ?? []),
  ];
  const [cmd, cmdArgs] = inNetns(options.netns, args);
  const child = spawn(cmd, cmdArgs, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  let stdout = '';
  const ready = new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubeling server not ready after ${options.readyTimeoutMs ?? 60_000} ms:\n${stderr}`)), options.readyTimeoutMs ?? 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('ready'));
      if (line) {
        clearTimeout(timer);
        resolveReady(line);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kubeling server exited (${code ?? signal}) before ready:\n${stderr}`));
    });
  });
  let line: string;
  try {
    line = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    if (ownDir) {
      unmountUnder(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      cidrByDataDir.delete(dataDir);
      if (clusterCidr !== undefined) deleteBridge(`kubeling${clusterCidr.split('.')[1]}-0`);
    }
    throw err;
  }
  const url = line.split(/\s+/)[1]!;
  const port = Number(new URL(url).port);
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const caPem = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const kubectlEnv: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, HOME: home };
  const cacheArgs = ['--cache-dir', join(home, '.kube', 'cache')];
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  return {
    url,
    port,
    kubeconfig,
    dataDir,
    token,
    caPem,
    clusterCidr: clusterCidr ?? '10.42.0.0/16',
    podCidr: firstPodCidr(clusterCidr ?? '10.42.0.0/16'),
    serviceCidr,
    clusterDns,
    process: child,
    kubectlEnv,
    stderr: () => stderr,
    kubectl(kargs, kopts = {}) {
      return new Promise((resolveRun) => {
        const p = execFile(KUBECTL, [...cacheArgs, ...kargs], { env: kubectlEnv, timeout: kopts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolveRun({ code, stdout: String(out), stderr: String(errOut) });
        });
        if (kopts.input !== undefined) p.stdin!.end(kopts.input);
        else p.stdin!.end();
      });
    },
    spawnKubectl(kargs) {
      return spawn(KUBECTL, [...cacheArgs, ...kargs], { env: kubectlEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 15_000);
      const [code] = await exited;
      clearTimeout(timer);
      recordForbiddenLines(stderr);
      if (ownDir) {
        // The oci runtime's state tmpfs stays mounted after the server (containers outlive it).
        unmountUnder(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
        cidrByDataDir.delete(dataDir);
        // Only a bridge this process's pick made (deleteBridge ignores others); nothing is attached any more.
        if (clusterCidr !== undefined) deleteBridge(`kubeling${clusterCidr.split('.')[1]}-0`);
      }
      return code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

const collected = new WeakMap<NodeJS.ReadableStream, { text: string; waiters: Set<() => void> }>();

/** Starts recording everything `stream` prints (idempotent), so no output is lost between waits. */
function record(stream: NodeJS.ReadableStream): { text: string; waiters: Set<() => void> } {
  let rec = collected.get(stream);
  if (!rec) {
    const r = { text: '', waiters: new Set<() => void>() };
    rec = r;
    collected.set(stream, r);
    stream.on('data', (d: Buffer | string) => {
      r.text += d.toString();
      for (const w of [...r.waiters]) w();
    });
  }
  return rec;
}

/**
 * Resolves with all output so far once `stream` has printed text matching `pattern` (rejects after
 * `timeoutMs`). Output is recorded from the first call on, so a later wait sees lines printed in between.
 */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const rec = record(stream);
  return new Promise((resolveWait, reject) => {
    const check = () => {
      if (pattern.test(rec.text)) {
        cleanup();
        resolveWait(rec.text);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern}; saw:\n${rec.text}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      rec.waiters.delete(check);
    };
    rec.waiters.add(check);
    check();
  });
}
