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
    let target = `${logPath}.${stamp}`;
    for (
      let n = 1;
      await fs.stat(target).then(
        () => true,
        () => false,
      );
      n++
    )
      target = `${logPath}.${stamp}.${n}`;
    await fs.rename(logPath, target);
    try {
      await this.#runtime.reopenContainerLog(containerId);
    } catch (err) {
      // Keep the container logging somewhere: put the file back where the monitor still writes.
      await fs.rename(target, logPath).catch(() => {});
      throw err;
    }
    await this.#cleanup(logPath);
    return true;
  }

  async #cleanup(logPath: string): Promise<void> {
    const dir = path.dirname(logPath);
    const base = path.basename(logPath);
    const rotated = (await fs.readdir(dir)).filter((f) => f.startsWith(`${base}.`)).sort();
    const excess = rotated.length - (this.#maxFiles - 1);
    for (const f of rotated.slice(0, Math.max(0, excess))) await fs.rm(path.join(dir, f), { force: true });
  }
}
