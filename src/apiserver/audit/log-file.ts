/**
 * The audit log backend (`--audit-log-path`, `-` for stdout): events become JSON lines appended to a file
 * that rotates as upstream's lumberjack writer does. Before a write would take the file past
 * `--audit-log-maxsize` MB (0 = 100 MB) it is renamed to `NAME-2006-01-02T15-04-05.000.EXT` (UTC) and a new
 * one is opened; then backups beyond `--audit-log-maxbackup` (0 = keep all) and older than
 * `--audit-log-maxage` days (0 = keep all, age read from the name) are removed.
 *
 * `write` never waits on the disk: lines are queued in memory and one pump writes them in order, so a slow
 * disk never holds a request. When more than `bufferEvents` lines wait, new ones are dropped and counted
 * (upstream's buffered backend drops the same way). `stop` writes everything queued and closes the file.
 */
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { AuditEvent } from './event.ts';

/** Where events go; `write` must not block and is called once per event in stage order. */
export interface AuditSink {
  write(event: AuditEvent): void;
  /** Writes what is queued and releases the file. */
  stop(): Promise<void>;
}

export interface AuditLogFileConfig {
  /** The file, or `-` for stdout. */
  path: string;
  /** `--audit-log-maxage`: days to keep backups (0 = no limit). */
  maxAgeDays?: number;
  /** `--audit-log-maxbackup`: backups to keep (0 = no limit). */
  maxBackups?: number;
  /** `--audit-log-maxsize` in MB (0 = 100, lumberjack's default). */
  maxSizeMB?: number;
  /** The size limit in bytes, overriding maxSizeMB (tests). */
  maxSizeBytes?: number;
  /** Lines that may wait in memory before new ones are dropped (default 10000). */
  bufferEvents?: number;
  now?: () => number;
  /** Told about write failures and drops (at most once per pump run). */
  onError?: (message: string, err?: unknown) => void;
}

const MB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

export class AuditLogFile implements AuditSink {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #maxBackups: number;
  readonly #maxAgeMs: number;
  readonly #bufferEvents: number;
  readonly #now: () => number;
  readonly #onError: (message: string, err?: unknown) => void;
  #queue: string[] = [];
  #pump: Promise<void> | undefined;
  #file: FileHandle | undefined;
  #size = 0;
  #stopped = false;
  /** Lines dropped because the queue was full. */
  dropped = 0;

  constructor(config: AuditLogFileConfig) {
    this.#path = config.path;
    this.#maxBytes = config.maxSizeBytes ?? (config.maxSizeMB && config.maxSizeMB > 0 ? config.maxSizeMB : 100) * MB;
    this.#maxBackups = config.maxBackups ?? 0;
    this.#maxAgeMs = (config.maxAgeDays ?? 0) * DAY_MS;
    this.#bufferEvents = config.bufferEvents ?? 10_000;
    this.#now = config.now ?? Date.now;
    this.#onError = config.onError ?? (() => {});
  }

  write(event: AuditEvent): void {
    if (this.#stopped) return;
    if (this.#queue.length >= this.#bufferEvents) {
      if (this.dropped++ === 0) this.#onError(`audit buffer full (${this.#bufferEvents} events); dropping events`);
      return;
    }
    this.#queue.push(JSON.stringify(event) + '\n');
    this.#pump ??= this.#drain().finally(() => {
      this.#pump = undefined;
      if (this.#queue.length > 0 && !this.#stopped) this.#pump = this.#drain();
    });
  }

  /** Resolves once everything queued so far is written (tests and stop). */
  async flush(): Promise<void> {
    while (this.#pump) await this.#pump;
  }

  async stop(): Promise<void> {
    await this.flush();
    this.#stopped = true;
    await this.#file?.close();
    this.#file = undefined;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const lines = this.#queue;
      this.#queue = [];
      try {
        if (this.#path === '-') await writeStdout(lines.join(''));
        else await this.#writeLines(lines);
      } catch (err) {
        this.#onError('writing the audit log failed', err);
      }
    }
  }

  /** Writes whole lines, rotating between lines so no line is ever split across files. */
  async #writeLines(lines: string[]): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const data = Buffer.concat(batch);
      batch = [];
      batchBytes = 0;
      await this.#file!.write(data);
      this.#size += data.length;
    };
    if (!this.#file) await this.#openExisting();
    for (const line of lines) {
      const bytes = Buffer.from(line);
      if (this.#size + batchBytes + bytes.length > this.#maxBytes && this.#size + batchBytes > 0) {
        await flushBatch();
        await this.#rotate();
      }
      batch.push(bytes);
      batchBytes += bytes.length;
    }
    await flushBatch();
  }

  async #openExisting(): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    this.#file = await open(this.#path, 'a', 0o600);
    this.#size = (await this.#file.stat()).size;
  }

  async #rotate(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
    // Two rotations within one millisecond must not share a name (the second would replace the first).
    let t = this.#now();
    while (await stat(backupName(this.#path, t)).catch(() => undefined)) t++;
    await rename(this.#path, backupName(this.#path, t));
    this.#file = await open(this.#path, 'a', 0o600);
    this.#size = 0;
    await this.#removeOldBackups();
  }

  async #removeOldBackups(): Promise<void> {
    if (this.#maxBackups === 0 && this.#maxAgeMs === 0) return;
    const backups = await listBackups(this.#path);
    backups.sort((a, b) => b.time - a.time);
    const cutoff = this.#now() - this.#maxAgeMs;
    for (const [i, b] of backups.entries()) {
      const tooMany = this.#maxBackups > 0 && i >= this.#maxBackups;
      const tooOld = this.#maxAgeMs > 0 && b.time < cutoff;
      if (tooMany || tooOld) await unlink(b.file).catch(() => {});
    }
  }
}

/** `/var/log/audit.log` rotated at t → `/var/log/audit-2006-01-02T15-04-05.000.log` (UTC), lumberjack's names. */
export function backupName(path: string, t: number): string {
  const ext = extname(path);
  const stem = basename(path, ext);
  const stamp = new Date(t).toISOString().replace(/Z$/, '').replaceAll(':', '-');
  return join(dirname(path), `${stem}-${stamp}${ext}`);
}

/** The rotated files of `path`, with the time their names carry. */
export async function listBackups(path: string): Promise<{ file: string; time: number }[]> {
  const ext = extname(path);
  const stem = basename(path, ext);
  const dir = dirname(path);
  const out: { file: string; time: number }[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${stem}-`) || !name.endsWith(ext)) continue;
    const stamp = name.slice(stem.length + 1, name.length - ext.length);
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(stamp);
    if (!m) continue;
    const time = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
    if (Number.isNaN(time)) continue;
    const file = join(dir, name);
    if (!(await stat(file).catch(() => undefined))?.isFile()) continue;
    out.push({ file, time });
  }
  return out;
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
