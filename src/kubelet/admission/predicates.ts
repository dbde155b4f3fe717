/**
 * Node-side admission (the kubelet's GeneralPredicates admit handler): before a pod bound to this node
 * starts, it must fit the node's allocatable resources next to the pods already admitted, its host ports must
 * be free, its nodeSelector and required node affinity must match the node, and it must tolerate the node's
 * NoExecute taints (static pods excepted). A rejected pod goes to phase Failed with the failing predicate's
 * reason (`OutOfcpu`, `OutOfmemory`, `OutOfpods`, `NodeAffinity`, `NodePorts`, `TaintToleration`, ...) and
 * message, as the real kubelet writes them; only the first failure is reported. Before them, as upstream, a pod
 * whose `spec.os.name` is not the node's OS (always `linux` here) is refused with reason `PodOSNotSupported`.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import type { ITaint } from 'kubernetes-models/v1/Taint';
import type { IToleration } from 'kubernetes-models/v1/Toleration';
import { parseQuantity, podMatchesNodeSelectorAndAffinityTerms, toleratesTaint } from '../../api/index.ts';

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

export function admitPod(pod: IPod, node: INode, activePods: IPod[]): AdmitResult {
  // Every kubeling node runs Linux: a pod whose OS field names another OS is refused (upstream's OS-field check).
  const os = pod.spec?.os?.name;
  if (os && os !== 'linux') {
    return { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" };
  }
  const fit = checkResources(pod, node, activePods);
  if (fit) return fit;
  if (!matchesNodeSelectorAndAffinity(pod, node)) {
    return predicateFailure('NodeAffinity', "node(s) didn't match Pod's node affinity/selector");
  }
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata?.name) {
    return predicateFailure('NodeName', "node(s) didn't match the requested node name");
  }
  if (hostPortsConflict(pod, activePods)) {
    return predicateFailure('NodePorts', "node(s) didn't have free ports for the requested pod ports");
  }
  if (!isStaticPod(pod)) {
    const taint = (node.spec?.taints ?? []).find(
      (t) => t.effect === 'NoExecute' && !(pod.spec?.tolerations ?? []).some((tol) => tolerates(tol, t)),
    );
    if (taint)
      return predicateFailure('TaintToleration', `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  }
  return { admit: true };
}

function predicateFailure(name: string, desc: string): AdmitResult {
  return { admit: false, reason: name, message: `Predicate ${name} failed: ${desc}` };
}

export function isStaticPod(pod: IPod): boolean {
  const source = pod.metadata?.annotations?.['kubernetes.io/config.source'];
  return source !== undefined && source !== 'api';
}

// ---------------------------------------------------------------- resources

type Amounts = Map<string, bigint>;

/** Requests in Kubernetes' integer units: millicores for cpu, whole units for everything else. */
function amount(resource: string, q: string | number): bigint {
  const parsed = parseQuantity(q);
  return BigInt(resource === 'cpu' ? parsed.milliValue() : parsed.value());
}

function containerAmounts(requests: Record<string, string | number> | undefined): Amounts {
  const out: Amounts = new Map();
  for (const [k, v] of Object.entries(requests ?? {})) out.set(k, amount(k, v));
  return out;
}

const addInto = (a: Amounts, b: Amounts) => b.forEach((v, k) => a.set(k, (a.get(k) ?? 0n) + v));
const maxInto = (a: Amounts, b: Amounts) => b.forEach((v, k) => a.set(k, (a.get(k) ?? 0n) > v ? a.get(k)! : v));

/** The effective requests: containers summed, the init maximum (with sidecars started before), overhead. */
export function podRequestAmounts(pod: IPod): Amounts {
  const total: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(total, containerAmounts(c.resources?.requests));
  const sidecars: Amounts = new Map();
  const initMax: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerAmounts(c.resources?.requests);
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      maxInto(initMax, sidecars);
    } else {
      const use = new Map(own);
      addInto(use, sidecars);
      maxInto(initMax, use);
    }
  }
  maxInto(total, initMax);
  addInto(total, containerAmounts(pod.spec?.overhead));
  return total;
}

function checkResources(pod: IPod, node: INode, active: IPod[]): AdmitResult | undefined {
  const allocatable = node.status?.allocatable ?? {};
  const allowedPods = allocatable.pods !== undefined ? amount('pods', allocatable.pods) : 110n;
  if (BigInt(active.length) + 1n > allowedPods) return insufficient('pods', 1n, BigInt(active.length), allowedPods);
  const want = podRequestAmounts(pod);
  const used: Amounts = new Map();
  for (const p of active) addInto(used, podRequestAmounts(p));
  // The scheduler's order: cpu, memory, ephemeral-storage, then anything else requested.
  const order = [
    'cpu',
    'memory',
    'ephemeral-storage',
    ...[...want.keys()].filter((k) => !['cpu', 'memory', 'ephemeral-storage'].includes(k)).sort(),
  ];
  for (const r of order) {
    const requested = want.get(r) ?? 0n;
    if (requested === 0n) continue;
    const capacity = allocatable[r] !== undefined ? amount(r, allocatable[r]) : 0n;
    const inUse = used.get(r) ?? 0n;
    if (requested + inUse > capacity) return insufficient(r, requested, inUse, capacity);
  }
  return undefined;
}

function insufficient(resource: string, requested: bigint, used: bigint, capacity: bigint): AdmitResult {
  return {
    admit: false,
    reason: `OutOf${resource}`,
    message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
  };
}

// ---------------------------------------------------------------- host ports

function hostPorts(pod: IPod): { protocol: string; ip: string; port: number }[] {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => (p.hostPort ?? 0) > 0)
      .map((p) => ({ protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort! })),
  );
}

function hostPortsConflict(pod: IPod, active: IPod[]): boolean {
  const inUse = active.flatMap(hostPorts);
  return hostPorts(pod).some((want) =>
    inUse.some(
      (u) =>
        u.port === want.port &&
        u.protocol === want.protocol &&
        (u.ip === want.ip || u.ip === '0.0.0.0' || want.ip === '0.0.0.0'),
    ),
  );
}

// ---------------------------------------------------------------- node selector and affinity

/** The pod's nodeSelector and required node affinity against the node (the matcher the scheduler uses too). */
export function matchesNodeSelectorAndAffinity(pod: IPod, node: INode): boolean {
  return podMatchesNodeSelectorAndAffinityTerms(pod, node);
}

// ---------------------------------------------------------------- taints

/** Whether the toleration tolerates the taint (the matcher the scheduler uses too). */
export function tolerates(tol: IToleration, taint: ITaint): boolean {
  return toleratesTaint(tol, taint);
}
