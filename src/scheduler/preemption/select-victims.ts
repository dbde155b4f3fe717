/**
 * DefaultPreemption's decisions, as pure functions (pkg/scheduler/framework/plugins/defaultpreemption and
 * framework/preemption): whether a pod may preempt at all, which pods on one node would have to go for it to
 * fit there, and which of the candidate nodes to preempt on.
 *
 * On one node: take away every pod of lower priority; if the pod still does not fit, the node cannot help.
 * Otherwise give the removed pods back one at a time, most important first (higher priority, then the one that
 * started earlier), those whose eviction would break a PodDisruptionBudget before the others, and keep each
 * one whose return still lets the pod fit ("reprieve"). What is left are the victims: as few and as
 * unimportant as a greedy pass finds, with budget violations avoided where possible.
 *
 * Among candidate nodes the pick is upstream's pickOneNodeForPreemption: fewest budget violations, then the
 * lowest highest-victim priority, then the lowest sum of victim priorities, then the fewest victims, then the
 * latest start of the highest-priority victims, then the first node in the given order.
 */
import { labelSelectorFromObject, labelSelectorMatches, type Pod, type PodDisruptionBudget } from '../../api/index.ts';
import type { NodeInfo } from '../framework/index.ts';

export const priorityOf = (pod: Pod): number => pod.spec?.priority ?? 0;
const startOf = (pod: Pod): string => pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? '';

/** MoreImportantPod: higher priority first, then the earlier start. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  if (pa !== pb) return pa > pb;
  return startOf(a) < startOf(b);
}

export interface Victims {
  pods: Pod[];
  /** How many of them would break a PodDisruptionBudget. */
  numPDBViolations: number;
}

export interface Candidate {
  nodeName: string;
  victims: Victims;
}

/**
 * Splits pods into those whose eviction would break a budget and the rest (filterPodsWithPDBViolation):
 * each budget allows `status.disruptionsAllowed` evictions of the pods it selects in its namespace, counted
 * down as pods are taken in order.
 */
export function splitByPDBViolation(pods: Pod[], pdbs: readonly PodDisruptionBudget[]): { violating: Pod[]; nonViolating: Pod[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const violating: Pod[] = [];
  const nonViolating: Pod[] = [];
  for (const pod of pods) {
    let violates = false;
    pdbs.forEach((pdb, i) => {
      if (pdb.metadata?.namespace !== pod.metadata?.namespace) return;
      const sel = pdb.spec?.selector;
      // A budget with no selector (or an empty one, in policy/v1) selects nothing / everything as upstream.
      if (!sel || (!sel.matchLabels && !sel.matchExpressions)) return;
      if (!labelSelectorMatches(labelSelectorFromObject(sel), pod.metadata?.labels ?? {})) return;
      // Pods already being disrupted (listed in disruptedPods) do not count twice.
      if (pdb.status?.disruptedPods?.[pod.metadata?.name ?? '']) return;
      allowed[i]!--;
      if (allowed[i]! < 0) violates = true;
    });
    (violates ? violating : nonViolating).push(pod);
  }
  return { violating, nonViolating };
}

/**
 * The pods to evict from `nodeInfo` so that `pod` fits (`fits` runs the filters on a what-if copy), or
 * undefined when even evicting every lower-priority pod would not do.
 */
export function selectVictimsOnNode(pod: Pod, nodeInfo: NodeInfo, fits: (ni: NodeInfo) => boolean, pdbs: readonly PodDisruptionBudget[]): Victims | undefined {
  const what = nodeInfo.clone();
  const lower = what.pods.filter((p) => priorityOf(p) < priorityOf(pod));
  if (lower.length === 0) return undefined;
  for (const p of lower) what.removePod(p);
  if (!fits(what)) return undefined;
  lower.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
  const { violating, nonViolating } = splitByPDBViolation(lower, pdbs);
  const victims: Pod[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: Pod): boolean => {
    what.addPod(p);
    if (fits(what)) return true;
    what.removePod(p);
    victims.push(p);
    return false;
  };
  for (const p of violating) if (!reprieve(p)) numPDBViolations++;
  for (const p of nonViolating) reprieve(p);
  victims.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
  return { pods: victims, numPDBViolations };
}

/** pickOneNodeForPreemption over the candidates (in node order); undefined when there are none. */
export function pickOneNode(candidates: readonly Candidate[]): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  type Key = (c: Candidate) => number;
  const highest: Key = (c) => (c.victims.pods.length ? priorityOf(c.victims.pods[0]!) : Number.MIN_SAFE_INTEGER);
  const keys: Key[] = [
    (c) => c.victims.numPDBViolations,
    highest,
    // The sum is offset so that a node with fewer victims of negative priority does not look better.
    (c) => c.victims.pods.reduce((sum, p) => sum + priorityOf(p) + 2_147_483_648, 0),
    (c) => c.victims.pods.length,
    // The latest earliest start among the highest-priority victims wins: smaller key is better, so negate.
    (c) => -earliestStartOfHighest(c),
  ];
  let left = [...candidates];
  for (const key of keys) {
    if (left.length === 1) break;
    const best = Math.min(...left.map(key));
    left = left.filter((c) => key(c) === best);
  }
  return left[0];
}

function earliestStartOfHighest(c: Candidate): number {
  const pods = c.victims.pods;
  if (pods.length === 0) return Number.MAX_SAFE_INTEGER;
  const top = priorityOf(pods[0]!);
  let earliest = Number.MAX_SAFE_INTEGER;
  for (const p of pods) {
    if (priorityOf(p) !== top) continue;
    const t = Date.parse(startOf(p));
    if (!Number.isNaN(t)) earliest = Math.min(earliest, t);
  }
  return earliest;
}

/**
 * PodEligibleToPreemptOthers: `preemptionPolicy: Never` never preempts, and a pod already nominated to a node
 * where a lower-priority pod is still terminating waits for it instead of preempting again. Returns the reason
 * it may not, or undefined.
 */
export function notEligibleReason(pod: Pod, nominatedNode: NodeInfo | undefined): string | undefined {
  if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  if (nominatedNode && pod.status?.nominatedNodeName) {
    const terminating = nominatedNode.pods.some((p) => p.metadata?.deletionTimestamp && priorityOf(p) < priorityOf(pod));
    if (terminating) return 'not eligible due to a terminating pod on the nominated node.';
  }
  return undefined;
}
