/**
 * The pod columns of `kubectl get pods` as the server-side printer (printPod in
 * pkg/printers/internalversion/printers.go) computes them: READY, STATUS, RESTARTS.
 * STATUS walks init containers in order and regular containers from last to first, so the first
 * listed container's problem wins; sidecars (restartable init containers) count as containers.
 */
import type { Container, ContainerStatus, Pod } from '../types.ts';
import { translateTimestampSince } from './duration.ts';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: number;
  /** RFC 3339 finishedAt of the most recent restart counted, if any. */
  lastRestart?: string;
}

function isRestartable(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function conditionTrue(pod: Pod, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** READY, STATUS and RESTARTS inputs for one pod. */
export function podSummary(pod: Pod): PodSummary {
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = pod.spec?.containers?.length ?? 0;
  let readyCount = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  const phase = pod.status?.phase ?? '';
  let reason: string = phase;
  if (pod.status?.reason) reason = pod.status.reason;
  for (const c of pod.status?.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const inits = new Map<string, Container>();
  for (const c of pod.spec?.initContainers ?? []) {
    inits.set(c.name, c);
    if (isRestartable(c)) total++;
  }
  let initializing = false;
  const initStatuses: ContainerStatus[] = pod.status?.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    const lastTerm = cs.lastState?.terminated;
    if (lastTerm) lastRestart = later(lastRestart, lastTerm.finishedAt);
    const sidecar = isRestartable(inits.get(cs.name));
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      if (lastTerm) lastSidecarRestart = later(lastSidecarRestart, lastTerm.finishedAt);
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && cs.started) {
      if (cs.ready) readyCount++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${pod.spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }
  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      const lastTerm = cs.lastState?.terminated;
      if (lastTerm) lastRestart = later(lastRestart, lastTerm.finishedAt);
      const st = cs.state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (cs.ready && st.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp && pod.status?.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  const summary: PodSummary = { ready: `${readyCount}/${total}`, status: reason, restarts };
  if (lastRestart) summary.lastRestart = lastRestart;
  return summary;
}

/** The STATUS column of `kubectl get pods`. */
export function podStatusText(pod: Pod): string {
  return podSummary(pod).status;
}

/** The RESTARTS column: `3`, or `3 (5m ago)` when the last restart time is known. */
export function podRestartsText(summary: PodSummary, now: number): string {
  if (summary.restarts !== 0 && summary.lastRestart) return `${summary.restarts} (${translateTimestampSince(summary.lastRestart, now)} ago)`;
  return String(summary.restarts);
}
