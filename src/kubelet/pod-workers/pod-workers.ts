/**
 * PodWorkers: one worker per pod UID (upstream pod_workers.go). Updates to a pod are serialized through its
 * worker and the newest wins (a pending update is replaced, never queued); pods never wait on each other.
 * Each worker walks a pod through its life:
 *
 *     updatePod(create|update|sync)                     updatePod(kill) / syncPod says terminal
 *   ───────────────▶  SYNCING  ──────────────────────────────────────────────▶  TERMINATING
 *                     │  syncPod until terminal; resync every ~1 min,              │ syncTerminatingPod(grace)
 *                     │  retry after ~10 s on error, wake on PLEG/probe events     │ until it succeeds
 *                     ▼                                                             ▼
 *                                                                              TERMINATED
 *                                                                                   │ syncTerminatedPod
 *                                                                                   ▼
 *                                                                               FINISHED (kept until forget(uid))
 *
 * A kill aborts a running syncPod (its signal fires) so termination starts at once. A later kill may only
 * shorten the grace period. A finished pod never runs again: UIDs are unique.
 */
import { Doorbell, jitter, realClock, type Clock } from '../../machinery/index.ts';
import type { Pod } from '../kuberuntime/api.ts';

export type PodUpdateType = 'create' | 'update' | 'sync' | 'kill';

export interface PodUpdate {
  type: PodUpdateType;
  pod: Pod;
  /** For kill: the grace period; default deletionGracePeriodSeconds, else spec.terminationGracePeriodSeconds, else 30. */
  gracePeriodSeconds?: number;
}

/** The three steps of a pod's life; the kubelet (KubeletPodSyncer) implements them. */
export interface PodSyncer {
  /** Reconciles a running pod. Returns terminal when the pod finished by itself (or its deadline passed); retry asks for an early resync (a container is backing off or failed to start). Throws to be retried with back-off. */
  syncPod(pod: Pod, signal: AbortSignal): Promise<{ terminal: boolean; retry?: boolean; resyncAfterMs?: number }>;
  /** Stops every container with the grace period; throws to be retried. */
  syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void>;
  /** Cleans up after a terminated pod (volumes, runtime objects, final status). Throws to be retried. */
  syncTerminatedPod(pod: Pod, signal: AbortSignal): Promise<void>;
}

export type PodWorkerState = 'syncing' | 'terminating' | 'terminated' | 'finished';

export interface PodWorkersConfig {
  syncer: PodSyncer;
  clock?: Clock;
  /** Periodic resync of each pod (default 60 s, jittered). */
  resyncIntervalMs?: number;
  /** Delay before retrying a failed step (default 10 s, jittered). */
  backoffMs?: number;
  random?: () => number;
  onError?: (err: unknown, pod: Pod) => void;
}

class TerminationRequested extends Error {
  constructor() {
    super('pod termination requested');
    this.name = 'TerminationRequested';
  }
}

function defaultGrace(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

class PodWorker {
  state: PodWorkerState = 'syncing';
  pod: Pod;
  #pending: Pod | undefined;
  #killGrace: number | undefined;
  #terminatingGrace: number | undefined;
  #active: AbortController | undefined;
  #bell = new Doorbell();
  #stopped = false;
  done: Promise<void> | undefined;

  constructor(pod: Pod) {
    this.pod = pod;
    this.#pending = pod;
  }

  update(u: PodUpdate): void {
    this.#pending = u.pod;
    if (u.type === 'kill' || u.pod.metadata?.deletionTimestamp) {
      const grace = u.gracePeriodSeconds ?? defaultGrace(u.pod);
      const shorter = this.#killGrace === undefined || grace < this.#killGrace;
      if (shorter) this.#killGrace = grace;
      if (
        this.state === 'syncing' ||
        (this.state === 'terminating' &&
          shorter &&
          this.#terminatingGrace !== undefined &&
          grace < this.#terminatingGrace)
      )
        this.#active?.abort(new TerminationRequested());
    }
    this.#bell.ring();
  }

  wake(): void {
    this.#bell.ring();
  }

  stop(): void {
    this.#stopped = true;
    this.#active?.abort(new Error('pod worker stopped'));
    this.#bell.ring();
  }

  async run(w: PodWorkers, signal: AbortSignal): Promise<void> {
    const { syncer, clock } = w.config;
    let delay = 0;
    for (;;) {
      if (delay > 0) {
        const ac = new AbortController();
        const both = AbortSignal.any([signal, ac.signal]);
        await Promise.race([this.#bell.wait(both), clock.sleep(delay, both)]).catch(() => {});
        ac.abort();
      }
      if (signal.aborted || this.#stopped || this.state === 'finished') return;
      if (this.#pending) {
        this.pod = this.#pending;
        this.#pending = undefined;
      }
      if (this.state === 'syncing' && this.#killGrace !== undefined) this.state = 'terminating';
      this.#active = new AbortController();
      const stepSignal = AbortSignal.any([signal, this.#active.signal]);
      try {
        if (this.state === 'syncing') {
          const r = await syncer.syncPod(this.pod, stepSignal);
          if (r.terminal) {
            this.state = 'terminating';
            delay = 0;
            continue;
          }
          delay = r.retry ? w.backoffDelay() : w.resyncDelay();
          // A deadline coming up (activeDeadlineSeconds) is checked when it is due, not at the next resync.
          if (r.resyncAfterMs !== undefined) delay = Math.min(delay, Math.max(0, r.resyncAfterMs));
        } else if (this.state === 'terminating') {
          const grace = this.#killGrace ?? defaultGrace(this.pod);
          this.#terminatingGrace = grace;
          await syncer.syncTerminatingPod(this.pod, grace, stepSignal);
          this.state = 'terminated';
          delay = 0;
        } else if (this.state === 'terminated') {
          await syncer.syncTerminatedPod(this.pod, stepSignal);
          this.state = 'finished';
          return;
        }
      } catch (err) {
        if (signal.aborted || this.#stopped) return;
        if (stepSignal.aborted) {
          delay = 0; // interrupted by a kill: go on with termination at once
        } else {
          w.config.onError?.(err, this.pod);
          delay = w.backoffDelay();
        }
      } finally {
        this.#active = undefined;
      }
    }
  }
}

export class PodWorkers {
  readonly config: Required<Pick<PodWorkersConfig, 'syncer' | 'clock' | 'resyncIntervalMs' | 'backoffMs' | 'random'>> &
    Pick<PodWorkersConfig, 'onError'>;
  #workers = new Map<string, PodWorker>();
  #signal: AbortSignal | undefined;

  constructor(config: PodWorkersConfig) {
    if (!config.syncer) throw new Error('PodWorkers needs a syncer');
    this.config = {
      syncer: config.syncer,
      clock: config.clock ?? realClock,
      resyncIntervalMs: config.resyncIntervalMs ?? 60_000,
      backoffMs: config.backoffMs ?? 10_000,
      random: config.random ?? Math.random,
      onError: config.onError,
    };
  }

  resyncDelay(): number {
    return jitter(this.config.resyncIntervalMs, 0.5, this.config.random);
  }

  backoffDelay(): number {
    return jitter(this.config.backoffMs, 0.5, this.config.random);
  }

  /** Delivers an update to the pod's worker, creating it for a new UID. Never blocks. */
  updatePod(u: PodUpdate): void {
    const uid = u.pod.metadata?.uid;
    if (!uid) throw new Error('pod update without metadata.uid');
    let worker = this.#workers.get(uid);
    if (!worker) {
      worker = new PodWorker(u.pod);
      this.#workers.set(uid, worker);
      // A pod first seen already deleted (or killed) goes straight to termination.
      if (u.type === 'kill' || u.pod.metadata?.deletionTimestamp) worker.update(u);
      this.#start(worker);
      return;
    }
    worker.update(u);
  }

  /** Asks a pod's worker to sync soon (PLEG event, probe result). Unknown pods are ignored. */
  wake(uid: string): void {
    this.#workers.get(uid)?.wake();
  }

  state(uid: string): PodWorkerState | undefined {
    return this.#workers.get(uid)?.state;
  }

  /** Whether the pod's containers may still run (it is not yet terminated). */
  couldHaveRunningContainers(uid: string): boolean {
    const s = this.state(uid);
    return s === 'syncing' || s === 'terminating';
  }

  /** UIDs with a worker (any state). */
  knownPods(): string[] {
    return [...this.#workers.keys()];
  }

  /** Drops a finished pod's worker (the pod is gone from the API). A running worker is stopped. */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w) return;
    w.stop();
    this.#workers.delete(uid);
  }

  /** Runs the workers until `signal` aborts, then waits for each to stop. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    for (const w of this.#workers.values()) this.#start(w);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.allSettled([...this.#workers.values()].map((w) => w.done));
  }

  #start(w: PodWorker): void {
    if (!this.#signal || w.done) return;
    w.done = w.run(this, this.#signal).catch((err) => this.config.onError?.(err, w.pod));
  }
}
