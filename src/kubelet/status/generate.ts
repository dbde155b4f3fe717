/**
 * generatePodStatus: the API status of a pod from its spec, the runtime's view and the kubelet's own memory
 * (last start failures, probe results), after upstream's generateAPIPodStatus, getPhase,
 * convertToAPIContainerStatuses and status/generate.go. Pure: the caller passes time and everything else.
 *
 * Phase follows k8s-pod-reference.md §1.2 exactly (regular init containers, sidecars, regular containers,
 * then the decision table); conditions follow §1.3 (PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled), keeping lastTransitionTime when a condition's status did not change.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../kuberuntime/api.ts';
import { isSidecar, type RuntimeContainerStatus, type RuntimePodStatus } from '../kuberuntime/runtime-pod.ts';
import { podQOSClass } from '../../api/index.ts';

export interface ContainerProbeView {
  /** Readiness of a running container: true/false, undefined when it has no readiness probe. */
  ready(containerId: string): boolean | undefined;
  /** Startup: true once the startup probe succeeded, undefined without one. */
  started(containerId: string): boolean | undefined;
}

export interface GeneratePodStatusInput {
  pod: Pod;
  /** Undefined before the runtime knows the pod. */
  runtimeStatus?: RuntimePodStatus;
  /** Last start failure of a container (waiting reason and message). */
  reasonFor?: (containerName: string) => { reason: string; message: string } | undefined;
  probes?: ContainerProbeView;
  /** The kubelet decided the pod will not run again (deleted, deadline, all done). */
  podIsTerminal?: boolean;
  hostIPs?: string[];
  /** When this kubelet started (ms): containers running since before it were adopted (readiness kept). */
  kubeletStartedAt?: number;
  /** `<runtimeName>://<id>` prefix of containerIDs. */
  runtimeName: string;
  /** RFC 3339 "now" (seconds precision, as the API stores times). */
  now: string;
}

const noProbes: ContainerProbeView = { ready: () => undefined, started: () => undefined };

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toRFC3339(ms: number): string {
  return rfc3339(ms);
}

type Policy = 'Always' | 'OnFailure' | 'Never';

/** Upstream's ShouldContainerBeRestarted: whether the next sync (re)starts this container. */
function shouldBeRestarted(
  pod: Pod,
  c: Container,
  s: RuntimeContainerStatus | undefined,
  initSidecar: boolean,
): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!s) return true;
  if (s.state === 'running') return false;
  if (s.state !== 'exited') return true;
  if (initSidecar) return true;
  const policy = (pod.spec?.restartPolicy ?? 'Always') as Policy;
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return s.exitCode !== 0;
  return true;
}

function terminatedState(s: RuntimeContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: s.exitCode,
      reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'),
      message: s.message || undefined,
      startedAt: s.startedAt ? rfc3339(s.startedAt) : undefined,
      finishedAt: s.finishedAt ? rfc3339(s.finishedAt) : undefined,
      containerID: `${runtimeName}://${s.id}`,
    } as NonNullable<ContainerState['terminated']>,
  };
}

function containerStatuses(
  input: GeneratePodStatusInput,
  containers: Container[],
  kind: 'init' | 'regular' | 'ephemeral',
): ContainerStatus[] {
  const { pod, runtimeStatus, runtimeName } = input;
  const probes = input.probes ?? noProbes;
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  const defaultWaiting: ContainerState = { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
  const oldList =
    kind === 'init'
      ? pod.status?.initContainerStatuses
      : kind === 'regular'
        ? pod.status?.containerStatuses
        : pod.status?.ephemeralContainerStatuses;
  const out: ContainerStatus[] = [];
  for (const c of containers) {
    const instances = runtimeStatus?.containerStatuses.filter((s) => s.name === c.name) ?? [];
    const [cur, prev] = instances;
    const sidecar = kind === 'init' && isSidecar(c);
    const old = oldList?.find((o) => o.name === c.name);
    // Upstream's defaults: waiting (ContainerCreating/PodInitializing); a terminated API status is kept as
    // it is, otherwise its restartCount and lastState carry over.
    let status: ContainerStatus = {
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: defaultWaiting,
      lastState: {},
    };
    if (old?.state?.terminated) status = structuredClone(old);
    else if (old) {
      status.restartCount = old.restartCount ?? 0;
      status.lastState = structuredClone(old.lastState ?? {});
    }
    if (!cur && old) {
      status.ready = false;
      status.started = false;
      if (old.state?.running && !status.state?.terminated && !status.lastState?.terminated) {
        // It was running and vanished from the runtime: it terminated, code unknown (ContainerStatusUnknown).
        status.lastState = {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was deleted.  The container used to be Running',
          } as NonNullable<ContainerState['terminated']>,
        };
        if (!pod.metadata?.deletionTimestamp) status.restartCount = (status.restartCount ?? 0) + 1;
      }
    }
    if (cur) {
      // The runtime's newest instance is the state, the one before it lastState (nothing else carries over).
      status.imageID = cur.imageRef;
      status.restartCount = cur.restartCount;
      status.lastState = {};
      status.containerID = `${runtimeName}://${cur.id}`;
      // What the runtime ran, normalised (`docker.io/library/busybox:1.35`), as the real kubelet shows it.
      status.image = cur.image || c.image || '';
      if (cur.state === 'running') {
        status.state = { running: { startedAt: rfc3339(cur.startedAt) } };
        const startup = probes.started(cur.id);
        // Without a startup result yet (a restarted kubelet), the API's word for this instance stands.
        const apiStarted = old?.containerID === `${runtimeName}://${cur.id}` && old.started === true;
        const started = c.startupProbe ? startup === true || (startup === undefined && apiStarted) : true;
        status.started = started;
        const readiness = probes.ready(cur.id);
        let ready = c.readinessProbe ? readiness === true : true;
        // A container that ran before this kubelet started (adopted after a restart) keeps the pod's
        // readiness until its probe has a result, so a kubelet restart does not flip Ready (upstream
        // setReadyStateOnKubeletRestart, with a 10 s margin).
        const adopted = input.kubeletStartedAt !== undefined && cur.startedAt < input.kubeletStartedAt - 10_000;
        if (c.readinessProbe && readiness === undefined && adopted)
          ready = !!pod.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
        // A regular init container is ready only once it completed; ephemeral containers never are.
        status.ready = kind !== 'ephemeral' && (kind !== 'init' || sidecar) && started && ready;
      } else if (cur.state === 'exited') {
        status.state = terminatedState(cur, runtimeName);
        status.started = false;
        // A completed regular init container counts as ready.
        status.ready = kind === 'init' && !sidecar && cur.exitCode === 0;
      } else if (cur.state === 'created') {
        status.state = { waiting: {} };
        status.started = false;
      } else if (old?.state?.running) {
        // Unknown to the runtime but running before: it stopped, how is unknown (upstream convertContainerStatus).
        status.state = {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was terminated',
          } as NonNullable<ContainerState['terminated']>,
        };
        status.restartCount = (old.restartCount ?? 0) + 1;
        status.started = false;
      } else {
        status.state = { waiting: {} };
        status.started = false;
      }
      if (prev && prev.state === 'exited') status.lastState = terminatedState(prev, runtimeName);
    }
    // A container the next sync will (re)start shows why it is not running yet (the reason cache); an init
    // container that completed never restarts; an ephemeral container only before its one start.
    const completedInit = kind === 'init' && cur?.state === 'exited' && cur.exitCode === 0;
    if (!completedInit && (kind === 'ephemeral' ? !cur : shouldBeRestarted(pod, c, cur, sidecar))) {
      const reason = input.reasonFor?.(c.name);
      if (reason) {
        if (status.state?.terminated) status.lastState = status.state;
        status.state = { waiting: { reason: reason.reason, message: reason.message } };
        status.ready = false;
      }
    }
    // The spec's mounts by volume name (RecursiveReadOnlyMounts, on since 1.31): the CRI knows no volume names.
    if (c.volumeMounts?.length)
      status.volumeMounts = c.volumeMounts.map((m) => ({
        name: m.name,
        mountPath: m.mountPath,
        ...(m.readOnly
          ? {
              readOnly: true,
              recursiveReadOnly: (m as { recursiveReadOnly?: string }).recursiveReadOnly === 'Enabled' ? 'Enabled' : 'Disabled',
            }
          : {}),
      }));
    else delete status.volumeMounts;
    out.push(status);
  }
  return out;
}

/** The phase algorithm of k8s-pod-reference.md §1.2 (upstream getPhase). */
export function getPhase(
  pod: Pod,
  initStatuses: ContainerStatus[],
  statuses: ContainerStatus[],
  podIsTerminal: boolean,
): PodStatus['phase'] {
  const spec = pod.spec;
  const policy = (spec?.restartPolicy ?? 'Always') as Policy;
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (isSidecar(c)) continue;
    if (!s) pendingInit++;
    else if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec?.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) {
      if (s.started !== true) pendingInit++;
      running++;
    } else if (s.state?.terminated) {
      // sidecar exits never affect the phase
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingInit++;
        waiting++;
      }
    } else {
      pendingInit++;
      unknown++;
    }
  }
  for (const c of spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const anyRegularStarted = statuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    const isStatic =
      !!pod.metadata?.annotations?.['kubernetes.io/config.source'] &&
      pod.metadata.annotations['kubernetes.io/config.source'] !== 'api';
    if (podIsTerminal && !isStatic) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', reason, message } as PodCondition;
}

function names(list: string[]): string {
  return `[${list.join(' ')}]`;
}

export function generatePodStatus(input: GeneratePodStatusInput): PodStatus {
  const { pod, runtimeStatus } = input;
  const spec = pod.spec;
  const old = pod.status ?? {};
  const initStatuses = containerStatuses(input, spec?.initContainers ?? [], 'init');
  const statuses = containerStatuses(input, spec?.containers ?? [], 'regular');
  const ephemeralStatuses = containerStatuses(input, (spec?.ephemeralContainers ?? []) as Container[], 'ephemeral');

  let phase = getPhase(pod, initStatuses, statuses, input.podIsTerminal ?? false);
  // A terminal phase never goes back (upstream logs "Pod attempted illegal phase transition").
  if ((old.phase === 'Succeeded' || old.phase === 'Failed') && phase !== old.phase) phase = old.phase;

  // Conditions.
  const sandbox = runtimeStatus?.sandboxStatuses[0];
  const sandboxReady =
    !!sandbox && sandbox.state === 'SANDBOX_READY' && (spec?.hostNetwork === true || !!sandbox.network?.ip);
  const conditions: PodCondition[] = [];
  conditions.push(condition('PodReadyToStartContainers', sandboxReady));

  // upstream HasAnyRegularContainerStarted: a regular container running or terminated now.
  const anyRegularStarted = statuses.some((s) => s.state?.running || s.state?.terminated);
  const incompleteInit: string[] = [];
  for (const c of spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name);
    const done = isSidecar(c) ? s?.started === true : s?.ready === true;
    if (!done) incompleteInit.push(c.name);
  }
  if (phase === 'Succeeded') conditions.push(condition('Initialized', true, 'PodCompleted'));
  else if (incompleteInit.length === 0 || anyRegularStarted) conditions.push(condition('Initialized', true));
  else
    conditions.push(
      condition(
        'Initialized',
        false,
        'ContainersNotInitialized',
        `containers with incomplete status: ${names(incompleteInit)}`,
      ),
    );

  const unready: string[] = [];
  for (const c of spec?.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    if (!initStatuses.find((x) => x.name === c.name)?.ready) unready.push(c.name);
  }
  for (const c of spec?.containers ?? []) if (!statuses.find((x) => x.name === c.name)?.ready) unready.push(c.name);
  let containersReady: PodCondition;
  if (phase === 'Succeeded') containersReady = condition('ContainersReady', false, 'PodCompleted');
  // A failed pod's containers may still be terminating: never ready.
  else if (phase === 'Failed') containersReady = condition('ContainersReady', false, 'PodFailed');
  else if (unready.length > 0)
    containersReady = condition(
      'ContainersReady',
      false,
      'ContainersNotReady',
      `containers with unready status: ${names(unready)}`,
    );
  else containersReady = condition('ContainersReady', true);

  let ready = { ...containersReady, type: 'Ready' } as PodCondition;
  if (containersReady.status === 'True') {
    // Every gate that is not True is named, joined as upstream does.
    const gates: string[] = [];
    for (const gate of spec?.readinessGates ?? []) {
      const c = old.conditions?.find((x) => x.type === gate.conditionType);
      if (!c) gates.push(`corresponding condition of pod readiness gate ${JSON.stringify(gate.conditionType)} does not exist.`);
      else if (c.status !== 'True')
        gates.push(`the status of pod readiness gate ${JSON.stringify(gate.conditionType)} is not "True", but ${c.status}`);
    }
    if (gates.length > 0) ready = condition('Ready', false, 'ReadinessGatesNotReady', gates.join(', '));
  }
  conditions.push(ready, containersReady);
  const scheduled = old.conditions?.find((c) => c.type === 'PodScheduled');
  conditions.push(
    scheduled
      ? { ...scheduled, status: 'True', reason: undefined, message: undefined }
      : condition('PodScheduled', true),
  );

  // Keep other owners' conditions (DisruptionTarget, readiness gates, ...).
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of old.conditions ?? []) if (!ours.has(c.type)) conditions.push(c);
  for (const c of conditions) {
    const prev = old.conditions?.find((x) => x.type === c.type);
    c.lastProbeTime = null as unknown as undefined;
    c.lastTransitionTime =
      prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : input.now;
    if (c.reason === undefined) delete c.reason;
    if (c.message === undefined) delete c.message;
  }

  const ips = runtimeStatus?.ips.length
    ? runtimeStatus.ips
    : spec?.hostNetwork
      ? (input.hostIPs ?? [])
      : (old.podIPs?.map((p) => p.ip ?? '') ?? []);
  const status: PodStatus = {
    ...old,
    phase,
    conditions,
    hostIP: input.hostIPs?.[0] ?? old.hostIP,
    hostIPs: input.hostIPs?.map((ip) => ({ ip })) ?? old.hostIPs,
    podIP: ips[0],
    podIPs: ips.length ? ips.map((ip) => ({ ip })) : undefined,
    startTime: old.startTime ?? input.now,
    qosClass: old.qosClass ?? podQOSClass(pod),
    containerStatuses: statuses,
  };
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  if (ephemeralStatuses.length) status.ephemeralContainerStatuses = ephemeralStatuses;
  if (!status.podIP) delete status.podIP;
  if (!status.podIPs) delete status.podIPs;
  // reason/message belong to the phase: dropped when the phase moves.
  if (old.phase !== phase) {
    delete status.reason;
    delete status.message;
  }
  return status;
}
