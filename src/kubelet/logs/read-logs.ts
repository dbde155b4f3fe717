/**
 * Serving a container's log file the way `kubectl logs` expects (the kubelet's ReadLogs): optional tail of the
 * last N lines, a since filter, RFC 3339 timestamps in front of each entry, a byte limit, and follow mode that
 * keeps reading as the container writes, across rotations (the log manager renames the file and the monitor
 * reopens a new one at the same path), until the container has exited and nothing is left to read.
 */
import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { formatTimestamp, parseCriLine, type LogEntry } from './cri-log.ts';

export interface LogOptions {
  follow?: boolean;
  /** Last N lines only; undefined or negative means all. */
  tailLines?: number;
  /** Only entries at or after this time (ms since epoch). */
  sinceTime?: number;
  timestamps?: boolean;
  limitBytes?: number;
  /** Which streams to include (default both). */
  stdout?: boolean;
  stderr?: boolean;
}

export interface FollowHooks {
  /** True while the container may still write; follow ends once this is false and the file is drained. */
  isRunning(): Promise<boolean>;
  /** Poll interval while following (ms). */
  pollMs?: number;
}

/** Writes the log to `out`; resolves when done (or when `signal` aborts, e.g. the client went away). */
export async function readLogs(
  path: string,
  opts: LogOptions,
  out: Writable,
  signal: AbortSignal,
  follow?: FollowHooks,
): Promise<void> {
  let limit = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const wantStdout = opts.stdout !== false;
  const wantStderr = opts.stderr !== false;

  const emit = async (e: LogEntry): Promise<boolean> => {
    if (opts.sinceTime !== undefined && e.time < opts.sinceTime) return true;
    if ((e.stream === 'stdout' && !wantStdout) || (e.stream === 'stderr' && !wantStderr)) return true;
    let chunk = opts.timestamps
      ? Buffer.concat([Buffer.from(`${formatTimestamp(e.timestamp)} `), e.content])
      : e.content;
    if (chunk.length > limit) chunk = chunk.subarray(0, limit);
    limit -= chunk.length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
    return limit > 0;
  };

  let fh = await fs.open(path, 'r');
  try {
    let position = opts.tailLines !== undefined && opts.tailLines >= 0 ? await tailOffset(fh, opts.tailLines) : 0;
    let pending = Buffer.alloc(0);
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      if (signal.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        let nl: number;
        while ((nl = pending.indexOf(0x0a)) >= 0) {
          const e = parseCriLine(pending.subarray(0, nl));
          pending = pending.subarray(nl + 1);
          if (e && !(await emit(e))) return;
        }
        continue;
      }
      if (!opts.follow || !follow) return;
      // At the end of the file: a rotation replaced it (new inode at the path), or we wait for more.
      const [cur, atPath] = await Promise.all([fh.stat(), fs.stat(path).catch(() => undefined)]);
      if (atPath && atPath.ino !== cur.ino) {
        await fh.close();
        fh = await fs.open(path, 'r');
        position = 0;
        continue;
      }
      if (!(await follow.isRunning())) {
        // One last read: the container may have written between our read and its exit.
        const { bytesRead: tail } = await fh.read(buf, 0, buf.length, position);
        if (tail > 0) continue;
        return;
      }
      await sleep(follow.pollMs ?? 100, signal);
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

/** Offset of the start of the last `n` lines of the file (0 for n larger than the file has). */
async function tailOffset(fh: fs.FileHandle, n: number): Promise<number> {
  const { size } = await fh.stat();
  if (n === 0) return size;
  const block = 16 * 1024;
  let end = size;
  let found = 0;
  // A file ends in "\n", so the last newline closes the last line rather than starting one.
  let skipFirst = true;
  const buf = Buffer.alloc(block);
  while (end > 0) {
    const start = Math.max(0, end - block);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (skipFirst && start + i === size - 1) continue;
      found++;
      if (found === n) return start + i + 1;
    }
    skipFirst = false;
    end = start;
  }
  return 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
