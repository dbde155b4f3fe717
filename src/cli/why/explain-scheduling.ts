/**
 * Why a node cannot take a Pending pod, node by node, with what would make it fit. The scheduler's
 * FailedScheduling message only counts nodes per reason ("1 node(s) had untolerated taint {k: v}"); this
 * redoes the filters users meet most (cordon, taints, nodeSelector and node affinity, resource requests)
 * against each node so the answer can name the node, the taint, the label or the missing amount. Filters
 * it does not redo (pod affinity, ports, topology spread, volumes) still show through the scheduler's own
 * message, which the pod answer always quotes.
 */
import type { Node, Pod, Taint } from '../../api/index.ts';
import { parseQuantity, podMatchesNodeSelectorAndAffinityTerms, podRequests, Quantity, untoleratedTaint } from '../../api/index.ts';

export interface NodeVerdict {
  node: string;
  /** Why this node is ruled out (empty: it would fit as far as these filters can tell). */
  reasons: string[];
  /** What would make it fit, one per reason. */
  fixes: string[];
}

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

function taintText(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** The pod's nodeSelector as `k=v,k2=v2` (what a node's labels must carry). */
function selectorText(pod: Pod): string {
  return Object.entries(pod.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Requests of the pods the node already runs (those not finished), summed per resource. */
function usedOn(node: string, pods: readonly Pod[]): Map<string, Quantity> {
  const used = new Map<string, Quantity>();
  for (const p of pods) {
    if (p.spec?.nodeName !== node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    for (const [name, q] of Object.entries(podRequests(p))) used.set(name, (used.get(name) ?? Quantity.fromValue(0)).add(q));
  }
  return used;
}

/** Each node's verdict for `pod`; `pods` are the pods bound to nodes (for the free-capacity sums). */
export function nodeVerdicts(pod: Pod, nodes: readonly Node[], pods: readonly Pod[]): NodeVerdict[] {
  const tolerations = pod.spec?.tolerations;
  const wants = podRequests(pod);
  return nodes.map((node) => {
    const name = node.metadata?.name ?? '';
    const reasons: string[] = [];
    const fixes: string[] = [];
    const cordoned = node.spec?.unschedulable === true;
    if (cordoned && !tolerations?.some((t) => t.key === UNSCHEDULABLE_TAINT && (t.effect ?? 'NoSchedule') === 'NoSchedule')) {
      reasons.push('is cordoned (unschedulable)');
      fixes.push(`kubectl uncordon ${name}`);
    }
    const taints = (node.spec?.taints ?? []).filter((t) => !(cordoned && t.key === UNSCHEDULABLE_TAINT));
    const taint = untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute']);
    if (taint) {
      reasons.push(`has the taint ${taintText(taint)}, which the pod does not tolerate`);
      fixes.push(`add a toleration for ${taintText(taint)} to the pod, or remove the taint (kubectl taint nodes ${name} ${taintText(taint)}-)`);
    }
    if (!podMatchesNodeSelectorAndAffinityTerms(pod, node)) {
      const sel = selectorText(pod);
      reasons.push(sel ? `lacks the labels of the pod's nodeSelector (${sel})` : "does not match the pod's node affinity");
      fixes.push(sel ? `kubectl label node ${name} ${sel.replaceAll(',', ' ')}` : `label ${name} to match the pod's node affinity, or relax it`);
    }
    const used = usedOn(name, pods);
    for (const [resource, want] of Object.entries(wants)) {
      if (want.isZero()) continue;
      const raw = node.status?.allocatable?.[resource];
      if (raw === undefined) continue;
      const allocatable = parseQuantity(raw);
      const free = allocatable.sub(used.get(resource) ?? Quantity.fromValue(0));
      if (free.cmp(want) >= 0) continue;
      const freeText = free.milliValue() < 0 ? '0' : free.toString();
      reasons.push(`has ${freeText} ${resource} free of ${allocatable.toString()} allocatable, the pod requests ${want.toString()}`);
      fixes.push(
        allocatable.cmp(want) < 0
          ? `lower the pod's ${resource} request to at most ${allocatable.toString()} (no node this size can ever take it), or add a bigger node`
          : `lower the pod's ${resource} request to ${freeText}, or free ${resource} on ${name}`,
      );
    }
    return { node: name, reasons, fixes };
  });
}
