/**
 * GenericPLEG, the pod lifecycle event generator (upstream pleg/generic.go): every second it relists the
 * runtime's sandboxes and containers, diffs each container's state against the previous relist with the pure
 * `generateEvents`, refreshes the pod status cache for pods that changed, and tells subscribers (the pod
 * workers) which pods to wake. It owns the cache; everything else only reads it.
 *
 * Assumption (as upstream's): a container is not created, exited and removed within one relist period; if it
 * is, its events are missed, and the periodic pod resync repairs the state.
 *
 * Exits as they happen: with `exitHints` (the runtime's watchContainerExits), a container's exit makes the
 * next relist start at once instead of at the end of the period, so a dead container is seen in
 * milliseconds, not up to a second later. The relist stays the only source of states and events (upstream's
 * evented PLEG keeps the generic one beside it the same way).
 */
import { realClock, type Clock } from '../../machinery/index.ts';
import type { RuntimePodStatus } from '../kuberuntime/runtime-pod.ts';

export type PodLifecycleEventType =
  'ContainerStarted' | 'ContainerDied' | 'ContainerRemoved' | 'ContainerChanged' | 'PodSync';

export interface PodLifecycleEvent {
  podUid: string;
  type: PodLifecycleEventType;
  /** The container (or sandbox) id the event is about. */
  containerId: string;
}

export type PlegContainerState = 'running' | 'exited' | 'unknown' | 'non-existent';

/** Upstream's generateEvents: the events of one container moving from `oldState` to `newState`. */
export function generateEvents(
  podUid: string,
  containerId: string,
  oldState: PlegContainerState,
  newState: PlegContainerState,
): PodLifecycleEvent[] {
  if (oldState === newState) return [];
  const ev = (type: PodLifecycleEventType) => ({ podUid, type, containerId });
  switch (newState) {
    case 'running':
      return [ev('ContainerStarted')];
    case 'exited':
      return [ev('ContainerDied')];
    case 'unknown':
      return [ev('ContainerChanged')];
    case 'non-existent':
      return oldState === 'exited' ? [ev('ContainerRemoved')] : [ev('ContainerDied'), ev('ContainerRemoved')];
  }
}

const stateOf: Record<string, PlegContainerState> = {
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_CREATED: 'unknown',
  CONTAINER_UNKNOWN: 'unknown',
  SANDBOX_READY: 'running',
  SANDBOX_NOTREADY: 'exited',
};

/** What the PLEG reads: KubeRuntimeManager provides both. */
export interface PodStatusSource {
  listPods(): Promise<
    Map<
      string,
      {
        uid: string;
        name: string;
        namespace: string;
        sandboxes: { id: string; state: string }[];
        containers: { id: string; state: string }[];
      }
    >
  >;
  getPodStatus(uid: string, name?: string, namespace?: string): Promise<RuntimePodStatus>;
}

export interface GenericPLEGConfig {
  runtime: PodStatusSource;
  clock?: Clock;
  /** Default 1 s. */
  relistPeriodMs?: number;
  /** Default 3 min. */
  relistThresholdMs?: number;
  /**
   * Subscribes to hints that a container exited (the runtime's watchContainerExits); returns the
   * unsubscribe. Without it the PLEG relists on its period only.
   */
  exitHints?: (hint: () => void) => () => void;
  /** Told after each successful relist how long it took and what it saw (the kubelet's metrics). */
  onRelist?: (durationMs: number, counts: { runningPods: number; containers: Record<string, number> }) => void;
}

export type PodLifecycleListener = (event: PodLifecycleEvent) => void;

function formatAgo(ms: number): string {
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = +(s % 60).toFixed(6);
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

export class GenericPLEG {
  #source: PodStatusSource;
  #clock: Clock;
  #period: number;
  #threshold: number;
  #listeners = new Set<PodLifecycleListener>();
  /** Container id → state at the last relist, per pod. */
  #old = new Map<string, Map<string, PlegContainerState>>();
  #cache = new Map<string, RuntimePodStatus>();
  /** Pods whose status read failed; retried on the next relist. */
  #retry = new Set<string>();
  #lastRelist = 0;
  readonly #onRelist: GenericPLEGConfig['onRelist'];
  readonly #exitHints: GenericPLEGConfig['exitHints'];
  /** Set by an exit hint: relist again without waiting for the period. */
  #hinted = false;
  #wakeSleep: AbortController | undefined;

  constructor(config: GenericPLEGConfig) {
    if (!config.runtime) throw new Error('GenericPLEG needs a runtime');
    this.#source = config.runtime;
    this.#clock = config.clock ?? realClock;
    this.#period = config.relistPeriodMs ?? 1000;
    this.#threshold = config.relistThresholdMs ?? 180_000;
    this.#onRelist = config.onRelist;
    this.#exitHints = config.exitHints;
  }

  /** Adds a listener; returns the function that removes it. Listeners run synchronously; keep them cheap. */
  subscribe(listener: PodLifecycleListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The cached runtime status of a pod (from the last relist that saw it change), or undefined. */
  getCachedStatus(uid: string): RuntimePodStatus | undefined {
    return this.#cache.get(uid);
  }

  /** Reads a pod's status now and stores it in the cache (a pod worker wanting fresher data than the relist). */
  async updateCache(uid: string, name?: string, namespace?: string): Promise<RuntimePodStatus> {
    const status = await this.#source.getPodStatus(uid, name, namespace);
    this.#cache.set(uid, status);
    return status;
  }

  /** `{ ok: false, message }` when no relist completed for 3 minutes (the node goes NotReady with it). */
  healthy(): { ok: boolean; message: string } {
    if (this.#lastRelist === 0) return { ok: false, message: 'pleg has yet to be successful' };
    const elapsed = this.#clock.now() - this.#lastRelist;
    if (elapsed > this.#threshold)
      return {
        ok: false,
        message: `pleg was last seen active ${formatAgo(elapsed)} ago; threshold is ${formatAgo(this.#threshold)}`,
      };
    return { ok: true, message: '' };
  }

  /** One relist: diff, refresh the cache of changed pods, notify. Throws when the runtime cannot be listed. */
  async relist(): Promise<PodLifecycleEvent[]> {
    const started = this.#clock.now();
    const pods = await this.#source.listPods();
    const now = new Map<string, Map<string, PlegContainerState>>();
    for (const [uid, p] of pods) {
      const m = new Map<string, PlegContainerState>();
      for (const s of p.sandboxes) m.set(s.id, stateOf[s.state] ?? 'unknown');
      for (const c of p.containers) m.set(c.id, stateOf[c.state] ?? 'unknown');
      now.set(uid, m);
    }
    const events: PodLifecycleEvent[] = [];
    const changed = new Set<string>(this.#retry);
    for (const uid of new Set([...this.#old.keys(), ...now.keys()])) {
      const before = this.#old.get(uid) ?? new Map();
      const after = now.get(uid) ?? new Map();
      for (const id of new Set([...before.keys(), ...after.keys()])) {
        const evs = generateEvents(uid, id, before.get(id) ?? 'non-existent', after.get(id) ?? 'non-existent');
        if (evs.length) changed.add(uid);
        // ContainerChanged is generated but, as upstream, not sent.
        events.push(...evs.filter((e) => e.type !== 'ContainerChanged'));
      }
    }
    this.#retry.clear();
    for (const uid of changed) {
      const p = pods.get(uid);
      if (!p) {
        this.#cache.delete(uid);
        continue;
      }
      try {
        this.#cache.set(uid, await this.#source.getPodStatus(uid, p.name, p.namespace));
      } catch {
        this.#retry.add(uid);
      }
    }
    this.#old = now;
    this.#lastRelist = this.#clock.now();
    if (this.#onRelist) {
      let runningPods = 0;
      const containers: Record<string, number> = {};
      for (const p of pods.values()) {
        if (p.sandboxes.some((sb) => sb.state === 'SANDBOX_READY')) runningPods++;
        for (const c of p.containers) containers[c.state] = (containers[c.state] ?? 0) + 1;
      }
      this.#onRelist(this.#lastRelist - started, { runningPods, containers });
    }
    for (const e of events) for (const l of this.#listeners) l(e);
    return events;
  }

  /** Relists every period until `signal` aborts. A failed relist is skipped (health shows how long ago). */
  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.#exitHints?.(() => {
      this.#hinted = true;
      this.#wakeSleep?.abort();
    });
    try {
      while (!signal.aborted) {
        this.#hinted = false;
        try {
          await this.relist();
        } catch {
          // The runtime could not be listed; the next period tries again and healthy() tells how long it's been.
        }
        if (this.#hinted) continue; // an exit came during the relist: it may not have been listed yet
        const wake = (this.#wakeSleep = new AbortController());
        await this.#clock.sleep(this.#period, AbortSignal.any([signal, wake.signal])).catch(() => {});
        this.#wakeSleep = undefined;
      }
    } finally {
      unsubscribe?.();
    }
  }
}
