/**
 * computePodActions: the pure decision at the heart of a pod sync (after upstream kuberuntime's function of
 * the same name). Given the Pod spec, what the runtime holds for it and the probe results, it says what to do:
 * kill the pod or (re)create its sandbox, which init containers (one at a time, native sidecars kept running)
 * and regular containers to start, which running containers to kill and why, and which ephemeral containers
 * to start. syncPod executes the plan; nothing here touches the runtime, so every rule is a table test.
 */
import type { Container, Pod } from './api.ts';
import {
  findContainerStatus,
  hashContainer,
  isSidecar,
  type RuntimeContainerStatus,
  type RuntimePodStatus,
} from './runtime-pod.ts';

export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

/** The probe results computePodActions consults, by container id (undefined: no result yet). */
export interface ProbeResultsView {
  liveness(containerId: string): ProbeResult | undefined;
  startup(containerId: string): ProbeResult | undefined;
}

export interface ContainerToKill {
  name: string;
  container?: Container;
  /** The Killing event's message. */
  message: string;
  /** Why, for the termination grace period (probe kills may use the probe's own). */
  reason: '' | 'LivenessProbe' | 'StartupProbe' | 'Unknown';
}

export interface PodActions {
  /** Stop every container and the sandbox (before recreating it when createSandbox is set). */
  killPod: boolean;
  createSandbox: boolean;
  /** The existing sandbox to run containers in (when not creating one). */
  sandboxId: string;
  /** Attempt number of a sandbox to create. */
  attempt: number;
  /** Indices into spec.initContainers to start now, in spec order. */
  initContainersToStart: number[];
  /** Indices into spec.containers to start now. */
  containersToStart: number[];
  /** Running containers to stop, by container id. */
  containersToKill: Map<string, ContainerToKill>;
  /** Indices into spec.ephemeralContainers to start now. */
  ephemeralContainersToStart: number[];
}

const noProbes: ProbeResultsView = { liveness: () => undefined, startup: () => undefined };

function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  return (pod.spec?.restartPolicy as 'Always' | 'OnFailure' | 'Never' | undefined) ?? 'Always';
}

/** Upstream's shouldRestartOnFailure: anything but Never restarts failed containers. */
export function shouldRestartOnFailure(pod: Pod): boolean {
  return restartPolicy(pod) !== 'Never';
}

function containerSucceeded(c: Container, status: RuntimePodStatus): boolean {
  const s = findContainerStatus(status, c.name);
  return !!s && s.state === 'exited' && s.exitCode === 0;
}

/** Whether a regular container that is not running should be (re)started under the pod's restartPolicy. */
export function shouldRestartContainer(pod: Pod, c: Container, status: RuntimePodStatus): boolean {
  const s = findContainerStatus(status, c.name);
  if (!s || s.state !== 'exited') return true;
  switch (restartPolicy(pod)) {
    case 'Never':
      return false;
    case 'OnFailure':
      return s.exitCode !== 0;
    default:
      return true;
  }
}

function isInitContainerFailed(s: RuntimeContainerStatus): boolean {
  return (s.state === 'exited' && s.exitCode !== 0) || s.state === 'unknown';
}

/** Upstream's podSandboxChanged: whether the pod needs a new sandbox, with its attempt number. */
export function podSandboxChanged(
  pod: Pod,
  status: RuntimePodStatus,
): { changed: boolean; attempt: number; sandboxId: string } {
  const sandboxes = status.sandboxStatuses;
  if (sandboxes.length === 0) return { changed: true, attempt: 0, sandboxId: '' };
  const newest = sandboxes[0];
  const attempt = newest.metadata.attempt + 1;
  const ready = sandboxes.filter((s) => s.state === 'SANDBOX_READY').length;
  if (ready > 1) return { changed: true, attempt, sandboxId: newest.id };
  if (newest.state !== 'SANDBOX_READY') return { changed: true, attempt, sandboxId: newest.id };
  const hostNetwork = pod.spec?.hostNetwork === true;
  const mode = newest.linux?.namespaceOptions.network;
  if (mode && (mode === 'node') !== hostNetwork) return { changed: true, attempt, sandboxId: newest.id };
  if (!hostNetwork && !newest.network?.ip) return { changed: true, attempt, sandboxId: newest.id };
  return { changed: false, attempt: newest.metadata.attempt, sandboxId: newest.id };
}

/**
 * Upstream's podHasInitialized: a regular container's newest instance is created or running, so init ran and
 * is never re-run. Exited ones do not count: after a node reboot every container is exited and the new sandbox
 * must be initialized again.
 */
function hasAnyRegularContainerCreated(pod: Pod, status: RuntimePodStatus): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const s = findContainerStatus(status, c.name);
    return !!s && (s.state === 'created' || s.state === 'running');
  });
}

export function computePodActions(pod: Pod, status: RuntimePodStatus, probes: ProbeResultsView = noProbes): PodActions {
  const spec = pod.spec ?? { containers: [] };
  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  const sb = podSandboxChanged(pod, status);
  const changes: PodActions = {
    killPod: sb.changed,
    createSandbox: sb.changed,
    sandboxId: sb.sandboxId,
    attempt: sb.attempt,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: new Map(),
    ephemeralContainersToStart: [],
  };

  if (sb.changed) {
    // A pod that must not restart and already ran: do not bring it back with a new sandbox.
    if (!shouldRestartOnFailure(pod) && sb.attempt !== 0 && status.containerStatuses.length > 0) {
      changes.createSandbox = false;
      return changes;
    }
    const toStart: number[] = [];
    containers.forEach((c, i) => {
      if (restartPolicy(pod) === 'OnFailure' && containerSucceeded(c, status)) return;
      toStart.push(i);
    });
    if (toStart.length === 0 && initContainers.length === 0) {
      // Everything already succeeded: nothing to run, no sandbox needed.
      changes.createSandbox = false;
      return changes;
    }
    if (initContainers.length > 0) {
      changes.initContainersToStart = [0];
      return changes;
    }
    changes.containersToStart = toStart;
    return changes;
  }

  (spec.ephemeralContainers ?? []).forEach((c, i) => {
    if (!findContainerStatus(status, c.name)) changes.ephemeralContainersToStart.push(i);
  });

  const initialized = computeInitContainerActions(pod, status, changes, probes);
  if (changes.killPod || !initialized) return changes;

  let keepCount = 0;
  containers.forEach((c, i) => {
    const s = findContainerStatus(status, c.name);
    if (!s || s.state !== 'running') {
      if (shouldRestartContainer(pod, c, status)) {
        changes.containersToStart.push(i);
        if (s && (s.state === 'unknown' || s.state === 'created')) {
          changes.containersToKill.set(s.id, {
            name: c.name,
            container: c,
            message: `Container is in ${JSON.stringify(s.state)} state, try killing it before restart`,
            reason: 'Unknown',
          });
        }
      }
      return;
    }
    let message = '';
    let reason: ContainerToKill['reason'] = '';
    let restart = shouldRestartOnFailure(pod);
    if (s.hash !== hashContainer(c)) {
      message = `Container ${c.name} definition changed`;
      restart = true; // a changed spec restarts whatever the policy
    } else if (c.livenessProbe && probes.liveness(s.id) === 'Failure') {
      message = `Container ${c.name} failed liveness probe`;
      reason = 'LivenessProbe';
    } else if (c.startupProbe && probes.startup(s.id) === 'Failure') {
      message = `Container ${c.name} failed startup probe`;
      reason = 'StartupProbe';
    } else {
      keepCount++;
      return;
    }
    if (restart) {
      message += ', will be restarted';
      changes.containersToStart.push(i);
    }
    changes.containersToKill.set(s.id, { name: c.name, container: c, message, reason });
  });

  if (keepCount === 0 && changes.containersToStart.length === 0) {
    // Nothing runs and nothing will: stop the pod, sidecars included (they never keep a pod alive).
    changes.killPod = true;
    changes.initContainersToStart = [];
  }
  return changes;
}

/**
 * The init-container half (upstream's computeInitContainerActions): scan init containers from the last one
 * with a status backwards, start the next one when the previous completed (regular) or started (sidecar),
 * restart failed ones per policy, keep sidecars running (restarting them on exit, liveness or startup failure,
 * or a spec change). Returns whether the pod counts as initialized.
 */
function computeInitContainerActions(
  pod: Pod,
  status: RuntimePodStatus,
  changes: PodActions,
  probes: ProbeResultsView,
): boolean {
  const initContainers = pod.spec?.initContainers ?? [];
  if (initContainers.length === 0) return true;
  const podHasInitialized = hasAnyRegularContainerCreated(pod, status);
  // Becomes true after the newest init container with a status: older ones then only matter if sidecars.
  let previouslyInitialized = podHasInitialized;
  let initialized = false;
  const toStart: number[] = [];
  const last = initContainers.length - 1;

  for (let i = last; i >= 0; i--) {
    const c = initContainers[i];
    const sidecar = isSidecar(c);
    const s = findContainerStatus(status, c.name);
    if (!s) {
      // A sidecar whose instance vanished after initialization comes back.
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    const startNext = () => {
      if (i === last) initialized = true;
      else if (!previouslyInitialized) toStart.push(i + 1);
    };
    const kill = (message: string, reason: ContainerToKill['reason']) =>
      changes.containersToKill.set(s.id, { name: c.name, container: c, message, reason });

    switch (s.state) {
      case 'created':
        // Created but never started (the start failed): start it again.
        toStart.push(i);
        break;
      case 'running': {
        if (!sidecar) break; // a regular init container: wait for it to finish
        if (c.startupProbe) {
          const startup = probes.startup(s.id);
          if (startup !== 'Success') {
            if (startup === 'Failure') {
              kill(`Init container ${c.name} failed startup probe`, 'StartupProbe');
              toStart.push(i);
            }
            break;
          }
        }
        startNext();
        if (s.hash !== hashContainer(c)) {
          kill(`Init container ${c.name} definition changed`, '');
          toStart.push(i);
          break;
        }
        if (c.livenessProbe && probes.liveness(s.id) === 'Failure') {
          kill(`Init container ${c.name} failed liveness probe`, 'LivenessProbe');
          toStart.push(i);
        }
        break;
      }
      case 'exited':
        if (sidecar) {
          toStart.push(i);
        } else if (isInitContainerFailed(s)) {
          if (!shouldRestartOnFailure(pod)) {
            changes.killPod = true;
            changes.initContainersToStart = [];
            return false;
          }
          toStart.push(i);
        } else {
          startNext();
        }
        break;
      default:
        if (!sidecar && !shouldRestartOnFailure(pod)) {
          changes.killPod = true;
          changes.initContainersToStart = [];
          return false;
        }
        kill(`Init container is in ${JSON.stringify(s.state)} state, try killing it before restart`, 'Unknown');
        toStart.push(i);
    }
    // The newest init container with a status decided what comes next; older ones are only checked for
    // sidecars to keep running (one that exits while a later init container runs is restarted).
    previouslyInitialized = true;
  }

  // No init container has a status yet: start the first one.
  if (!previouslyInitialized) toStart.push(0);
  changes.initContainersToStart = [...new Set(toStart)].sort((a, b) => a - b);
  return initialized || podHasInitialized;
}
