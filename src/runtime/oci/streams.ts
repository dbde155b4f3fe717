/**
 * Streams into running containers and sandboxes: execSync (`crun exec --process` with pipes, for probes and
 * hooks), exec (pipes, or a TTY through conmon, exec-tty.ts, or util-linux `script`), attach (follows the
 * container's log; stdin to conmon's attach socket through socat) and portForward (busybox nc inside the pod's
 * netns). Reads the shared state (runtime-state.ts); changes no record.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { execFile, netnsPath } from '../cni/index.ts';
import { RuntimeError, type ExecSyncResult, type StreamOptions, type StreamSession } from '../runtime.ts';
import { execWithTty } from './exec-tty.ts';
import { alive, killQuiet } from './processes.ts';
import type { ContainerRecord } from './state.ts';
import { followCriLog, writeFifo } from './stream-util.ts';
import { which, type OciState } from './runtime-state.ts';

export class OciStreams {
  readonly #state: OciState;

  constructor(state: OciState) {
    this.#state = state;
  }

  #runningOrThrow(id: string): ContainerRecord {
    const rec = this.#state.containerOrThrow(id);
    if (rec.state !== 'running') throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
    return rec;
  }

  /** Writes the exec process spec: the container's process with `cmd` as argv. */
  #execProcessFile(rec: ContainerRecord, cmd: string[], tty: boolean): string {
    if (cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
    const file = join(rec.dir, `exec-${randomBytes(6).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ ...rec.process, args: cmd, terminal: false, ...(tty ? {} : {}) }));
    return file;
  }

  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    const rec = this.#runningOrThrow(id);
    const processFile = this.#execProcessFile(rec, cmd, false);
    const pidFile = `${processFile}.pid`;
    try {
      return await new Promise<ExecSyncResult>((resolve, reject) => {
        const child = spawn(this.#state.runtime, [`--root=${this.#state.dirs.crun}`, 'exec', '--process', processFile, '--pid-file', pidFile, id], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: this.#state.runtimeEnv,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        let timedOut = false;
        const timer =
          timeoutMs > 0
            ? setTimeout(() => {
                timedOut = true;
                try {
                  killQuiet(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
                } catch {}
                child.kill('SIGKILL');
              }, timeoutMs)
            : undefined;
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (timedOut) return reject(new RuntimeError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeoutMs}ms`));
          const stderr = Buffer.concat(err);
          if (code !== 0 && !existsSync(pidFile)) {
            // crun could not start the process at all (no such binary, container gone).
            const text = stderr.toString().trim();
            if (!alive(rec.pid)) return reject(new RuntimeError('FailedPrecondition', `container "${id}" is not running`));
            return resolve({ stdout: Buffer.concat(out), stderr: Buffer.from(text), exitCode: code ?? 126 });
          }
          resolve({ stdout: Buffer.concat(out), stderr, exitCode: code ?? (signal ? 128 + 9 : 1) });
        });
      });
    } finally {
      await rm(processFile, { force: true });
      await rm(pidFile, { force: true });
    }
  }

  async exec(id: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    const rec = this.#runningOrThrow(id);
    if (cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
    if (options.tty && this.#state.conmon && (!options.stdin || this.#state.socat)) {
      const execId = randomBytes(6).toString('hex');
      try {
        return await execWithTty({
          conmon: this.#state.conmon,
          runtime: this.#state.runtime,
          runtimeRoot: this.#state.dirs.crun,
          containerId: id,
          dir: join(rec.dir, `exec-${execId}`),
          socketDir: this.#state.dirs.sockets,
          execId,
          process: { ...rec.process, args: cmd },
          stdin: options.stdin,
        });
      } catch (err) {
        if (!alive(rec.pid)) throw new RuntimeError('FailedPrecondition', `container "${id}" is not running`);
        throw new RuntimeError('Internal', `exec in ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    const processFile = this.#execProcessFile(rec, cmd, options.tty);
    const pidFile = `${processFile}.pid`;
    const crunArgs = [`--root=${this.#state.dirs.crun}`, 'exec', '--process', processFile, '--pid-file', pidFile, id];
    // A TTY without a native pty binding: util-linux `script` gives crun exec a pseudo-terminal as stdio,
    // which the process inherits; resizing sets the window size on that terminal.
    const child = options.tty
      ? spawn('script', ['-q', '-e', '-f', '-c', [this.#state.runtime, ...crunArgs].map(shellQuote).join(' '), '/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...this.#state.runtimeEnv, SHELL: '/bin/sh' },
        })
      : spawn(this.#state.runtime, crunArgs, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: this.#state.runtimeEnv });
    if (options.tty && !options.stdin) child.stdin!.end();
    // Streams nobody reads must still be drained, or a chatty process blocks on a full pipe.
    if (!options.stdout && !options.tty) child.stdout!.resume();
    if (!options.stderr || options.tty) child.stderr!.resume();
    const exit = new Promise<{ exitCode: number }>((resolve) => {
      child.on('error', () => resolve({ exitCode: 126 }));
      child.on('close', (code, signal) => {
        void rm(processFile, { force: true });
        void rm(pidFile, { force: true });
        resolve({ exitCode: code ?? (signal ? 137 : 1) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new RuntimeError('Internal', `exec: ${e.message}`)));
    });
    const scriptPid = child.pid!;
    let pending: { width: number; height: number } | undefined;
    const applySize = async (size: { width: number; height: number }) => {
      const tty = findChildTty(scriptPid);
      if (!tty) {
        pending = size;
        return;
      }
      await execFile('stty', ['-F', tty, 'rows', String(size.height), 'cols', String(size.width)], { allowFailure: true });
    };
    if (options.tty) {
      // Apply a size asked for before the terminal existed as soon as it does.
      const timer = setInterval(() => {
        if (pending && findChildTty(scriptPid)) {
          const s = pending;
          pending = undefined;
          void applySize(s);
        }
      }, 20);
      void exit.then(() => clearInterval(timer));
    }
    return {
      ...(options.stdin || options.tty ? { stdin: child.stdin! } : {}),
      ...(options.stdout || options.tty ? { stdout: child.stdout! } : {}),
      ...(options.stderr && !options.tty ? { stderr: child.stderr! } : {}),
      resize: (size) => {
        if (options.tty) void applySize(size);
      },
      exit,
      close: () => {
        try {
          killQuiet(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {}
        child.kill('SIGKILL');
      },
    };
  }

  async attach(id: string, options: StreamOptions): Promise<StreamSession> {
    const rec = this.#runningOrThrow(id);
    if (options.stdin && !rec.stdin) throw new RuntimeError('InvalidArgument', `container "${id}" was not created with stdin`);
    // Output comes from following the container's log file from its current end (conmon writes every byte
    // the container prints there); input goes to conmon's attach socket, a SOCK_SEQPACKET socket Node
    // cannot open itself, through socat. socat runs both ways, throwing away what conmon sends back (the
    // output again): a one-way socat left conmon's copy unread and closed the socket at stdin's EOF at once,
    // and then conmon now and then never saw the EOF and kept a stdinOnce container's stdin open (one attach
    // in five hung here). After the EOF it keeps the socket half-open (-t) until the container ends.
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const follow = followCriLog(rec.logPath, (stream, data) => (stream === 'stderr' && !rec.tty ? stderr : stdout).write(data));
    let stdinStream: import('node:stream').Writable | undefined;
    let socat: ReturnType<typeof spawn> | undefined;
    if (options.stdin) {
      const socket = join(rec.dir, 'attach');
      socat = spawn('socat', ['-t', '30', 'STDIO', `UNIX-CONNECT:${socket},type=5`], { stdio: ['pipe', 'ignore', 'ignore'] });
      socat.on('error', () => {});
      stdinStream = socat.stdin!;
    }
    let closed = false;
    let finish: (v: { exitCode: number }) => void = () => {};
    const exit = new Promise<{ exitCode: number }>((resolve) => (finish = resolve));
    const end = async () => {
      if (closed) return;
      closed = true;
      await follow.stop();
      stdout.end();
      stderr.end();
      socat?.kill();
      this.#state.refresh(rec);
      finish({ exitCode: rec.state === 'exited' ? rec.exitCode : 0 });
    };
    void this.#state.waitExitFile(id, -1).then(end);
    return {
      ...(stdinStream ? { stdin: stdinStream } : {}),
      ...(options.stdout || options.tty ? { stdout } : {}),
      ...(options.stderr && !options.tty ? { stderr } : {}),
      resize: (size) => {
        if (!rec.tty) return;
        void writeFifo(join(rec.dir, 'ctl'), `1 ${size.height} ${size.width}\n`).catch(() => {});
      },
      exit,
      close: () => void end(),
    };
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const sb = this.#state.sandboxOrThrow(podSandboxId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidArgument', `invalid port ${port}`);
    if (this.#state.sandboxState(sb) !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox "${podSandboxId}" is not ready`);
    if (!sb.netns) return connect({ host: '127.0.0.1', port });
    const busybox = which(['busybox'], ['/bin/busybox', '/usr/bin/busybox']);
    if (!busybox) throw new RuntimeError('Unavailable', 'port-forward needs busybox on the node');
    const child = spawn('nsenter', [`--net=${netnsPath(sb.netns)}`, busybox, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new RuntimeError('Internal', `port-forward: ${e.message}`)));
    });
    // The helper's stdout/stdin as one socket-like stream: the remote closing ends the readable side, and
    // a helper that fails (nothing listens on the port) destroys it with the helper's own words, as a failed
    // dial does upstream.
    const out = child.stdout!;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-1000)));
    const duplex = new Duplex({
      read() {
        out.resume();
      },
      write(chunk, _enc, cb) {
        if (child.stdin!.destroyed) return cb();
        child.stdin!.write(chunk, () => cb());
      },
      final(cb) {
        child.stdin!.end();
        cb();
      },
      destroy(err, cb) {
        child.kill();
        cb(err);
      },
    });
    child.stdin!.on('error', () => {});
    out.on('data', (d: Buffer) => {
      if (!duplex.push(d)) out.pause();
    });
    child.once('close', (code) => {
      if (code === 0 || code === null) duplex.push(null);
      else
        duplex.destroy(
          new RuntimeError(
            'Unavailable',
            `failed to connect to localhost:${port} inside namespace ${JSON.stringify(netnsPath(sb.netns!))}: ${stderr.trim() || `exit status ${code}`}`,
          ),
        );
    });
    return duplex;
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The pty slave a `script` process gave its child (its child's stdin), e.g. /dev/pts/3. */
function findChildTty(scriptPid: number): string | undefined {
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const c of children) {
      const link = readlinkSync(`/proc/${c}/fd/0`);
      if (link.startsWith('/dev/pts/')) return link;
    }
  } catch {}
  return undefined;
}
