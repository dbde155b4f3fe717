/**
 * Size-based rotation of container log files (the kubelet's ContainerLogManager): every period, each running
 * container whose log file is over `maxSize` has it renamed to `<file>.<timestamp>` and the runtime's monitor
 * reopens a fresh file at the same path; only the newest `maxFiles - 1` rotated files are kept. Defaults are
 * Kubernetes' (10 MiB × 5, every 10 s).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RuntimeService } from '../../runtime/runtime.ts';
import { realClock, type Clock } from '../../machinery/index.ts';

/** A rotated file's suffix: the kubelet's stamp (20060102-150405), `.N` for a second rotation in that second. */
const ROTATED_SUFFIX = /^(\d{8}-\d{6})(?:\.(\d+))?$/;

export interface LogManagerConfig {
  runtime: Pick<RuntimeService, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;
  maxSize?: number;
  maxFiles?: number;
  periodMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export class ContainerLogManager {
  readonly #runtime: LogManagerConfig['runtime'];
  readonly #maxSize: number;
  readonly #maxFiles: number;
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #onError: (err: unknown) => void;

  constructor(config: LogManagerConfig) {
    this.#runtime = config.runtime;
    this.#maxSize = config.maxSize ?? 10 * 1024 * 1024;
    this.#maxFiles = config.maxFiles ?? 5;
    if (this.#maxFiles < 2) throw new Error('containerLogMaxFiles must be at least 2');
    this.#periodMs = config.periodMs ?? 10_000;
    this.#clock = config.clock ?? realClock;
    this.#onError = config.onError ?? (() => {});
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#periodMs, signal);
      } catch {
        return;
      }
      await this.rotateAll().catch(this.#onError);
    }
  }

  /** One pass over the running containers. */
  async rotateAll(): Promise<void> {
    for (const c of await this.#runtime.listContainers({ state: 'CONTAINER_RUNNING' })) {
      try {
        const status = await this.#runtime.containerStatus(c.id);
        if (status.logPath) await this.rotateIfNeeded(c.id, status.logPath);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  async rotateIfNeeded(containerId: string, logPath: string): Promise<boolean> {
    const st = await fs.stat(logPath).catch(() => undefined);
    if (!st || st.size < this.#maxSize) return false;
    // The kubelet's suffix format (20060102-150405); a second rotation within the same second gets `.N`.
    const stamp = new Date(this.#clock.now())
      .toISOString()
      .replace(/\.\d+Z$/, '')
      .replace(/[-:]/g, '')
      .replace('T', '-');
    // After the newest of this second, never in a gap the cleanup left (a reused name would sort as the oldest).
    const rotated = await this.#rotated(logPath);
    const sameSecond = rotated.filter((r) => r.stamp === stamp);
    const n = sameSecond.length ? Math.max(...sameSecond.map((r) => r.n)) + 1 : 0;
    const target = n ? `${logPath}.${stamp}.${n}` : `${logPath}.${stamp}`;
    await fs.rename(logPath, target);
    try {
      await this.#runtime.reopenContainerLog(containerId);
    } catch (err) {
      // Keep the container logging somewhere: put the file back where the monitor still writes.
      await fs.rename(target, logPath).catch(() => {});
      throw err;
    }
    // The newest is the one just made: the oldest beyond maxFiles - 1 go.
    const excess = rotated.length + 1 - (this.#maxFiles - 1);
    for (const r of rotated.slice(0, Math.max(0, excess))) await fs.rm(path.join(path.dirname(logPath), r.file), { force: true });
    return true;
  }

  /**
   * The rotated files of `logPath`, oldest first (`.N` in number order). Only this manager's own names count:
   * conmon reopens a log through `<file>.tmp`, renamed over the file, and counting that one (as upstream's
   * getAllLogs does not) removed a rotated file too many when a cleanup met it.
   */
  async #rotated(logPath: string): Promise<{ file: string; stamp: string; n: number }[]> {
    const base = path.basename(logPath);
    const rotated: { file: string; stamp: string; n: number }[] = [];
    for (const file of await fs.readdir(path.dirname(logPath))) {
      const m = file.startsWith(`${base}.`) ? ROTATED_SUFFIX.exec(file.slice(base.length + 1)) : null;
      if (m) rotated.push({ file, stamp: m[1]!, n: Number(m[2] ?? 0) });
    }
    return rotated.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n));
  }
}
