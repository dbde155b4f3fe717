/**
 * Runs short helper commands (ip, mount, umount, CNI plugins, crun) through a small pool of long-lived
 * `/bin/sh` processes instead of spawning each from Node. Forking the Node process costs 7-9 ms per command on
 * a busy node (its page tables are large); forking a 2 MB shell costs well under 1 ms. A pod start runs
 * half a dozen such commands, so this is a large share of its time.
 *
 * Protocol: each job is one line written to an idle shell: the command (single-quoted), its environment as
 * assignments, stdin/stdout/stderr redirected to files in a private scratch directory, then `echo` of a job
 * marker and the exit status. Jobs that need a live stream or the child's pid (conmon, exec, port-forward)
 * are spawned from Node directly instead.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, type ExecOptions, type ExecResult } from '../cni/index.ts';
import { readQuietly } from './state.ts';

export interface SpawnOptions extends ExecOptions {
  /** A file the command gets as fd 3 (conmon's sync "pipe"), opened for writing. */
  fd3?: string;
  /**
   * The command leaves a process behind that keeps its stdio (`crun run --detach`): stdout and stderr go to
   * /dev/null instead of scratch files, which that process would otherwise hold open. Nothing is captured.
   */
  detach?: boolean;
  /** Working directory of the command (default: the shell's, which is ours). */
  cwd?: string;
}

interface Job {
  id: number;
  line: string;
  files: { in?: string; out: string; err: string };
  resolve: (r: { code: number }) => void;
  reject: (e: Error) => void;
}

interface Shell {
  child: ChildProcessWithoutNullStreams;
  busy: Job | undefined;
  buf: string;
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class Spawner {
  #shells: Shell[] = [];
  #queue: Job[] = [];
  #seq = 0;
  #dir: string;
  #max: number;
  #closed = false;

  #subreaper: string | undefined;
  /** The shells' environment (default: ours), which every job inherits. */
  #env: NodeJS.ProcessEnv | undefined;

  /**
   * `subreaper`: a catatonit binary to run each shell under. catatonit makes itself the child subreaper, so
   * daemons a job starts (conmon forks and its parent exits) are reaped by it when they end, instead of
   * becoming zombies under an init that does not reap (as on some VMs and containers).
   */
  constructor(options: { max?: number; subreaper?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.#max = options.max ?? 6;
    this.#subreaper = options.subreaper;
    this.#env = options.env;
    // tmpfs when the node has one: the redirect files never touch a disk.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.#dir = join(base, `kubeling-spawner-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  }

  /** Whether daemons started through the shells are reaped (see the constructor). */
  get reapsDaemons(): boolean {
    return this.#subreaper !== undefined;
  }

  /** Runs `cmd args` with optional stdin and environment additions; like execFile, throws on non-zero exit. */
  async run(cmd: string, args: string[], options: SpawnOptions = {}): Promise<ExecResult> {
    if (this.#closed) throw new Error('spawner closed');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const id = ++this.#seq;
    const files = {
      ...(options.input !== undefined ? { in: join(this.#dir, `${id}.in`) } : {}),
      out: join(this.#dir, `${id}.out`),
      err: join(this.#dir, `${id}.err`),
    };
    // Sync file calls: these are small files on tmpfs, microseconds each, where every async call would cost a
    // round trip through libuv's thread pool (several futex wake-ups); a pod start runs a dozen such jobs.
    if (files.in) writeFileSync(files.in, options.input!);
    const env = Object.entries(options.env ?? {})
      .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `${k}=${q(v ?? '')}`)
      .join(' ');
    const fd3 = options.fd3 ? ` 3>${q(options.fd3)}` : '';
    const out = options.detach ? '>/dev/null 2>&1' : `>${q(files.out)} 2>${q(files.err)}`;
    const argv = [cmd, ...args].map(q).join(' ');
    // A subshell for a working directory: it forks where the shell would fork anyway, then execs the command.
    const run = options.cwd ? `(cd ${q(options.cwd)} && ${env} exec ${argv})` : `${env} ${argv}`;
    const line = `${run} <${files.in ? q(files.in) : '/dev/null'} ${out}${fd3}; echo "@@${id} $?"\n`;
    const { code } = await new Promise<{ code: number }>((resolve, reject) => {
      this.#queue.push({ id, line, files, resolve, reject });
      this.#pump();
    });
    const stdout = options.detach ? '' : readQuietly(files.out);
    const stderr = options.detach ? '' : readQuietly(files.err);
    for (const f of Object.values(files)) rmSync(f, { force: true });
    const result = { code, stdout, stderr };
    if (code !== 0 && !options.allowFailure) throw new CommandError(cmd, args, result);
    return result;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let shell = this.#shells.find((s) => !s.busy);
      if (!shell && this.#shells.length < this.#max) shell = this.#start();
      if (!shell) return;
      const job = this.#queue.shift()!;
      shell.busy = job;
      this.#ref(shell, true);
      shell.child.stdin.write(job.line);
    }
  }

  #ref(shell: Shell, on: boolean): void {
    const handles = [shell.child, shell.child.stdin, shell.child.stdout] as unknown as { ref(): void; unref(): void }[];
    for (const h of handles) (on ? h.ref : h.unref).call(h);
  }

  #start(): Shell {
    const [bin, args] = this.#subreaper ? [this.#subreaper, ['--', '/bin/sh']] : ['/bin/sh', []];
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] as const, ...(this.#env ? { env: this.#env } : {}) }) as unknown as ChildProcessWithoutNullStreams;
    const shell: Shell = { child, busy: undefined, buf: '' };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      shell.buf += d;
      let nl;
      while ((nl = shell.buf.indexOf('\n')) >= 0) {
        const line = shell.buf.slice(0, nl);
        shell.buf = shell.buf.slice(nl + 1);
        const m = /^@@(\d+) (\d+)$/.exec(line);
        const job = shell.busy;
        if (!m || !job || Number(m[1]) !== job.id) continue;
        shell.busy = undefined;
        this.#ref(shell, false);
        job.resolve({ code: Number(m[2]) });
      }
      this.#pump();
    });
    const fail = (err: Error) => {
      this.#shells = this.#shells.filter((s) => s !== shell);
      shell.busy?.reject(err);
      shell.busy = undefined;
      this.#pump();
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`helper shell exited (${signal ?? code})`)));
    child.stdin.on('error', () => {});
    this.#shells.push(shell);
    this.#ref(shell, false);
    return shell;
  }

  /**
   * Ends the helper shells (waiting jobs fail) and removes the scratch directory. Resolves once the shells
   * have exited and been reaped (a caller about to exit should wait, or they linger as zombies under an
   * init that does not reap).
   */
  close(): Promise<void> {
    this.#closed = true;
    const exited = this.#shells.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
          s.child.once('exit', () => resolve());
          this.#ref(s, true);
          // EOF ends the shell, and catatonit with it.
          s.child.stdin.end();
          setTimeout(() => s.child.kill('SIGKILL'), 2000).unref();
        }),
    );
    this.#shells = [];
    for (const j of this.#queue.splice(0)) j.reject(new Error('spawner closed'));
    rmSync(this.#dir, { recursive: true, force: true });
    return Promise.all(exited).then(() => {});
  }
}
