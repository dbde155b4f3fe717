/**
 * A pod's timeline from the kubelet's own record (kubelet `/podTimeline`, reached as the node's `nodes/proxy`)
 * merged with what only the API server keeps: the pod's creation, its scheduling, the deletion request. The
 * kubelet's steps carry millisecond times and measured durations; the API's are whole seconds (Kubernetes
 * timestamps), which is why those few are only used where the kubelet could not have seen the step.
 *
 * Used by `kubeling why --timeline` (falling back to timeline.ts's reconstruction when the node cannot be
 * reached or no longer has the record) and by `kubeling run`, which prints each step as it appears.
 */
import type { Event, Pod, PodTimelineEntry, PodTimelineRecord } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { TimelineStep } from './timeline.ts';
import { formatProgress } from './format.ts';

/** The pod's record from its node's kubelet; undefined when the pod is not bound, the node does not answer or has none. */
export async function fetchKubeletTimeline(client: Client, pod: Pod, signal?: AbortSignal): Promise<PodTimelineRecord | undefined> {
  const node = pod.spec?.nodeName;
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  if (!node || !name) return undefined;
  try {
    const record = await client.request<PodTimelineRecord>({
      method: 'GET',
      path: `/api/v1/nodes/${encodeURIComponent(node)}/proxy/podTimeline/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`,
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5000)]) : AbortSignal.timeout(5000),
    });
    // A pod deleted and made again under the same name is another pod.
    if (record?.kind !== 'PodTimeline' || (pod.metadata?.uid && record.uid !== pod.metadata.uid)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

function who(e: PodTimelineEntry): string {
  if (!e.container) return '';
  const role = e.containerType === 'init' || e.containerType === 'sidecar' ? 'init container' : e.containerType === 'ephemeral' ? 'ephemeral container' : 'container';
  return `${role} ${e.container} `;
}

/** One kubelet step in words, with its detail. */
export function describeEntry(e: PodTimelineEntry): { step: string; detail?: string } {
  const w = who(e);
  const image = JSON.stringify(e.image ?? '');
  switch (e.kind) {
    case 'PodSeen': return { step: 'pod seen by the kubelet' };
    case 'VolumesMounted': return { step: 'volumes mounted', detail: e.message };
    case 'SandboxCreated': return { step: 'sandbox created (network)', detail: e.message };
    case 'ImagePulling': return { step: `${w}pulling image ${image}`, detail: e.progress ? formatProgress(e.progress) : undefined };
    case 'ImagePulled': return { step: `${w}image ${image} pulled`, detail: e.progress ? formatProgress(e.progress) : undefined };
    case 'ImagePresent': return { step: `${w}image ${image} already present` };
    case 'ImagePullFailed': return { step: `${w}image ${image} pull failed`, detail: e.message };
    case 'ContainerCreated': return { step: `${w}created`, detail: e.message };
    case 'ContainerStarted': return { step: `${w}started` };
    case 'PostStartDone': return { step: `${w}postStart hook done` };
    case 'PostStartFailed': return { step: `${w}postStart hook failed`, detail: e.message };
    case 'StartupProbeSucceeded': return { step: `${w}startup probe passed` };
    case 'ContainerReady': return { step: `${w}ready (readiness probe passed)` };
    case 'ContainerNotReady': return { step: `${w}not ready (readiness probe failed)` };
    case 'LivenessProbeFailed': return { step: `${w}liveness probe failed (to be restarted)` };
    case 'PreStopStarted': return { step: `${w}preStop hook started`, detail: e.message };
    case 'PreStopDone': return { step: `${w}preStop hook done`, detail: e.message };
    case 'StopSignalSent': return { step: `${w}stop signal sent (SIGTERM)`, detail: e.message };
    case 'ContainerStopped': return { step: `${w}stopped`, detail: e.message };
    case 'ContainerExited': {
      const run = e.restartCount !== undefined ? ` (run ${e.restartCount + 1})` : '';
      return { step: `${w}exited with code ${e.exitCode ?? '?'}${run}`, detail: [e.reason, e.message].filter(Boolean).join(': ') || undefined };
    }
    case 'PodGone': return { step: 'containers and sandbox removed (pod gone from the node)' };
  }
}

/** The kubelet's steps as timeline steps, in time order (the record's order for steps of the same ms). */
export function kubeletSteps(record: PodTimelineRecord): TimelineStep[] {
  return record.steps
    .map((e, i) => {
      const { step, detail } = describeEntry(e);
      const s: TimelineStep = { at: e.at, step, rank: 100 + i, source: 'kubelet', kind: e.kind };
      if (e.durationMs !== undefined) s.durationMs = e.durationMs;
      if (detail) s.detail = detail;
      if (e.container) s.container = e.container;
      if (e.progress) s.progress = { ...e.progress };
      return s;
    })
    .sort((a, b) => a.at - b.at || a.rank - b.rank);
}

/** Events the kubelet's record has no step for (or that other components record): kept in the merged timeline. */
const EVENTS_KEPT = new Set(['FailedScheduling', 'FailedMount', 'BackOff', 'FailedCreatePodSandBox', 'Evicted', 'Preempted', 'DeadlineExceeded']);

/** Steps a pod's Ready condition follows. */
const READY_AFTER = new Set(['ContainerStarted', 'PostStartDone', 'StartupProbeSucceeded', 'ContainerReady']);

const parse = (t: unknown): number | undefined => {
  if (t === undefined || t === null) return undefined;
  const ms = Date.parse(String(t));
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * The merged timeline: the API's steps (created, scheduled, deletion requested, and the events listed above)
 * and the kubelet's record, in time order; durations of the API's steps measured from the pod's creation.
 */
export function mergeTimeline(pod: Pod, events: readonly Event[], record: PodTimelineRecord): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const created = parse(pod.metadata?.creationTimestamp);
  if (created !== undefined) steps.push({ at: created, step: 'pod created', rank: 0, source: 'api' });
  const scheduledEvent = events.find((e) => e.reason === 'Scheduled');
  const scheduledAt = parse(scheduledEvent?.firstTimestamp ?? scheduledEvent?.eventTime) ?? parse(pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime);
  if (scheduledAt !== undefined)
    steps.push({
      at: scheduledAt,
      step: 'scheduled',
      rank: 10,
      source: 'api',
      detail: scheduledEvent?.message?.trim() || (pod.spec?.nodeName ? `to ${pod.spec.nodeName}` : undefined),
      ...(created !== undefined ? { durationMs: scheduledAt - created } : {}),
    });
  for (const e of events) {
    if (!EVENTS_KEPT.has(e.reason ?? '')) continue;
    const at = parse(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
    if (at === undefined) continue;
    const count = e.count ?? 1;
    const field = /\{(.+)\}$/.exec(e.involvedObject?.fieldPath ?? '')?.[1];
    steps.push({ at, step: `${field ? `container ${field} ` : ''}${e.reason}${count > 1 ? ` (x${count})` : ''}`, detail: e.message?.trim(), rank: 50, source: 'events' });
  }
  const deleted = parse(pod.metadata?.deletionTimestamp);
  if (deleted !== undefined) {
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? 0;
    steps.push({ at: deleted - grace * 1000, step: `deletion requested (grace period ${grace}s)`, rank: 80, source: 'api' });
  }
  const kubelet = kubeletSteps(record);
  steps.push(...kubelet);
  // Ready is the pod's own condition (the kubelet records its containers' readiness): its time is whole
  // seconds, so it is placed no earlier than the kubelet's last start or readiness step of that second.
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const readyAt = parse(ready?.lastTransitionTime);
  if (readyAt !== undefined) {
    const before = kubelet.filter((s) => s.at < readyAt + 1000 && READY_AFTER.has(s.kind ?? '')).map((s) => s.at);
    const at = Math.max(readyAt, ...before);
    steps.push({ at, step: 'pod Ready', rank: 10_000, source: 'api', ...(created !== undefined ? { durationMs: at - created } : {}) });
  }
  // Whole-second API times sort before the kubelet's steps of the same second (they happened first or are truncated).
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.s.rank - b.s.rank || a.i - b.i).map(({ s }) => s);
}
