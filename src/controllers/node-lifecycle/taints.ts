/**
 * The taints the node lifecycle controller owns, and the pure functions that say which a node should carry.
 * NoSchedule taints follow the node's conditions and `spec.unschedulable` at once (upstream's
 * doNoScheduleTaintingPass); the NoExecute ones (`not-ready`, `unreachable`) are added through the zone's
 * rate-limited queue and removed at once when the node is Ready again.
 */
import type { Node, NodeCondition, Taint } from '../../api/index.ts';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** Condition type → (status → taint key), upstream's nodeConditionToTaintKeyStatusMap. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

/** Every NoSchedule key this controller manages (others on the node are left alone). */
const MANAGED_NO_SCHEDULE = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), TAINT_UNSCHEDULABLE]);

export function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/** `True`, `False` or `Unknown` (a node without a Ready condition counts as Unknown). */
export function readyStatus(node: Node): 'True' | 'False' | 'Unknown' {
  const s = readyCondition(node)?.status;
  return s === 'True' || s === 'False' ? s : 'Unknown';
}

/** The NoSchedule taints the node's conditions and `spec.unschedulable` call for, in a stable order. */
export function desiredNoScheduleTaints(node: Node): Taint[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key && !keys.includes(key)) keys.push(key);
  }
  if (node.spec?.unschedulable) keys.push(TAINT_UNSCHEDULABLE);
  return keys.map((key) => ({ key, effect: 'NoSchedule' }));
}

/**
 * The node's taints with the managed NoSchedule ones replaced by `desired`; undefined when nothing changes.
 * Taints of other keys or effects keep their place and fields.
 */
export function reconcileNoScheduleTaints(node: Node): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const desired = desiredNoScheduleTaints(node);
  const isManaged = (t: Taint) => t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key);
  const kept = current.filter((t) => !isManaged(t) || desired.some((d) => d.key === t.key));
  const added = desired.filter((d) => !current.some((t) => isManaged(t) && t.key === d.key));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

export function hasTaint(node: Node, key: string, effect: Taint['effect']): boolean {
  return node.spec?.taints?.some((t) => t.key === key && t.effect === effect) ?? false;
}

/**
 * The node's taints with NoExecute `add` (stamped `timeAdded`) and without the NoExecute `remove` keys
 * (upstream's SwapNodeControllerTaint); undefined when nothing changes.
 */
export function swapNoExecuteTaints(node: Node, add: string | undefined, remove: string[], now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const kept = current.filter((t) => !(t.effect === 'NoExecute' && remove.includes(t.key)));
  const adding = add !== undefined && !kept.some((t) => t.effect === 'NoExecute' && t.key === add);
  if (!adding && kept.length === current.length) return undefined;
  return adding ? [...kept, { key: add, effect: 'NoExecute', timeAdded: now }] : kept;
}
