/**
 * InterPodAffinity (filter and score): the pod's required pod affinity and anti-affinity, and the required
 * anti-affinity of pods already placed, judged per topology domain (the node label named by `topologyKey`).
 * PreFilter counts, over every pod in the cycle's snapshot (bound and assumed), the domains that hold pods
 * matching each term; Filter then looks up the node's domains.
 *
 * Score, as upstream's: each placed pod that the incoming pod's preferred affinity term matches adds the term's
 * weight to that pod's domain, a preferred anti-affinity match subtracts it; the placed pods' own terms count
 * the same way towards the incoming pod (their required affinity with weight 1, upstream's
 * hardPodAffinityWeight). A node scores the sum over its domains, normalized to 0..100 between the lowest and
 * the highest node.
 *
 * Term matching: `labelSelector` (with `matchLabelKeys`/`mismatchLabelKeys` taken from the incoming pod) in
 * the term's `namespaces`, or the pod's own namespace when none are listed; an empty `namespaceSelector`
 * means all namespaces, a non-empty one adds the namespaces whose labels it matches (from a namespace informer
 * of the plugin's own, read at PreFilter).
 */
import { labelSelectorFromObject, labelSelectorMatches, newRequirement, ParsedLabelSelector, type Namespace, type Pod, type PodAffinityTerm } from '../../../api/index.ts';
import { Informer, type Client } from '../../../client/index.ts';
import { realClock, type Logger } from '../../../machinery/index.ts';
import {
  MAX_NODE_SCORE, unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type PreFilterPlugin, type ScorePlugin, type Status, type WatchingPlugin,
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
  /** `key=value` domains → the preferred-term score (may be negative). */
  domainScores: Map<string, number>;
}

/** A weighted term: +weight for affinity, -weight for anti-affinity. */
interface ScoredTerm {
  term: CompiledTerm;
  weight: number;
}

function preferredTerms(pod: Pod, namespaces: NamespaceList): ScoredTerm[] {
  const aff = pod.spec?.affinity;
  return [
    ...(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ term: compile(w.podAffinityTerm, pod, namespaces), weight: w.weight })),
    ...(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ term: compile(w.podAffinityTerm, pod, namespaces), weight: -w.weight })),
  ];
}

/** hardPodAffinityWeight: how much a placed pod's required affinity to the incoming pod counts in scoring. */
const HARD_POD_AFFINITY_WEIGHT = 1;

function existingPodScoredTerms(other: Pod, namespaces: NamespaceList): ScoredTerm[] {
  const required = (other.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
    .map((t) => ({ term: compile(t, other, namespaces), weight: HARD_POD_AFFINITY_WEIGHT }));
  return [...required, ...preferredTerms(other, namespaces)];
}

/** The namespaces of the cluster with their labels, for non-empty namespaceSelectors. */
type NamespaceList = readonly Namespace[];

function compile(term: PodAffinityTerm, owner: Pod, namespaces: NamespaceList): CompiledTerm {
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
  const selected: string[] = [];
  if (term.namespaceSelector && !allNamespaces) {
    const nsSelector = labelSelectorFromObject(term.namespaceSelector);
    for (const ns of namespaces) if (labelSelectorMatches(nsSelector, ns.metadata?.labels ?? {})) selected.push(ns.metadata!.name!);
  }
  const set = allNamespaces ? undefined : new Set(listed.length > 0 || term.namespaceSelector ? [...listed, ...selected] : [owner.metadata?.namespace ?? 'default']);
  return { selector, namespaces: set, topologyKey: term.topologyKey };
}

function termMatches(t: CompiledTerm, pod: Pod): boolean {
  if (t.namespaces && !t.namespaces.has(pod.metadata?.namespace ?? '')) return false;
  return t.selector.matches(pod.metadata?.labels);
}

const domain = (key: string, value: string) => `${key}=${value}`;

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin, WatchingPlugin {
  readonly name = 'InterPodAffinity';
  readonly #informer: Informer<Namespace> | undefined;
  readonly #namespaces: () => NamespaceList;

  /**
   * With `client` the plugin watches namespaces itself; with `namespaces` it reads those (tests); with neither,
   * non-empty namespaceSelectors select no namespace.
   */
  constructor(opts: { client?: Client; namespaces?: () => NamespaceList; logger?: Logger } = {}) {
    if (opts.namespaces) this.#namespaces = opts.namespaces;
    else if (opts.client) {
      const inf = new Informer<Namespace>(opts.client.resource<Namespace>('namespaces'), { clock: realClock, logger: opts.logger });
      this.#informer = inf;
      this.#namespaces = () => inf.list();
    } else this.#namespaces = () => [];
  }

  start(signal: AbortSignal, changed: () => void): { synced: Promise<void>; done: Promise<void> } {
    const inf = this.#informer;
    if (!inf) return { synced: Promise.resolve(), done: Promise.resolve() };
    // A namespace's labels may bring it under a term's namespaceSelector.
    inf.onAdd(changed).onUpdate(changed);
    return { synced: inf.synced, done: inf.run(signal) };
  }

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined {
    const aff = pod.spec?.affinity;
    const namespaces = this.#namespaces();
    const s: State = {
      affinityTerms: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, pod, namespaces)),
      antiAffinityTerms: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, pod, namespaces)),
      affinityCounts: new Map(),
      antiAffinityCounts: new Map(),
      existingAntiAffinityCounts: new Map(),
      domainScores: new Map(),
    };
    const preferred = preferredTerms(pod, namespaces);
    const score = (t: CompiledTerm, weight: number, labels: Record<string, string>) => {
      const v = labels[t.topologyKey];
      if (v !== undefined) s.domainScores.set(domain(t.topologyKey, v), (s.domainScores.get(domain(t.topologyKey, v)) ?? 0) + weight);
    };
    // A pod without terms of its own (and no preferred ones) only meets the terms of placed pods that have
    // some: only those are visited, as upstream's nodes-with-affinity-pods list does.
    const ownTerms = s.affinityTerms.length > 0 || s.antiAffinityTerms.length > 0 || preferred.length > 0;
    for (const n of nodes) {
      const labels = n.node.metadata?.labels ?? {};
      for (const other of ownTerms ? n.pods : n.podsWithAffinity) {
        // The incoming pod's own terms against pods already placed.
        for (const t of s.affinityTerms) {
          if (labels[t.topologyKey] !== undefined && termMatches(t, other)) add(s.affinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
        for (const t of s.antiAffinityTerms) {
          if (labels[t.topologyKey] !== undefined && termMatches(t, other)) add(s.antiAffinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
        // Scoring: the incoming pod's preferred terms against the placed pod, and the placed pod's terms against it.
        for (const { term, weight } of preferred) if (termMatches(term, other)) score(term, weight, labels);
        if (other.spec?.affinity?.podAffinity || other.spec?.affinity?.podAntiAffinity) {
          for (const { term, weight } of existingPodScoredTerms(other, namespaces)) if (termMatches(term, pod)) score(term, weight, labels);
        }
        // Placed pods' anti-affinity against the incoming pod.
        for (const term of other.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          const t = compile(term, other, namespaces);
          if (labels[t.topologyKey] !== undefined && termMatches(t, pod)) add(s.existingAntiAffinityCounts, domain(t.topologyKey, labels[t.topologyKey]!));
        }
      }
    }
    state.write(STATE_KEY, s);
    return undefined;
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<State>(STATE_KEY);
    // Nothing to check (no terms either way): most pods, on every node.
    if (s.affinityTerms.length === 0 && s.antiAffinityTerms.length === 0 && s.existingAntiAffinityCounts.size === 0) return undefined;
    const labels = nodeInfo.node.metadata?.labels ?? {};
    // kube-scheduler's order: the pod's affinity, its anti-affinity, then placed pods' anti-affinity.
    if (!this.#satisfiesAffinity(s, pod, labels)) return unresolvable(ERR_REASON_AFFINITY);
    for (const t of s.antiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(domain(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
    if (s.existingAntiAffinityCounts.size > 0) for (const [k, v] of Object.entries(labels)) {
      if ((s.existingAntiAffinityCounts.get(domain(k, v)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return undefined;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const s = state.read<State>(STATE_KEY);
    if (s.domainScores.size === 0) return 0;
    let total = 0;
    for (const [k, v] of Object.entries(nodeInfo.node.metadata?.labels ?? {})) total += s.domainScores.get(domain(k, v)) ?? 0;
    return total;
  }

  /** Rescales between the lowest and highest node to 0..100 (all equal: 0). */
  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      min = Math.min(min, s.score);
      max = Math.max(max, s.score);
    }
    const diff = max - min;
    for (const s of scores) s.score = diff > 0 ? Math.floor((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
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
