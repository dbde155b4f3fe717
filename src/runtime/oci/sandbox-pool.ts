/**
 * The node's pool of ready pod sandboxes: a few sandboxes built ahead of any pod (network namespace wired
 * by CNI, pause running, /dev/shm, a cgroup of their own), so a new pod's runPodSandbox only hands one over
 * (hostname, files, pod cgroup: sandboxes.ts #handOver) instead of paying for netns, CNI ADD and the pause
 * on its critical path. Only pods a pooled sandbox fits take one (fitsPooledSandbox); the rest are built as
 * before.
 *
 *   run(size, signal) ─▶ remove pooled sandboxes an earlier run left ─▶ build one at a time until `size`
 *        ▲                                  are ready ─▶ sleep until a pod takes one ─┘
 *   take(config) ── pops the oldest ready one (whose pause still runs), or, with none ready, claims the
 *                   build under way and waits for it; wakes the builder
 *   signal aborts ─▶ the build under way finishes ─▶ every pooled sandbox is removed ─▶ run resolves
 *
 * One build at a time, and only once no pod has been starting (runPodSandbox, createContainer,
 * startContainer) for QUIET_MS: a refill competes with the pods being started for the node's cores (on a
 * busy 2-core node a refill beside a pod's createContainer made that slower by half), and a burst larger
 * than the pool is better served by its own cold starts than by a refill racing them. The pause is short,
 * so pods that come one after another (a Deployment scaled up pod by pod, a Job's pods in series) find a
 * sandbox refilled in the gap between them; one that comes while the refill is under way takes that build
 * rather than starting a second one beside it (the build is then the pod's own sandbox, begun early).
 * Pooled sandboxes are records in the runtime's state (flag `pooled`) that the CRI listing hides, so a
 * crashed node's pool is found and removed by the next run, and by `kubeling killall` (drain).
 */
import { realClock, type Clock } from '../../machinery/index.ts';
import type { PodSandboxConfig, SandboxPool } from '../runtime.ts';
import type { OciState } from './runtime-state.ts';
import { fitsPooledSandbox, type OciSandboxes } from './sandboxes.ts';
import type { SandboxRecord } from './state.ts';

export interface OciSandboxPoolConfig {
  state: OciState;
  sandboxes: OciSandboxes;
  clock?: Clock;
  /** Told about a sandbox that could not be built or removed (the pool retries after a pause). */
  onError?: (err: unknown) => void;
}

const RETRY_MS = 5_000;
/**
 * How long no pod must have been starting before the pool builds a sandbox, and how often it looks: long
 * enough that the gap between one pod's container starts does not count, short enough that pods in a row
 * (each about as far apart as the API's round trip for the one before) find the pool refilled.
 */
const QUIET_MS = 20;
const QUIET_CHECK_MS = 10;

export class OciSandboxPool implements SandboxPool {
  readonly #state: OciState;
  readonly #sandboxes: OciSandboxes;
  readonly #clock: Clock;
  readonly #onError: (err: unknown) => void;
  readonly #ready: SandboxRecord[] = [];
  /** The build under way, and whether a pod has claimed it (it is then that pod's, not the pool's). */
  #building: { sandbox: Promise<SandboxRecord | undefined>; claimed: boolean } | undefined;
  #wake: (() => void) | undefined;
  #size = 0;
  /** Where errors go: the current run's onError, else the configured one. */
  #report: (err: unknown) => void;

  constructor(config: OciSandboxPoolConfig) {
    this.#state = config.state;
    this.#sandboxes = config.sandboxes;
    this.#clock = config.clock ?? realClock;
    this.#onError = config.onError ?? (() => {});
    this.#report = this.#onError;
    this.#sandboxes.takeFromPool = (c) => this.take(c);
    this.#sandboxes.handOverFailed = (err) => this.#report(err);
  }

  /** How many pooled sandboxes are ready now. */
  get ready(): number {
    return this.#ready.length;
  }

  async run(size: number, signal: AbortSignal, onError?: (err: unknown) => void): Promise<void> {
    if (!Number.isInteger(size) || size < 0) throw new Error(`sandbox pool size must be a whole number >= 0, got ${size}`);
    const report = (this.#report = onError ?? this.#onError);
    await this.drain();
    this.#size = size;
    try {
      while (!signal.aborted) {
        if (this.#ready.length >= size) {
          await this.#sleepUntilTaken(signal);
          continue;
        }
        if (!this.#state.quietFor(QUIET_MS)) {
          await this.#clock.sleep(QUIET_CHECK_MS, signal).catch(() => {});
          continue;
        }
        const build = this.#sandboxes.buildPooled();
        const building = (this.#building = { sandbox: build.catch(() => undefined), claimed: false });
        try {
          const rec = await build;
          if (!building.claimed) this.#ready.push(rec);
        } catch (err) {
          report(err);
          await this.#clock.sleep(RETRY_MS, signal).catch(() => {});
        } finally {
          this.#building = undefined;
        }
      }
    } finally {
      this.#size = 0;
      await this.drain();
      this.#report = this.#onError;
    }
  }

  /**
   * A pooled sandbox for this pod, taken out of the pool: a ready one, else the build under way (claimed
   * now, awaited: undefined if it fails); undefined when the pod does not fit one or there is neither. The
   * choice is made synchronously, so two pods never take the same one.
   */
  take(config: PodSandboxConfig): SandboxRecord | Promise<SandboxRecord | undefined> | undefined {
    if (this.#size === 0 || !fitsPooledSandbox(config, this.#state.handler)) return undefined;
    let rec: SandboxRecord | undefined;
    while ((rec = this.#ready.shift())) {
      if (this.#state.pauseRunning(rec)) break;
      // Its pause died (killed by hand, OOM): nothing to hand over.
      void this.#sandboxes.removePodSandbox(rec.id).catch((err: unknown) => this.#report(err));
    }
    this.#wake?.();
    if (rec || !this.#building || this.#building.claimed) return rec;
    this.#building.claimed = true;
    return this.#building.sandbox;
  }

  /**
   * Removes every pooled sandbox in the runtime's state (this run's and any an earlier process left);
   * resolves how many there were.
   */
  async drain(): Promise<number> {
    this.#ready.length = 0;
    // A pooled record that names a pod is being handed over to it (sandboxes.ts #handOver): the pod's now.
    const pooled = [...this.#state.sandboxes.values()].filter((s) => s.pooled && !s.config.metadata.uid);
    const results = await Promise.allSettled(pooled.map((s) => this.#sandboxes.removePodSandbox(s.id)));
    for (const r of results) if (r.status === 'rejected') this.#report(r.reason);
    return pooled.length;
  }

  #sleepUntilTaken(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
