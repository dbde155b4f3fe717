/**
 * The kubelet's view of one pod in the runtime (upstream's `kubecontainer.PodStatus`): its sandboxes and
 * containers, found by the io.kubernetes.* labels the kubelet put on them, with the restart count and spec
 * hash read back from annotations. Everything the kubelet decides is computed from this plus the Pod spec,
 * so a restarted kubelet adopts running pods without touching them.
 */
import { createHash } from 'node:crypto';
import type { PodSandboxStatus, ContainerStatus as RuntimeContainer, Labels } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_CONTAINER_TYPE = 'io.kubernetes.container.type';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const ANNOTATION_POD_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_PRESTOP = 'io.kubernetes.container.preStopHandler';
export const ANNOTATION_PORTS = 'io.kubernetes.container.ports';

export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';
export type ContainerType = 'init' | 'sidecar' | 'regular' | 'ephemeral';

/** One container instance as the kubelet sees it. */
export interface RuntimeContainerStatus {
  id: string;
  name: string;
  type: ContainerType;
  state: RuntimeContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as containerd reports it: its first repo tag (`docker.io/library/busybox:1.35`). */
  image: string;
  /** Its first repo digest (`docker.io/library/busybox@sha256:…`), else its id: the API's `imageID`. */
  imageRef: string;
  hash: string;
  restartCount: number;
  podSandboxId: string;
  logPath: string;
  terminationMessagePath: string;
  terminationMessagePolicy: string;
  mounts: RuntimeContainer['mounts'];
}

/** A pod as the runtime holds it (kubecontainer.Pod): its sandboxes and containers, grouped by their uid label. */
export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  sandboxes: { id: string; state: string }[];
  containers: { id: string; name: string; state: string }[];
}

export interface RuntimePodStatus {
  uid: string;
  name: string;
  namespace: string;
  /** The newest ready sandbox's IPs (empty with host network or without a sandbox). */
  ips: string[];
  /** Newest first. */
  sandboxStatuses: PodSandboxStatus[];
  /** Newest first (by creation time), every instance of every container. */
  containerStatuses: RuntimeContainerStatus[];
  /** When this status was read (clock ms); the PLEG cache serves "newer than" with it. */
  timestamp: number;
}

export const runtimeStateOf: Record<string, RuntimeContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

/** The newest instance of container `name`, as upstream's FindContainerStatusByName. */
export function findContainerStatus(
  status: RuntimePodStatus | undefined,
  name: string,
): RuntimeContainerStatus | undefined {
  return status?.containerStatuses.find((c) => c.name === name);
}

export function podLabels(pod: Pod): Labels {
  const m = pod.metadata ?? {};
  return {
    ...(m.labels ?? {}),
    [LABEL_POD_NAME]: m.name ?? '',
    [LABEL_POD_NAMESPACE]: m.namespace ?? 'default',
    [LABEL_POD_UID]: m.uid ?? '',
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  return value;
}

/**
 * The container spec hash stored on each instance: a change (say, a new image) makes the kubelet restart the
 * container. Resources are left out, as upstream does, so an in-place resize would not restart it.
 */
export function hashContainer(container: Container): string {
  const rest: Record<string, unknown> = { ...container };
  delete rest.resources;
  return createHash('sha256')
    .update(JSON.stringify(sortKeys(rest)))
    .digest('hex')
    .slice(0, 8);
}

/** `name_namespace(uid)`, upstream's format.Pod, used in messages such as CrashLoopBackOff's. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace ?? 'default'}(${pod.metadata?.uid})`;
}

export function isSidecar(c: Container): boolean {
  return (c as Container & { restartPolicy?: string }).restartPolicy === 'Always';
}
