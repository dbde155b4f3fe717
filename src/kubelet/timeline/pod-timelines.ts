/**
 * PodTimelines: the kubelet's record of each pod's steps on this node, with millisecond times (the API keeps
 * whole-second condition times and folded events; this keeps what happened, in order). The parts of the kubelet
 * that do a step record it as they do it: the pod sources (seen), the pod syncer (volumes mounted, gone), the
 * runtime manager (image, sandbox, create, start, hooks, stop), the PLEG (exits, with codes), the prober
 * (results that change). The kubelet server serves a pod's record (`/podTimeline/{namespace}/{name}`).
 *
 * Bounded: at most `maxSteps` steps a pod (the first `keepFirst` are kept, then the newest: a container
 * restarting for days keeps its start and its latest runs), and a pod's record stays `retainMs` after the pod is
 * gone from the node, so a `why --timeline` right after a delete still finds the end. Everything is in memory:
 * a restarted kubelet starts empty records (for pods it adopts, from their `PodSeen`).
 *
 * Not concurrent-safe in any interesting sense, and it need not be: Node runs one callback at a time and each
 * call only appends to one pod's list.
 */
import type { PodTimelineEntry, PodTimelineProgress, PodTimelineRecord, PodTimelineStepKind } from '../../api/index.ts';
import { realClock, type Clock } from '../../machinery/index.ts';

/** The pod's identity: any object with metadata (an API pod, the kubelet's own Pod type). */
export interface PodRef {
  metadata?: { uid?: string; namespace?: string; name?: string };
}

export type StepFields = Omit<PodTimelineEntry, 'at' | 'kind'> & { at?: number };

export interface PodTimelinesConfig {
  clock?: Clock;
  /** The node's name, stamped on every record. */
  nodeName?: string;
  /** Steps kept per pod (default 200). */
  maxSteps?: number;
  /** Of those, the oldest kept when trimming (default 40: a pod's start, init containers and first runs). */
  keepFirst?: number;
  /** How long a gone pod's record is kept (default 5 min). */
  retainMs?: number;
  /** Records kept for gone pods at most (default 500), oldest dropped first. */
  maxGone?: number;
}

interface Entry {
  record: PodTimelineRecord;
  goneAt?: number;
  /** Containers whose exit is recorded (exits are seen by the PLEG and by the pod syncer's kill: once each). */
  exited: Set<string>;
}

/** What the runtime says about a container that exited (the kubelet's RuntimeContainerStatus has it all). */
export interface ExitedContainer {
  id: string;
  name: string;
  type?: string;
  state: string;
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  restartCount: number;
}

export class PodTimelines {
  readonly #clock: Clock;
  readonly #nodeName: string | undefined;
  readonly #maxSteps: number;
  readonly #keepFirst: number;
  readonly #retainMs: number;
  readonly #maxGone: number;
  /** By pod uid; insertion order is the order pods were first seen. */
  readonly #pods = new Map<string, Entry>();

  constructor(config: PodTimelinesConfig = {}) {
    this.#clock = config.clock ?? realClock;
    this.#nodeName = config.nodeName;
    this.#maxSteps = config.maxSteps ?? 200;
    this.#keepFirst = Math.min(config.keepFirst ?? 40, this.#maxSteps - 1);
    this.#retainMs = config.retainMs ?? 5 * 60_000;
    this.#maxGone = config.maxGone ?? 500;
    if (this.#maxSteps < 2) throw new Error('PodTimelines: maxSteps must be at least 2');
  }

  /** Appends a step to the pod's record (made on first use), at `fields.at` or now. */
  record(pod: PodRef, kind: PodTimelineStepKind, fields: StepFields = {}): PodTimelineEntry | undefined {
    const entry = this.#entry(pod);
    if (!entry) return undefined;
    const { at, ...rest } = fields;
    const step: PodTimelineEntry = { at: at ?? this.#clock.now(), kind, ...dropUndefined(rest) };
    const steps = entry.record.steps;
    const exitOfThisRun = kind === 'ContainerStarted' ? this.#exitOfLatestRun(steps, step.container) : -1;
    if (exitOfThisRun >= 0) {
      // The container exited before its start call returned (an exit event can beat the call): the start goes
      // before the exit, at the runtime's start time (the exit's time less its run) if that is earlier.
      const exit = steps[exitOfThisRun]!;
      step.at = Math.min(step.at, exit.at - (exit.durationMs ?? 0));
      steps.splice(exitOfThisRun, 0, step);
    } else {
      steps.push(step);
    }
    if (steps.length > this.#maxSteps) {
      steps.splice(this.#keepFirst, 1);
      entry.record.dropped = (entry.record.dropped ?? 0) + 1;
    }
    return step;
  }

  /** The start step of the container's newest run (after its last ContainerCreated), if it has one. */
  #startOfLatestRun(steps: readonly PodTimelineEntry[], container: string): PodTimelineEntry | undefined {
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.container !== container) continue;
      if (s.kind === 'ContainerStarted') return s;
      if (s.kind === 'ContainerCreated' || s.kind === 'ContainerExited') return undefined;
    }
    return undefined;
  }

  /** The index of an exit of the container's newest run (after its last ContainerCreated), or -1. */
  #exitOfLatestRun(steps: readonly PodTimelineEntry[], container: string | undefined): number {
    if (!container) return -1;
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.container !== container) continue;
      if (s.kind === 'ContainerCreated') return -1;
      if (s.kind === 'ContainerExited') {
        for (let j = i - 1; j >= 0; j--) {
          const before = steps[j]!;
          if (before.container === container && (before.kind === 'ContainerStarted' || before.kind === 'ContainerCreated')) return before.kind === 'ContainerCreated' ? i : -1;
        }
        return -1;
      }
    }
    return -1;
  }

  /** Records the step unless the pod's record already has one of this kind (for the same container). */
  recordOnce(pod: PodRef, kind: PodTimelineStepKind, fields: StepFields = {}): void {
    const uid = pod.metadata?.uid ?? '';
    const steps = this.#pods.get(uid)?.record.steps ?? [];
    if (steps.some((s) => s.kind === kind && s.container === fields.container)) return;
    this.record(pod, kind, fields);
  }

  /**
   * A running pull's bytes so far, written into the pod's newest ImagePulling step for the container (the one
   * `kubeling run` shows as a progress bar). Cheap: called on every chunk.
   */
  progress(pod: PodRef, container: string, p: PodTimelineProgress): void {
    const steps = this.#pods.get(pod.metadata?.uid ?? '')?.record.steps;
    if (!steps) return;
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.kind === 'ImagePulling' && s.container === container) {
        s.progress = { ...p };
        return;
      }
    }
  }

  /**
   * Records the exit of each exited container of the pod not recorded yet, at the runtime's finish time with
   * its code, reason, termination message and run length. Safe to call with the same status again.
   */
  exits(pod: PodRef, containers: readonly ExitedContainer[]): void {
    const entry = this.#entry(pod);
    if (!entry) return;
    const exited = containers.filter((c) => c.state === 'exited' && !entry.exited.has(c.id)).sort((a, b) => a.finishedAt - b.finishedAt);
    for (const c of exited) {
      entry.exited.add(c.id);
      // The start step was taken when the start call returned; a run shorter than that call ended before it:
      // the step moves to the runtime's start time, so the start never reads as after its exit.
      const started = this.#startOfLatestRun(entry.record.steps, c.name);
      if (started && c.finishedAt > 0 && started.at > c.finishedAt) started.at = c.startedAt > 0 ? Math.min(c.startedAt, c.finishedAt) : c.finishedAt;
      this.record(pod, 'ContainerExited', {
        ...(c.finishedAt > 0 ? { at: c.finishedAt } : {}),
        container: c.name,
        containerType: c.type,
        exitCode: c.exitCode,
        restartCount: c.restartCount,
        reason: c.reason || undefined,
        message: c.message?.trim() || undefined,
        durationMs: c.startedAt > 0 && c.finishedAt >= c.startedAt ? c.finishedAt - c.startedAt : undefined,
      });
    }
  }

  /**
   * The pod's containers and sandbox are removed from the node: a PodGone step (once) on the pod's record, if
   * it has one, which is then kept `retainMs` longer.
   */
  removed(uid: string): void {
    const entry = this.#pods.get(uid);
    if (entry && !entry.record.steps.some((s) => s.kind === 'PodGone')) this.record({ metadata: { uid } }, 'PodGone');
    this.gone(uid);
  }

  /** The pod is gone from the node: its record is kept `retainMs` longer. */
  gone(uid: string): void {
    const entry = this.#pods.get(uid);
    if (entry && entry.goneAt === undefined) entry.goneAt = this.#clock.now();
    this.#prune();
  }

  /** The newest record of a pod by name (a pod deleted and made again under the same name has a new uid). */
  get(namespace: string, name: string): PodTimelineRecord | undefined {
    this.#prune();
    let found: PodTimelineRecord | undefined;
    for (const { record } of this.#pods.values())
      if (record.namespace === namespace && record.name === name) found = record;
    return found && structuredClone(found);
  }

  /** The record of a pod by uid. */
  getByUid(uid: string): PodTimelineRecord | undefined {
    this.#prune();
    const r = this.#pods.get(uid)?.record;
    return r && structuredClone(r);
  }

  #entry(pod: PodRef): Entry | undefined {
    const uid = pod.metadata?.uid;
    if (!uid) return undefined;
    let entry = this.#pods.get(uid);
    if (!entry) {
      entry = {
        record: {
          kind: 'PodTimeline',
          namespace: pod.metadata?.namespace ?? '',
          name: pod.metadata?.name ?? '',
          uid,
          ...(this.#nodeName ? { node: this.#nodeName } : {}),
          steps: [],
        },
        exited: new Set(),
      };
      this.#pods.set(uid, entry);
    }
    return entry;
  }

  #prune(): void {
    const now = this.#clock.now();
    const gone = [...this.#pods.entries()].filter(([, e]) => e.goneAt !== undefined);
    const excess = gone.length - this.#maxGone;
    gone.forEach(([uid, e], i) => {
      if (i < excess || now - e.goneAt! >= this.#retainMs) this.#pods.delete(uid);
    });
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
