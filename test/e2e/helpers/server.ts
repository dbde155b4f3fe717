/**
 * Starts the real `kubeling server` binary for end-to-end tests: a temp data dir (or a given one, for restart
 * tests), a free port, `--no-agent` by default off, and waits for the `ready` line. `kubectl(args)` runs the
 * real kubectl against it with a private HOME and cache dir (kubectl's discovery cache would otherwise leak
 * between tests). `stop()` sends SIGTERM and waits; `kill()` sends SIGKILL (crash tests). The data dir the
 * helper made is removed by `stop()`; pass `dataDir` to keep control of it yourself.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

const ROOT = resolve(import.meta.dirname, '../../..');
export const KUBELING_BIN = join(ROOT, 'src/cmd/kubeling.ts');
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

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
  env?: NodeJS.ProcessEnv;
  /** Flags for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** How long stop() waits after SIGTERM before SIGKILL (default 15 s; profiles take a while to write). */
  stopTimeoutMs?: number;
  /** How long to wait for `ready` (default 60 s). */
  readyTimeoutMs?: number;
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

export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kubeling-e2e-'));
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
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
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
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
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
