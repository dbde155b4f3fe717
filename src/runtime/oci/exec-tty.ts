/**
 * Exec with a terminal, the way CRI-O and podman do it: conmon runs `crun exec --tty` (it receives the pty
 * master over the console socket, which Node cannot), holds the terminal, logs its output to a CRI-format file
 * and takes input on its attach socket. The process gets a real pty inside the container's own /dev/pts, so
 * `tty`, job control and window size behave as in `kubectl exec -it` elsewhere.
 *
 *   conmon ── fd 4 (start pipe) ◀── us: "go" (cgroup placement), later "go" (attached, start the process)
 *          ── fd 5 (attach pipe) ──▶ us: {"data": 0} when the attach socket exists
 *          ── fd 3 (sync pipe)   ──▶ us: {"data": pid}, then {"data": exit code}
 *   output: <dir>/log (k8s-file) followed from the start; input: socat into the SOCK_SEQPACKET attach socket;
 *   resize: "1 <rows> <cols>" into <dir>/ctl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { StreamSession } from '../runtime.ts';
import { followCriLog, writeFifo } from './stream-util.ts';

export interface TtyExecConfig {
  conmon: string;
  runtime: string;
  runtimeRoot: string;
  containerId: string;
  /** A fresh directory for this session (bundle, log, fifos, exit file). */
  dir: string;
  /** Where the session's short attach-socket link goes (`<dir>/<execId>` → dir). */
  socketDir: string;
  execId: string;
  /** The OCI process to run (terminal is forced on). */
  process: Record<string, unknown>;
  stdin: boolean;
}

function readJsonLines(stream: Readable, onMessage: (m: { data: number; message?: string }) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onMessage(JSON.parse(line) as { data: number; message?: string });
      } catch {}
    }
  });
  stream.on('error', () => {});
}

/** Waits for socat to report its connection (or to fail). */
function socatConnected(socat: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    socat.stderr!.setEncoding('utf8');
    socat.stderr!.on('data', (d: string) => {
      text += d;
      if (/successfully connected/.test(text)) resolve();
      if (/ E /.test(text)) reject(new Error(text.trim().split('\n').pop()));
    });
    socat.on('error', reject);
    socat.on('exit', () => reject(new Error(`socat exited: ${text.trim().split('\n').pop() ?? ''}`)));
  });
}

export async function execWithTty(c: TtyExecConfig): Promise<StreamSession> {
  mkdirSync(c.dir, { recursive: true });
  const processFile = join(c.dir, 'process.json');
  writeFileSync(processFile, JSON.stringify({ ...c.process, terminal: true }));
  const link = join(c.socketDir, c.execId);
  const args = [
    '--api-version', '1', '--sync',
    '-c', c.containerId, '-u', c.execId, '-n', c.execId,
    '-r', c.runtime, '--runtime-arg', `--root=${c.runtimeRoot}`,
    '-b', c.dir, '-p', join(c.dir, 'pid'),
    '-l', `k8s-file:${join(c.dir, 'log')}`,
    // Its own exit dir: conmon names exit files by container id, which the container's own file uses.
    '--exit-dir', c.dir,
    '--socket-dir-path', c.socketDir,
    '-e', '--exec-attach', '--exec-process-spec', processFile, '-t',
    '--log-level', 'error',
  ];
  if (c.stdin) args.push('-i');
  const conmon = spawn(c.conmon, args, {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
    // conmon writes an `oom` file to its working directory on an OOM kill: keep it in the session's dir.
    cwd: c.dir,
  });
  const stdio = conmon.stdio as unknown as (Readable & Writable)[];
  const syncPipe: Readable = stdio[3]!;
  const startPipe: Writable = stdio[4]!;
  const attachPipe: Readable = stdio[5]!;
  startPipe.on('error', () => {});
  const cleanupFiles = async () => {
    await rm(link, { force: true });
    await rm(c.dir, { recursive: true, force: true });
  };

  const messages: { data: number; message?: string }[] = [];
  let onMessage: (() => void) | undefined;
  readJsonLines(syncPipe, (m) => {
    messages.push(m);
    onMessage?.();
  });
  const nextMessage = () =>
    new Promise<{ data: number; message?: string }>((resolve) => {
      const take = () => {
        const m = messages.shift();
        if (!m) return false;
        onMessage = undefined;
        resolve(m);
        return true;
      };
      if (!take()) onMessage = () => void take();
      syncPipe.once('end', () => {
        if (!take()) resolve({ data: -1, message: 'conmon exited' });
      });
    });

  let socat: ChildProcess | undefined;
  try {
    // First start message: conmon waits for it before forking (podman moves it into a cgroup then).
    startPipe.write('0');
    const ready = await new Promise<{ data: number; message?: string }>((resolve) => {
      readJsonLines(attachPipe, resolve);
      attachPipe.once('end', () => resolve({ data: -1, message: 'conmon exited before its attach socket was ready' }));
    });
    if (ready.data < 0) throw new Error(ready.message ?? 'conmon failed');
    if (c.stdin) {
      try {
        symlinkSync(c.dir, link);
      } catch {}
      socat = spawn('socat', ['-d', '-d', '-u', 'STDIN', `UNIX-CONNECT:${join(link, 'attach')},type=5`], { stdio: ['pipe', 'ignore', 'pipe'] });
      socat.stdin!.on('error', () => {});
      await socatConnected(socat);
    }
    // Second start message: we are attached, run the process.
    startPipe.write('0');
    const started = await nextMessage();
    if (started.data <= 0) throw new Error((started.message ?? 'exec failed').trim());
  } catch (err) {
    socat?.kill();
    conmon.kill();
    await cleanupFiles();
    throw err;
  }

  const pid = readFileSync(join(c.dir, 'pid'), 'utf8').trim();
  const stdout = new PassThrough();
  const follow = followCriLog(join(c.dir, 'log'), (_stream, data) => stdout.write(data), { fromStart: true });
  const exit = nextMessage().then(async (m) => {
    await follow.stop();
    stdout.end();
    socat?.kill();
    await cleanupFiles();
    return { exitCode: m.data >= 0 ? m.data : 255 };
  });
  return {
    ...(socat ? { stdin: socat.stdin! } : {}),
    stdout,
    resize: (size) => void writeFifo(join(c.dir, 'ctl'), `1 ${size.height} ${size.width}\n`).catch(() => {}),
    exit,
    close: () => {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    },
  };
}
