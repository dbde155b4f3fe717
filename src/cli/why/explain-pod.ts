/**
 * `kubeling why pod/NAME`: the first thing keeping a pod from Running and Ready, in one sentence, from what
 * the cluster already records: the PodScheduled condition and FailedScheduling event (plus each node's own
 * verdict, explain-scheduling.ts) for a pod no node takes, the node's Ready condition for a pod on a node
 * gone away, the container states the kubelet reports (waiting reasons and messages, the last termination
 * with exit code and message, restart counts), and the kubelet's events (Failed pulls with the registry's
 * reason, FailedMount, Unhealthy probe output, BackOff).
 *
 * The order of the checks is the order a pod lives its life: deleted? finished? scheduled? its node
 * alive? init containers done? containers started? probes passing? The first that fails is the answer;
 * everything seen stays beneath it as evidence.
 */
import type { Container, ContainerStatus, Event, Node, Pod } from '../../api/index.ts';
import { humanDuration } from '../../api/index.ts';
import { ago, eventLines, eventTime, latestEvent, type Answer } from './answer.ts';
import { nodeVerdicts } from './explain-scheduling.ts';

export interface PodFacts {
  pod: Pod;
  /** Events about the pod (involvedObject is the pod), any order. */
  events: readonly Event[];
  /** The node the pod is bound to, when it is and the node still exists. */
  node?: Node;
  /** Every node and every pod bound to one: only needed for a pod not scheduled yet. */
  nodes?: readonly Node[];
  pods?: readonly Pod[];
  now: number;
}

type Role = 'container' | 'init container';

/** A Go duration as the kubelet prints back-offs (`40s`, `1m20s`, `5m0s`, `300ms`), in ms. */
export function parseGoDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched += m[0];
  }
  return matched === text && text !== '' ? total : undefined;
}

function fieldPath(role: Role, name: string): string {
  return role === 'init container' ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

function lastExitText(s: ContainerStatus): string | undefined {
  const t = s.lastState?.terminated ?? s.state?.terminated;
  if (!t) return undefined;
  return `exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`;
}

function containerLine(role: Role, s: ContainerStatus, now: number): string {
  const parts: string[] = [];
  if (s.state?.running) parts.push(`running since ${ago(s.state.running.startedAt, now)}`);
  if (s.state?.waiting) parts.push(`waiting: ${s.state.waiting.reason ?? ''}${s.state.waiting.message ? ` (${s.state.waiting.message})` : ''}`);
  if (s.state?.terminated) {
    const t = s.state.terminated;
    parts.push(`terminated ${ago(t.finishedAt, now)}, exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `, message ${JSON.stringify(t.message.trim())}` : ''}`);
  }
  const last = s.lastState?.terminated;
  if (last) parts.push(`last exited ${ago(last.finishedAt, now)} with exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.message ? `, message ${JSON.stringify(last.message.trim())}` : ''}`);
  parts.push(`ready=${s.ready}`, `restarts=${s.restartCount}`);
  return `${role} ${s.name}: ${parts.join(', ')}`;
}

function evidenceOf(facts: PodFacts): string[] {
  const { pod, now } = facts;
  const lines: string[] = [];
  lines.push(`phase ${pod.status?.phase ?? 'Pending'}${pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ''}${pod.status?.reason ? `, reason ${pod.status.reason}` : ''}`);
  for (const c of pod.status?.conditions ?? []) {
    const why = [c.reason, c.message].filter(Boolean).join(': ');
    lines.push(`condition ${c.type}=${c.status}${c.lastTransitionTime ? ` since ${ago(c.lastTransitionTime, now)}` : ''}${why ? ` (${why})` : ''}`);
  }
  for (const s of pod.status?.initContainerStatuses ?? []) lines.push(containerLine('init container', s, now));
  for (const s of pod.status?.containerStatuses ?? []) lines.push(containerLine('container', s, now));
  lines.push(...eventLines(facts.events, now));
  return lines;
}

function answer(facts: PodFacts, sentence: string, healthy = false): Answer {
  return { sentence, evidence: evidenceOf(facts), healthy };
}

/** The registry's or runtime's words for a failed pull: the newest `Failed to pull image ...` event. */
function pullFailure(events: readonly Event[], path: string): string | undefined {
  const failed = events
    .filter((e) => e.reason === 'Failed' && e.involvedObject?.fieldPath === path && e.message?.startsWith('Failed to pull image'))
    .sort((a, b) => eventTime(b) - eventTime(a))[0];
  return failed?.message?.replace(/^Failed to pull image "[^"]*": /, '');
}

/** A sentence for a container that is waiting with an error the kubelet reported, if it is. */
function waitingError(facts: PodFacts, role: Role, spec: Container, s: ContainerStatus): string | undefined {
  const name = `pod/${facts.pod.metadata?.name}`;
  const w = s.state?.waiting;
  if (!w?.reason) return undefined;
  const path = fieldPath(role, spec.name);
  switch (w.reason) {
    case 'ErrImagePull':
    case 'ImagePullBackOff': {
      const why = pullFailure(facts.events, path) ?? w.message ?? w.reason;
      const retry = w.reason === 'ImagePullBackOff' ? ' (the kubelet retries with back-off)' : '';
      return `${name} cannot start: the image "${spec.image}" of ${role} ${spec.name} cannot be pulled: ${why}${retry}.`;
    }
    case 'InvalidImageName':
      return `${name} cannot start: the image name "${spec.image}" of ${role} ${spec.name} is invalid${w.message ? `: ${w.message}` : ''}.`;
    case 'ErrImageNeverPull':
      return `${name} cannot start: the image "${spec.image}" of ${role} ${spec.name} is not on the node and its imagePullPolicy is Never (kubeling image import it, or change the policy).`;
    case 'CrashLoopBackOff':
      return crashLoop(facts, role, spec, s);
    case 'CreateContainerConfigError':
      return `${name} cannot start ${role} ${spec.name}: ${w.message ?? w.reason}${/ not found$/.test(w.message ?? '') ? ' (create it, or mark the reference optional)' : ''}.`;
    case 'ContainerCreating':
    case 'PodInitializing':
      return undefined;
    default:
      return `${name} cannot start ${role} ${spec.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}.`;
  }
}

/** CrashLoopBackOff: the last exit, its message, how often, and when the kubelet tries again. */
function crashLoop(facts: PodFacts, role: Role, spec: Container, s: ContainerStatus): string {
  const name = `pod/${facts.pod.metadata?.name}`;
  const last = s.lastState?.terminated;
  const parts = [`${name} is in CrashLoopBackOff: ${role} ${spec.name}`];
  if (last) {
    parts.push(` exited with exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''} ${ago(last.finishedAt, facts.now)}`);
  } else {
    parts.push(' keeps exiting');
  }
  parts.push(` and has been restarted ${s.restartCount} time${s.restartCount === 1 ? '' : 's'}`);
  if (last?.message?.trim()) parts.push(`; its termination message is ${JSON.stringify(last.message.trim())}`);
  const liveness = latestEvent(facts.events, 'Unhealthy', fieldPath(role, spec.name));
  if (liveness?.message?.startsWith('Liveness probe failed')) parts.push(`; its ${liveness.message.trim()}`);
  const backoff = /back-off (\S+) restarting/.exec(s.state?.waiting?.message ?? '')?.[1];
  const delay = backoff ? parseGoDuration(backoff) : undefined;
  if (delay !== undefined && last?.finishedAt) {
    const at = Date.parse(last.finishedAt) + delay;
    parts.push(`; next restart ${at > facts.now ? ago(at, facts.now) : 'due now'} (at ${new Date(at).toISOString()}, back-off ${backoff})`);
  }
  return `${parts.join('')}.`;
}

/** A pod no node has taken: gates, then the scheduler's verdict, then each node's. */
function unscheduled(facts: PodFacts): Answer {
  const { pod } = facts;
  const name = `pod/${pod.metadata?.name}`;
  const gates = pod.spec?.schedulingGates ?? [];
  if (gates.length > 0) {
    return answer(facts, `${name} is Pending: it waits for its scheduling gates (${gates.map((g) => g.name).join(', ')}) to be removed.`);
  }
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const event = latestEvent(facts.events, 'FailedScheduling');
  const message = cond?.status === 'False' && cond.message ? cond.message : event?.message;
  const nodes = facts.nodes ?? [];
  const verdicts = nodeVerdicts(pod, nodes, facts.pods ?? []);
  const blocked = verdicts.filter((v) => v.reasons.length > 0);
  const evidence = evidenceOf(facts);
  for (const v of verdicts) evidence.unshift(`node ${v.node}: ${v.reasons.length ? v.reasons.join('; ') : 'would fit as far as taints, selectors and free resources go'}`);
  if (nodes.length === 0 && facts.nodes) {
    return { sentence: `${name} is Pending: the cluster has no nodes to run it on (start an agent, or a server without --no-agent).`, evidence, healthy: false };
  }
  if (!message) {
    const scheduler = pod.spec?.schedulerName ?? 'default-scheduler';
    const who = scheduler === 'default-scheduler' ? 'the scheduler has not placed it yet' : `it waits for the scheduler "${scheduler}", which has not placed it`;
    return { sentence: `${name} is Pending: ${who}.`, evidence, healthy: false };
  }
  const available = /^(\d+\/\d+ nodes are available)/.exec(message)?.[1];
  const head = `${name} is Pending: no node can run it${available ? ` (${available})` : ''}`;
  if (blocked.length === 0) return { sentence: `${head}: ${message.replace(/\.$/, '')}.`, evidence, healthy: false };
  const why = blocked.map((v) => `node ${v.node} ${v.reasons.join(' and ')}`).join('; ');
  const fixes = [...new Set(blocked.flatMap((v) => v.fixes))];
  return { sentence: `${head}: ${why}. To fit: ${fixes.join('; or ')}.`, evidence, healthy: false };
}

/** The node's Ready condition when it is not True: the pod's own status is stale then. */
function nodeDown(facts: PodFacts): string | undefined {
  const { node, pod, now } = facts;
  if (!node) return undefined;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'True') return undefined;
  const nodeName = node.metadata?.name;
  const state = ready.status === 'Unknown' ? 'unreachable' : 'NotReady';
  const since = ready.lastTransitionTime ? ` since ${ago(ready.lastTransitionTime, now)}` : '';
  const detail = ready.message ? ` (${ready.message.replace(/\.$/, '')})` : '';
  let eviction = '';
  const taint = node.spec?.taints?.find((t) => t.effect === 'NoExecute' && (t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready'));
  if (taint) {
    const tol = pod.spec?.tolerations?.find((t) => (t.key === taint.key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
    if (!tol) eviction = `; the taint ${taint.key}:NoExecute evicts it`;
    else if (tol.tolerationSeconds != null && taint.timeAdded) {
      eviction = `; it will be evicted ${ago(Date.parse(String(taint.timeAdded)) + tol.tolerationSeconds * 1000, now)} (it tolerates ${taint.key} for ${tol.tolerationSeconds}s)`;
    } else if (tol.tolerationSeconds == null) eviction = `; it tolerates ${taint.key} forever, so it stays bound there`;
  }
  return `pod/${pod.metadata?.name} is on node ${nodeName}, which is ${state}${since}${detail}: what the pod last reported is stale${eviction}.`;
}

export function explainPod(facts: PodFacts): Answer {
  const { pod, now } = facts;
  const name = `pod/${pod.metadata?.name}`;
  const phase = pod.status?.phase ?? 'Pending';
  if (pod.metadata?.deletionTimestamp) {
    // deletionTimestamp is when the grace period ends, not when the delete came.
    const deadline = Date.parse(String(pod.metadata.deletionTimestamp));
    const grace = pod.metadata.deletionGracePeriodSeconds;
    const graceText = grace != null ? ` (grace period ${grace}s)` : '';
    const rest = deadline > now
      ? `its containers are stopped within ${humanDuration(deadline - now)}${graceText}`
      : `its grace period ended ${ago(deadline, now)}${graceText}, so the kubelet kills what is left`;
    return answer(facts, `${name} is terminating: it was deleted and ${rest}.`);
  }
  if (phase === 'Succeeded') return answer(facts, `${name} has completed: every container exited with code 0 (phase Succeeded).`, true);
  if (phase === 'Failed') {
    const exits = (pod.status?.containerStatuses ?? [])
      .filter((s) => s.state?.terminated && s.state.terminated.exitCode !== 0)
      .map((s) => `container ${s.name} exited with ${lastExitText(s)}${s.state?.terminated?.message ? `: ${JSON.stringify(s.state.terminated.message.trim())}` : ''}`);
    const reason = pod.status?.reason ? `${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ''}` : exits.join('; ');
    return answer(facts, `${name} has failed${reason ? `: ${reason.replace(/\.$/, '')}` : ''} (phase Failed; it will not be restarted).`);
  }
  if (!pod.spec?.nodeName) return unscheduled(facts);
  const down = nodeDown(facts);
  if (down) return answer(facts, down);

  // Init containers run one by one; the first not done holds the pod (sidecars only need to have started).
  const initStatuses = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  for (const c of pod.spec.initContainers ?? []) {
    const s = initStatuses.get(c.name);
    if (!s) return answer(facts, `${name} is Pending: init container ${c.name} has not started yet.`);
    const err = waitingError(facts, 'init container', c, s);
    if (err) return answer(facts, err);
    if (c.restartPolicy === 'Always') {
      if (s.started) continue;
      return answer(facts, `${name} is Pending: sidecar init container ${c.name} has not started yet${s.state?.running ? ` (running since ${ago(s.state.running.startedAt, now)}, its startup probe has not passed)` : ''}.`);
    }
    const t = s.state?.terminated;
    if (t?.exitCode === 0) continue;
    if (t) {
      return answer(facts, `${name} is stuck: init container ${c.name} failed with exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''} ${ago(t.finishedAt, now)}${t.message?.trim() ? `, message ${JSON.stringify(t.message.trim())}` : ''}; the containers wait until it succeeds.`);
    }
    if (s.state?.running) {
      const tries = s.restartCount > 0 ? ` (attempt ${s.restartCount + 1}; the last ${lastExitText(s) ? `ended with ${lastExitText(s)}` : 'failed'})` : '';
      return answer(facts, `${name} is waiting for init container ${c.name}, running for ${humanDuration(now - Date.parse(s.state.running.startedAt ?? ''))}${tries}: the containers start after it exits with code 0.`);
    }
    return answer(facts, `${name} is Pending: init container ${c.name} is being started${s.state?.waiting?.reason ? ` (${s.state.waiting.reason})` : ''}.`);
  }

  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  for (const c of pod.spec.containers ?? []) {
    const s = statuses.get(c.name);
    if (!s) continue;
    const err = waitingError(facts, 'container', c, s);
    if (err) return answer(facts, err);
  }
  const mount = latestEvent(facts.events, 'FailedMount');
  const creating = (pod.status?.containerStatuses ?? []).some((s) => s.state?.waiting) || !pod.status?.containerStatuses?.length;
  if (mount && creating && !(pod.status?.containerStatuses ?? []).some((s) => s.state?.running)) {
    return answer(facts, `${name} is waiting for its volumes: ${mount.message?.trim().replace(/\.$/, '')}.`);
  }
  for (const c of pod.spec.containers ?? []) {
    const s = statuses.get(c.name);
    if (!s?.state?.waiting) continue;
    const pulling = latestEvent(facts.events, 'Pulling', fieldPath('container', c.name));
    const pulled = latestEvent(facts.events, 'Pulled', fieldPath('container', c.name));
    if (pulling && (!pulled || eventTime(pulled) < eventTime(pulling))) {
      return answer(facts, `${name} is starting: the image "${c.image}" of container ${c.name} is being pulled (since ${ago(eventTime(pulling), now)}).`);
    }
    return answer(facts, `${name} is starting: container ${c.name} is ${s.state.waiting.reason ?? 'waiting'}.`);
  }
  for (const c of pod.spec.containers ?? []) {
    const s = statuses.get(c.name);
    const t = s?.state?.terminated;
    if (s && t && t.exitCode !== 0) {
      return answer(facts, `${name} is not Ready: container ${c.name} exited with exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''} ${ago(t.finishedAt, now)}${t.message?.trim() ? `, message ${JSON.stringify(t.message.trim())}` : ''} and is not restarted (restartPolicy ${pod.spec.restartPolicy ?? 'Always'}).`);
    }
  }
  // Running: are the probes passing?
  for (const c of pod.spec.containers ?? []) {
    const s = statuses.get(c.name);
    if (!s?.state?.running) continue;
    const unhealthy = latestEvent(facts.events, 'Unhealthy', fieldPath('container', c.name));
    if (s.started === false && c.startupProbe) {
      const out = unhealthy?.message?.startsWith('Startup probe') ? `: ${unhealthy.message.trim()}` : '';
      return answer(facts, `${name} is Running but not Ready: the startup probe of container ${c.name} has not passed yet${out}.`);
    }
    if (!s.ready) {
      if (unhealthy?.message?.startsWith('Readiness probe')) {
        return answer(facts, `${name} is Running but not Ready: the readiness probe of container ${c.name} fails: ${unhealthy.message.replace(/^Readiness probe (failed|errored and resulted in unknown state): /, '').trim()} (last ${ago(eventTime(unhealthy), now)}${(unhealthy.count ?? 1) > 1 ? `, ${unhealthy.count} times` : ''}).`);
      }
      return answer(facts, `${name} is Running but not Ready: container ${c.name} ${c.readinessProbe ? 'has not passed its readiness probe yet' : 'is not ready yet'}.`);
    }
    if (unhealthy?.message?.startsWith('Liveness probe') && s.lastState?.terminated && eventTime(unhealthy) >= Date.parse(s.lastState.terminated.finishedAt ?? '') - 60_000) {
      return answer(facts, `${name} is Running, but container ${c.name} keeps being restarted: its liveness probe failed: ${unhealthy.message.replace(/^Liveness probe failed: /, '').trim()} (restarted ${s.restartCount} times, last ${lastExitText(s)}).`);
    }
  }
  const readyCond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (readyCond?.status !== 'True') {
    const detail = [readyCond?.reason, readyCond?.message].filter(Boolean).join(': ');
    return answer(facts, `${name} is ${phase} but not Ready${detail ? `: ${detail.replace(/\.$/, '')}` : ''}.`);
  }
  return answer(facts, `${name} is Running and Ready.`, true);
}
