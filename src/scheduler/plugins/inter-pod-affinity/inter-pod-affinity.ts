/**
 * InterPodAffinity (filter): the pod's required pod affinity and anti-affinity, and the required
 * anti-affinity of pods already placed, judged per topology domain (the node label named by `topologyKey`).
 * PreFilter counts, over every pod in the cycle's snapshot (bound and assumed), the domains that hold pods
 * matching each term; Filter then looks up the node's domains.
 *
 * Term matching: `labelSelector` (with `matchLabelKeys`/`mismatchLabelKeys` taken from the incoming pod) in
 * the term's `namespaces`, or the pod's own namespace when none are listed; an empty `namespaceSelector`
 * means all namespaces. Not yet: non-empty `namespaceSelector` (needs namespace labels; such terms match
 * only their listed namespaces), preferred terms (scoring).
 */
import { labelSelectorFromObject, newRequirement, ParsedLabelSelector, type Pod, type PodAffinityTerm } from '../../../api/index.ts';
import {
  unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin, type Status,
} from '../../framework/index.ts';

export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const STATE_KEY = 'PreFilterInterPodAffinity';

/** A term ready to match pods: its selector, namespaces (undefined = all) and topology key. */
interface CompiledTerm {
  selector: ParsedLabelSelector;
  namespaces: Set<string> | undefined;
  topologyKey: string;
}

interface State {
  affinityTerms: CompiledTerm[];
  antiAffinityTerms: CompiledTerm[];
  /** `key=value` domains → how many matching pods, per kind of rule. */
  affinityCounts: Map<string, number>;
  antiAffinityCounts: Map<string, number>;
  existingAntiAffinityCounts: Map<string, number>;
}

function compile(term: PodAffinityTerm, owner: Pod): CompiledTerm {
  const base = labelSelectorFromObject(term.labelSelector);
  let selector = base;
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => owner.metadata?.labels?.[k] !== undefined).map((k) => newRequirement(k, 'in', [owner.metadata!.labels![k]!])),
    ...(term.mismatchLabelKeys ?? []).filter((k) => owner.metadata?.labels?.[k] !== undefined).map((k) => newRequirement(k, 'notin', [owner.metadata!.labels![k]!])),
  ];
  if (extra.length > 0 && base.requirements) selector = new ParsedLabelSelector([...base.requirements, ...extra]);
  const allNamespaces = term.namespaceSelector !== undefined && term.namespaceSelector !== null &&
    Object.keys(term.namespaceSelector.matchLabels ?? {}).length === 0 && (term.namespaceSelector.matchExpressions ?? []).length === 0;
  const listed = term.namespaces ?? [];
  const namespaces = allNamespaces ? undefined : new Set(listed.length > 0 || term.namespaceSelector ? listed : [owner.metadata?.namespace ?? 'default']);
  return { selector, namespaces, topologyKey: term.topologyKey };
}

function termMatches(t: CompiledTerm, pod: Pod): boolean {
  if (t.namespaces && !t.namespaces.has(pod.metadata?.namespace ?? '')) return false;
  return t.selector.matches(pod.metadata?.labels);
}

const domain = (key: string, value: string) => `${key}=${value}`;

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin {
  readonly name = 'InterPodAffinity';

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined {
    const aff = pod.spec?.affinity;
    const s: State = {
      affinityTerms: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, pod)),
      antiAffinityTerms: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, pod)),
      affinityCounts: new Map(),
      antiAffinityCounts: new Map(),
      existingAntiAffinityCounts: new Map(),
    };
    for (const n of nodes) {
      const labels = n.node.metadata?.labels ?? {};
      for (const other of n.pods) {
        // The incoming pod's own terms against pods already placed.
        for (const t of s.affinityTerms) {
          if (labels[t.topologyKey] !== undefined && termMatches(t, other)) add(s.affinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
        for (const t of s.antiAffinityTerms) {
          if (labels[t.topologyKey] !== undefined && termMatches(t, other)) add(s.antiAffinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
        // Placed pods' anti-affinity against the incoming pod.
        for (const term of other.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          const t = compile(term, other);
          if (labels[t.topologyKey] !== undefined && termMatches(t, pod)) add(s.existingAntiAffinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
      }
    }
    state.write(STATE_KEY, s);
    return undefined;
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<State>(STATE_KEY);
    const labels = nodeInfo.node.metadata?.labels ?? {};
    // kube-scheduler's order: the pod's affinity, its anti-affinity, then placed pods' anti-affinity.
    if (!this.#satisfiesAffinity(s, pod, labels)) return unresolvable(ERR_REASON_AFFINITY);
    for (const t of s.antiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(domain(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
    for (const [k, v] of Object.entries(labels)) {
      if ((s.existingAntiAffinityCounts.get(domain(k, v)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return undefined;
  }

  #satisfiesAffinity(s: State, pod: Pod, labels: Record<string, string>): boolean {
    let podsExist = true;
    for (const t of s.affinityTerms) {
      const v = labels[t.topologyKey];
      // The node must carry every topology label the terms name.
      if (v === undefined) return false;
      if ((s.affinityCounts.get(domain(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first pod of a group with affinity to itself: nothing matches anywhere yet, but it matches its own
    // terms, so it may go (otherwise such groups could never start).
    return s.affinityCounts.size === 0 && s.affinityTerms.every((t) => termMatches(t, pod));
  }
}
