/**
 * The Node object the kubelet registers and keeps current: labels, capacity and allocatable, addresses,
 * conditions, node info, daemon endpoints, as the real kubelet's setters write them. Pure: `buildNode` and
 * `nodeConditions` compute from facts; node-agent.ts does the I/O.
 *
 * Allocatable is capacity minus the hard eviction thresholds (default memory.available 100Mi,
 * nodefs.available 10%), as a kubelet without reservations reports.
 */
import type { INode } from 'kubernetes-models/v1/Node';
import type { INodeCondition } from 'kubernetes-models/v1/NodeCondition';
import type { MachineInfo } from './machine.ts';

export type Node = INode;
export type NodeCondition = INodeCondition;

export const KUBELET_VERSION = 'v1.32.0-kubeling';
export const MAX_PODS = 110;
const evictionMemoryBytes = 100 * 1024 * 1024;

export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  machine: MachineInfo;
  kubeletPort: number;
  podCIDR: string;
  controlPlane: boolean;
  runtime: { name: string; version: string };
  /** Extra labels from --node-labels. */
  labels?: Record<string, string>;
  taints?: NonNullable<INode['spec']>['taints'];
  /**
   * The eviction manager's pressure conditions (MemoryPressure, DiskPressure, PIDPressure that are true);
   * without it the default thresholds are checked against the machine figures.
   */
  pressure?: string[];
  /**
   * The hard eviction thresholds taken off capacity for allocatable (memory.available, nodefs.available), as
   * functions of capacity; default 100Mi and 10%.
   */
  hardEviction?: { memoryBytes: (capacity: number) => number; nodefsBytes: (capacity: number) => number };
  /** A simulated node's capacity, as given (`cpu`, `memory`, `pods`, ...): reported as is, and as allocatable. */
  capacity?: Record<string, string>;
}

/** Kubernetes' health view of the node: the runtime (and PLEG) problems that make it NotReady. */
export interface NodeHealth {
  /** Empty when healthy; otherwise the messages joined into the Ready condition's message. */
  errors: string[];
}

const kib = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;

export function nodeLabels(f: NodeFacts): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': f.machine.architecture,
    'beta.kubernetes.io/os': f.machine.operatingSystem,
    'kubernetes.io/arch': f.machine.architecture,
    'kubernetes.io/hostname': f.nodeName,
    'kubernetes.io/os': f.machine.operatingSystem,
    ...(f.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
    ...f.labels,
  };
}

export function buildNode(f: NodeFacts): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.nodeName,
      labels: nodeLabels(f),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR], ...(f.taints?.length ? { taints: f.taints } : {}) },
  };
}

/** Everything in status except the conditions' times (filled in by nodeConditions). */
export function nodeStatus(
  f: NodeFacts,
  conditions: NodeCondition[],
  images: { names: string[]; sizeBytes: number }[],
): NonNullable<Node['status']> {
  const m = f.machine;
  const capacity = {
    cpu: String(m.cpus),
    'ephemeral-storage': kib(m.fsCapacityBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: kib(m.memoryBytes),
    pods: String(MAX_PODS),
  };
  const reserveMemory = f.hardEviction?.memoryBytes(m.memoryBytes) ?? evictionMemoryBytes;
  const reserveNodefs = f.hardEviction?.nodefsBytes(m.fsCapacityBytes) ?? m.fsCapacityBytes * 0.1;
  if (f.capacity) {
    const given = { ...capacity, ...f.capacity };
    return nodeStatusOf(f, conditions, images, given, given);
  }
  const allocatable = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(Math.max(0, m.fsCapacityBytes - reserveNodefs))),
    memory: kib(Math.max(0, m.memoryBytes - reserveMemory)),
  };
  return nodeStatusOf(f, conditions, images, capacity, allocatable);
}

function nodeStatusOf(
  f: NodeFacts,
  conditions: NodeCondition[],
  images: { names: string[]; sizeBytes: number }[],
  capacity: Record<string, string>,
  allocatable: Record<string, string>,
): NonNullable<Node['status']> {
  const m = f.machine;
  return {
    capacity,
    allocatable,
    conditions,
    addresses: [
      { type: 'InternalIP', address: f.nodeIP },
      { type: 'Hostname', address: f.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
    nodeInfo: {
      machineID: m.machineID,
      systemUUID: m.systemUUID,
      bootID: m.bootID,
      kernelVersion: m.kernelVersion,
      osImage: m.osImage,
      containerRuntimeVersion: `${f.runtime.name}://${f.runtime.version}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: m.operatingSystem,
      architecture: m.architecture,
    },
    images: images.slice(0, 50),
  };
}

interface ConditionValue {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * The four conditions with the real kubelet's reasons and messages. Transition times change only when the
 * status does; heartbeat times are `now` (they are rewritten at every report).
 */
export function nodeConditions(
  f: NodeFacts,
  health: NodeHealth,
  previous: NodeCondition[] | undefined,
  now: string,
): NodeCondition[] {
  const m = f.machine;
  const memoryPressure = f.pressure ? f.pressure.includes('MemoryPressure') : m.memoryAvailableBytes < evictionMemoryBytes;
  const diskPressure = f.pressure ? f.pressure.includes('DiskPressure') : m.fsAvailableBytes < m.fsCapacityBytes * 0.1;
  const pidPressure = f.pressure?.includes('PIDPressure') ?? false;
  const values: Record<string, ConditionValue> = {
    MemoryPressure: memoryPressure
      ? { status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    DiskPressure: diskPressure
      ? { status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    PIDPressure: pidPressure
      ? { status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
      : { status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    Ready:
      health.errors.length === 0
        ? { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
        : { status: 'False', reason: 'KubeletNotReady', message: health.errors.join(', ') },
  };
  return Object.entries(values).map(([type, v]) => {
    const prev = previous?.find((c) => c.type === type);
    const lastTransitionTime =
      prev && prev.status === v.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { type, ...v, lastHeartbeatTime: now, lastTransitionTime };
  });
}

/** True when two statuses differ in anything but heartbeat times (the kubelet reports changes at once). */
export function statusChanged(a: Node['status'] | undefined, b: Node['status'] | undefined): boolean {
  const strip = (s: Node['status'] | undefined) =>
    JSON.stringify({ ...s, conditions: s?.conditions?.map(({ lastHeartbeatTime: _h, ...rest }) => rest) });
  return strip(a) !== strip(b);
}
