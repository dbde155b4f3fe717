/**
 * `kubeling why --timeline pod/NAME`: every step of a pod's life in time order, each with its time, its
 * offset from the pod's creation and, where the step has an end, how long it took. Built from what the
 * cluster keeps, with no record of its own: the pod's creation and deletion timestamps, its conditions'
 * lastTransitionTime (scheduled, sandbox ready, initialized, ready), its container states (started,
 * exited with code, the previous run's exit) and the events the scheduler and kubelet record (Scheduled,
 * Pulling/Pulled, Created, Started, Unhealthy, BackOff, Killing, FailedMount, Failed...).
 *
 * What it cannot show: Kubernetes keeps only a container's current and last state, so of many restarts
 * only the newest exit has its own code; repeated events come folded (first and last time, count).
 */
import type { ContainerStatus, Event, Pod, PodTimelineProgress, PodTimelineStepKind } from '../../api/index.ts';
import { formatMs, formatTook } from './format.ts';

export interface TimelineStep {
  /** ms since the epoch. */
  at: number;
  /** What happened, in a few words (`container app started`, `image "x" pulled`). */
  step: string;
  /** How long it took, in ms, when it has a start and an end. */
  durationMs?: number;
  /** Source detail: event message, exit reason. */
  detail?: string;
  /** Where the step falls in a pod's life: orders steps recorded in the same second (timestamps are whole seconds). */
  rank: number;
  /**
   * Who kept the step: the kubelet's record (ms times, measured durations), the API object (whole seconds) or
   * its events (whole seconds, folded). Undefined in the reconstruction from the API alone.
   */
  source?: 'kubelet' | 'api' | 'events';
  /** The kubelet's name for the step (kubelet steps only): `ContainerStarted`, `ImagePulled`... */
  kind?: PodTimelineStepKind;
  /** The container the step is about. */
  container?: string;
  /** An image pull's bytes and layers (so far, while it runs). */
  progress?: PodTimelineProgress;
}

/** Life order of the steps: pod before its init containers, init containers before Initialized, then the containers. */
const RANK_EVENT: Record<string, number> = {
  Scheduled: 10, FailedScheduling: 9, Pulling: 3, Pulled: 4, Failed: 5, BackOff: 5, Created: 6, Started: 7, Unhealthy: 9, Killing: 9,
  FailedMount: 15, FailedCreatePodSandBox: 15, SandboxChanged: 15,
};
const RANK_CONDITION: Record<string, number> = { PodScheduled: 10, PodReadyToStartContainers: 20, Initialized: 40, ContainersReady: 60, Ready: 61 };
/** The base of a subject's steps: init containers run in 30s, containers in 50s. */
const base = (who: string) => (who.startsWith('init container') ? 30 : who === 'pod' ? 0 : 50);

const EVENT_STEP: Record<string, string> = {
  Scheduled: 'scheduled',
  Pulling: 'pulling image',
  Pulled: 'image pulled',
  Created: 'created',
  Started: 'started',
  Killing: 'killing (SIGTERM, then SIGKILL after the grace period)',
  Unhealthy: 'probe failed',
  BackOff: 'back-off',
  Failed: 'failed',
  FailedMount: 'volume mount failed',
  FailedScheduling: 'not scheduled',
  FailedPostStartHook: 'postStart hook failed',
  FailedPreStopHook: 'preStop hook failed',
  SandboxChanged: 'sandbox changed',
  FailedCreatePodSandBox: 'sandbox creation failed',
  Preempted: 'preempted',
  Evicted: 'evicted',
};

const CONDITION_STEP: Record<string, string> = {
  PodScheduled: 'PodScheduled',
  PodReadyToStartContainers: 'sandbox ready (network and volumes set up)',
  Initialized: 'init containers done (Initialized)',
  ContainersReady: 'containers ready',
  Ready: 'pod Ready',
};

const parse = (t: unknown): number | undefined => {
  if (t === undefined || t === null) return undefined;
  const ms = Date.parse(String(t));
  return Number.isNaN(ms) ? undefined : ms;
};

/** `spec.containers{app}` → `container app`; `spec.initContainers{x}` → `init container x`. */
function subject(fieldPath: string | undefined): string {
  const m = /^spec\.(containers|initContainers|ephemeralContainers)\{(.+)\}$/.exec(fieldPath ?? '');
  if (!m) return 'pod';
  return `${m[1] === 'initContainers' ? 'init container' : m[1] === 'ephemeralContainers' ? 'ephemeral container' : 'container'} ${m[2]}`;
}

function containerSteps(role: string, s: ContainerStatus): TimelineStep[] {
  const out: TimelineStep[] = [];
  const run = (startedAt: unknown, finishedAt: unknown, exitCode: number, reason: string | undefined, message: string | undefined, which: string) => {
    const start = parse(startedAt);
    const end = parse(finishedAt);
    if (start !== undefined) out.push({ at: start, step: `${role} ${s.name} running${which}`, rank: base(role) + 8 });
    if (end !== undefined) {
      out.push({
        at: end,
        step: `${role} ${s.name} exited with code ${exitCode}${which}`,
        rank: base(role) + 9,
        durationMs: start !== undefined ? end - start : undefined,
        detail: [reason, message?.trim()].filter(Boolean).join(': ') || undefined,
      });
    }
  };
  const last = s.lastState?.terminated;
  if (last) run(last.startedAt, last.finishedAt, last.exitCode, last.reason, last.message, ` (run ${s.restartCount})`);
  const cur = s.state;
  const which = s.restartCount > 0 ? ` (run ${s.restartCount + 1})` : '';
  if (cur?.running) run(cur.running.startedAt, undefined, 0, undefined, undefined, which);
  if (cur?.terminated) run(cur.terminated.startedAt, cur.terminated.finishedAt, cur.terminated.exitCode, cur.terminated.reason, cur.terminated.message, which);
  return out;
}

/** The steps of `pod`'s life, oldest first; steps of the same second in the order a pod lives them. */
export function buildTimeline(pod: Pod, events: readonly Event[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const created = parse(pod.metadata?.creationTimestamp);
  if (created !== undefined) steps.push({ at: created, step: 'pod created', rank: 0 });
  for (const c of pod.status?.conditions ?? []) {
    const t = parse(c.lastTransitionTime);
    if (t === undefined || !CONDITION_STEP[c.type]) continue;
    if (c.type === 'PodScheduled' && c.status === 'True') continue; // the Scheduled event says it, with the node
    const label = c.status === 'True' ? CONDITION_STEP[c.type]! : `${c.type}=${c.status}`;
    steps.push({ at: t, step: label, detail: [c.reason, c.message].filter(Boolean).join(': ') || undefined, rank: RANK_CONDITION[c.type]! });
  }
  for (const e of events) {
    const first = parse(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
    const last = parse(e.lastTimestamp) ?? first;
    if (first === undefined || last === undefined) continue;
    const who = subject(e.involvedObject?.fieldPath);
    const what = EVENT_STEP[e.reason ?? ''] ?? e.reason ?? 'event';
    const count = e.count ?? 1;
    steps.push({
      at: first,
      step: `${who === 'pod' ? '' : `${who} `}${what}${count > 1 ? ` (x${count}, last ${new Date(last).toISOString()})` : ''}`,
      detail: e.message?.trim(),
      rank: who === 'pod' ? (RANK_EVENT[e.reason ?? ''] ?? 70) : base(who) + (RANK_EVENT[e.reason ?? ''] ?? 9),
    });
  }
  for (const s of pod.status?.initContainerStatuses ?? []) steps.push(...containerSteps('init container', s));
  for (const s of pod.status?.containerStatuses ?? []) steps.push(...containerSteps('container', s));
  const deleted = parse(pod.metadata?.deletionTimestamp);
  if (deleted !== undefined) {
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? 0;
    steps.push({ at: deleted - grace * 1000, step: `deletion requested (grace period ${grace}s: preStop, then SIGTERM)`, rank: 80 });
    steps.push({ at: deleted, step: 'grace period ends (SIGKILL for what is left)', rank: 81 });
  }
  // Pulling → Pulled of the same container: the pull's duration.
  for (const pulled of steps.filter((s) => s.step.endsWith('image pulled'))) {
    const who = pulled.step.slice(0, -'image pulled'.length);
    const pulling = steps.filter((s) => s.step === `${who}pulling image` && s.at <= pulled.at).at(-1);
    if (pulling) pulled.durationMs = pulled.at - pulling.at;
  }
  const scheduled = steps.find((s) => s.step === 'scheduled');
  if (scheduled && created !== undefined) scheduled.durationMs = scheduled.at - created;
  const ready = steps.find((s) => s.step === 'pod Ready');
  if (ready && created !== undefined) ready.durationMs = ready.at - created;
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.s.rank - b.s.rank || a.i - b.i).map(({ s }) => s);
}

/**
 * The timeline as text: `TIME  +OFFSET  STEP  (took D)  detail`, one line a step. Offsets and durations show
 * milliseconds when the times have them (the kubelet's record), whole seconds otherwise.
 */
export function formatTimeline(pod: Pod, steps: readonly TimelineStep[]): string[] {
  const base = parse(pod.metadata?.creationTimestamp) ?? steps[0]?.at ?? 0;
  // Milliseconds in every time once any step has them (the kubelet's record), so the columns line up.
  const ms = steps.some((s) => s.at % 1000 !== 0);
  const offsets = steps.map((s) => `+${formatMs(Math.max(0, s.at - base))}`);
  const width = Math.max(7, ...offsets.map((o) => o.length));
  return steps.map((s, i) => {
    const offset = offsets[i]!;
    const took = s.durationMs !== undefined ? ` (took ${formatTook(s.durationMs)})` : '';
    const detail = s.detail ? `: ${s.detail}` : '';
    const time = new Date(s.at).toISOString();
    return `${ms ? time : time.replace('.000Z', 'Z')}  ${offset.padEnd(width)} ${s.step}${took}${detail}`;
  });
}
