/**
 * The pod a DaemonSet creates on a node (upstream's NewPod, AddOrUpdateDaemonPodTolerations and
 * ReplaceDaemonSetPodNodeNameNodeAffinity): the template, the `controller-revision-hash` and
 * `pod-template-generation` labels, the tolerations every daemon pod gets, and a required node affinity on
 * `metadata.name` so that the scheduler, not the controller, binds it to its node.
 */
import type { DaemonSet, NodeSelectorTerm, OwnerReference, Pod, Toleration } from '../../api/index.ts';

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
export const POD_TEMPLATE_GENERATION = 'pod-template-generation';

/** The tolerations upstream adds to every daemon pod (network-unavailable only with hostNetwork). */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** Adds each toleration unless one with the same key and effect is there already (user's wins). */
function withTolerations(existing: Toleration[] | undefined, add: Toleration[]): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of add) if (!out.some((e) => e.key === t.key && e.effect === t.effect)) out.push(t);
  return out;
}

/** The required node affinity terms with `metadata.name In [nodeName]` as their field requirement. */
export function nodeNameAffinityTerms(terms: NodeSelectorTerm[] | undefined, nodeName: string): NodeSelectorTerm[] {
  const field = { key: 'metadata.name', operator: 'In' as const, values: [nodeName] };
  const withExprs = (terms ?? []).filter((t) => t.matchExpressions?.length);
  if (withExprs.length === 0) return [{ matchFields: [field] }];
  return withExprs.map((t) => ({ matchExpressions: t.matchExpressions, matchFields: [field] }));
}

/** The node a daemon pod is for: its nodeName, or the node its metadata.name affinity names. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((m) => m.key === 'metadata.name' && m.operator === 'In' && m.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

export function daemonSetOwnerRef(ds: DaemonSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata!.name!, uid: ds.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** The daemon pod for `nodeName`; without a node name, the pod used to test a node's fit. */
export function newDaemonPod(ds: DaemonSet, hash: string, nodeName?: string): Pod {
  const template = structuredClone(ds.spec?.template ?? {});
  const spec = template.spec ?? { containers: [] };
  spec.tolerations = withTolerations(spec.tolerations, daemonPodTolerations(spec.hostNetwork === true));
  if (nodeName) {
    const affinity = (spec.affinity ??= {});
    const nodeAffinity = (affinity.nodeAffinity ??= {});
    const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: nodeNameAffinityTerms(required?.nodeSelectorTerms, nodeName) };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...template.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash, [POD_TEMPLATE_GENERATION]: String(ds.metadata?.generation ?? 1) },
      annotations: template.metadata?.annotations,
      ownerReferences: ds.metadata?.uid ? [daemonSetOwnerRef(ds)] : undefined,
    },
    spec,
  };
}
