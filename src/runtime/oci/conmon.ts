/**
 * conmon, the container monitor: one process per container (and one for the pause process) that runs
 * `crun create`, holds the container's stdio, writes the CRI-format log file, and writes the exit code to
 * `<exit dir>/<id>` (and an `oom` file under the persist dir) when the container ends. It outlives us: a new
 * runtime on the same data dir finds the exit file.
 *
 * We start it with `--sync` (fork once: conmon stays our child, so we reap it and no zombie is left under an
 * init that does not reap) in its own session, and read the container's pid from the sync pipe (fd 3), which
 * is also where `crun create`'s error arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';

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
  child: ChildProcess;
}

export function startConmon(c: ConmonConfig): Promise<ConmonHandle> {
  const args = [
    '--api-version', '1',
    '--sync',
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
  return new Promise((resolve, reject) => {
    const child = spawn(c.conmon, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
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
        const msg = JSON.parse(text.slice(0, nl)) as { data: number; message?: string };
        if (msg.data > 0) finish(undefined, msg.data);
        else finish(new Error((msg.message ?? `conmon reported ${msg.data}`).trim()));
      } catch (e) {
        finish(new Error(`conmon: bad sync message ${JSON.stringify(text.slice(0, nl))}`, { cause: e }));
      }
    });
    sync.on('end', () => {
      const stderr = Buffer.concat(errChunks).toString().trim();
      finish(new Error(`conmon exited before the container was created${stderr ? `: ${stderr}` : ''}`));
    });
  });
}
