/**
 * conmon, the container monitor: one process per container (and one for the pause process) that runs
 * `crun create`, holds the container's stdio, writes the CRI-format log file, and writes the exit code to
 * `<exit dir>/<id>` (and an `oom` file under the persist dir) when the container ends. It outlives us: a new
 * runtime on the same data dir finds the exit file.
 *
 * conmon reports the container's pid, or `crun create`'s error, on its sync fd (fd 3). We start it through
 * the spawner's helper shells, which run under catatonit as a subreaper so that conmon (which daemonizes) is
 * reaped when it ends; without catatonit, as our own child with `--sync`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, watch } from 'node:fs';
import type { Spawner } from './spawner.ts';
import { readQuietly } from './state.ts';

export interface ConmonConfig {
  conmon: string;
  runtime: string;
  /** crun/runc `--root` (state directory). */
  runtimeRoot: string;
  id: string;
  name: string;
  bundle: string;
  /** Absolute CRI log file path. */
  logPath: string;
  exitDir: string;
  persistDir: string;
  socketDir: string;
  pidFile: string;
  conmonPidFile: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

export interface ConmonHandle {
  /** Host pid of the container's init process. */
  pid: number;
  child?: ChildProcess;
}

function conmonArgs(c: ConmonConfig): string[] {
  const args = [
    '--api-version', '1',
    '-c', c.id,
    '-u', c.id,
    '-n', c.name,
    '-r', c.runtime,
    '--runtime-arg', `--root=${c.runtimeRoot}`,
    '-b', c.bundle,
    '-p', c.pidFile,
    '-P', c.conmonPidFile,
    '-l', `k8s-file:${c.logPath}`,
    '--exit-dir', c.exitDir,
    '--persist-dir', c.persistDir,
    '--socket-dir-path', c.socketDir,
    '--log-level', 'error',
  ];
  if (c.stdin) args.push('-i');
  if (c.stdin && !c.stdinOnce) args.push('--leave-stdin-open');
  if (c.tty) args.push('-t');
  return args;
}

function parseSync(line: string): number {
  let msg: { data: number; message?: string };
  try {
    msg = JSON.parse(line) as { data: number; message?: string };
  } catch (e) {
    throw new Error(`conmon: bad sync message ${JSON.stringify(line)}`, { cause: e });
  }
  if (msg.data > 0) return msg.data;
  throw new Error((msg.message ?? `conmon reported ${msg.data}`).trim());
}

/**
 * Starts conmon through the spawner's helper shells (much cheaper than forking Node; their catatonit reaps
 * conmon later). conmon forks at once and its first process exits; the sync message (pid or error) arrives
 * in `syncFile` when `crun create` is done, which we notice with fs.watch.
 */
export async function startConmonVia(spawner: Spawner, c: ConmonConfig, syncFile: string, timeoutMs = 60_000): Promise<ConmonHandle> {
  rmSync(syncFile, { force: true });
  const done = waitForLine(syncFile, timeoutMs);
  try {
    // In the bundle: conmon writes an `oom` file to its working directory when the container is OOM-killed.
    const r = await spawner.run(c.conmon, conmonArgs(c), { env: { _OCI_SYNCPIPE: '3' }, fd3: syncFile, allowFailure: true, cwd: c.bundle });
    if (r.code !== 0) throw new Error(`conmon exited ${r.code}: ${r.stderr.trim()}`);
    return { pid: parseSync(await done.line) };
  } finally {
    done.cancel();
  }
}

/** The first line of a file that something else is writing, noticed by inotify (with a slow safety poll). */
function waitForLine(file: string, timeoutMs: number): { line: Promise<string>; cancel(): void } {
  let cancel = () => {};
  const line = new Promise<string>((resolve, reject) => {
    let settled = false;
    // A sync read: a few bytes on a local file, cheaper than a round trip through libuv's thread pool.
    const check = () => {
      if (settled) return;
      const text = readQuietly(file);
      const nl = text.indexOf('\n');
      if (nl >= 0 && !settled) {
        settled = true;
        cancel();
        resolve(text.slice(0, nl));
      }
    };
    let watcher: ReturnType<typeof watch> | undefined;
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';
    try {
      watcher = watch(dir, (_e, name) => {
        if (!name || file.endsWith(`/${name}`)) check();
      });
    } catch {}
    const poll = setInterval(check, 50);
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cancel();
      reject(new Error(`conmon did not report the container within ${timeoutMs} ms`));
    }, timeoutMs);
    cancel = () => {
      settled = true;
      watcher?.close();
      clearInterval(poll);
      clearTimeout(timer);
    };
    check();
  });
  line.catch(() => {});
  return { line, cancel: () => cancel() };
}

/** Starts conmon as our own child with `--sync` (we reap it); used when no subreaper shell is available. */
export function startConmon(c: ConmonConfig): Promise<ConmonHandle> {
  const args = ['--sync', ...conmonArgs(c)];
  return new Promise((resolve, reject) => {
    const child = spawn(c.conmon, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
      cwd: c.bundle,
    });
    const sync = child.stdio[3] as NodeJS.ReadableStream;
    const errChunks: Buffer[] = [];
    child.stderr!.on('data', (d: Buffer) => errChunks.push(d));
    let text = '';
    let done = false;
    const finish = (err: Error | undefined, pid?: number) => {
      if (done) return;
      done = true;
      child.stderr!.destroy();
      (sync as unknown as { destroy(): void }).destroy();
      child.unref();
      if (err) reject(err);
      else resolve({ pid: pid!, child });
    };
    child.on('error', (e) => finish(e));
    sync.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      try {
        finish(undefined, parseSync(text.slice(0, nl)));
      } catch (e) {
        finish(e as Error);
      }
    });
    sync.on('end', () => {
      const stderr = Buffer.concat(errChunks).toString().trim();
      finish(new Error(`conmon exited before the container was created${stderr ? `: ${stderr}` : ''}`));
    });
  });
}
