/**
 * InterPodAffinity (filter and score): the pod's required pod affinity and anti-affinity, and the required
 * anti-affinity of pods already placed, judged per topology domain (the node label named by `topologyKey`).
 * PreFilter counts, over every pod in the cycle's snapshot (bound and assumed), the domains that hold pods
 * matching each of the pod's required terms, and, over only the nodes with pods that have required
 * anti-affinity (the snapshot's list), the domains whose pods' anti-affinity the pod would break; Filter then
 * looks up the node's domains. A pod with no required terms in a cluster where no placed pod has required
 * anti-affinity skips the filter (upstream's Skip). Each pod's terms are compiled once (per pod object).
 *
 * Score (computed at PreScore), as upstream's: each placed pod that the incoming pod's preferred affinity term matches adds the term's
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
  MAX_NODE_SCORE, nodeListsOf, skip, unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type NodeLists, type NodeScore, type PreFilterPlugin, type ScorePlugin, type Status, type WatchingPlugin,
} from '../../framework/index.ts';

export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const STATE_KEY = 'PreFilterInterPodAffinity';
const SCORE_KEY = 'PreScoreInterPodAffinity';

/**
 * A term ready to match pods: its selector, the namespaces it names (undefined = all) and, for a non-empty
 * namespaceSelector, that selector (read against the namespaces' labels when matching: they may change).
 */
interface CompiledTerm {
  selector: ParsedLabelSelector;
  namespaces: Set<string> | undefined;
  namespaceSelector: ParsedLabelSelector | undefined;
  topologyKey: string;
}

/** A weighted term: +weight for affinity, -weight for anti-affinity. */
interface ScoredTerm {
  term: CompiledTerm;
  weight: number;
}

/** A pod's terms, compiled once per pod object (upstream's PodInfo keeps them the same way). */
interface PodTerms {
  requiredAffinity: CompiledTerm[];
  requiredAntiAffinity: CompiledTerm[];
  /** Its preferred terms (weighted ±). */
  preferred: ScoredTerm[];
  /** Its terms as a placed pod scores others by: required affinity with weight 1, then the preferred ones. */
  asExisting: ScoredTerm[];
}

/** hardPodAffinityWeight: how much a placed pod's required affinity to the incoming pod counts in scoring. */
const HARD_POD_AFFINITY_WEIGHT = 1;

const termsOf = new WeakMap<Pod, PodTerms>();

function podTerms(pod: Pod): PodTerms {
  let t = termsOf.get(pod);
  if (t) return t;
  const aff = pod.spec?.affinity;
  const requiredAffinity = (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compile(x, pod));
  const preferred = [
    ...(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ term: compile(w.podAffinityTerm, pod), weight: w.weight })),
    ...(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ term: compile(w.podAffinityTerm, pod), weight: -w.weight })),
  ];
  t = {
    requiredAffinity,
    requiredAntiAffinity: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compile(x, pod)),
    preferred,
    asExisting: [...requiredAffinity.map((term) => ({ term, weight: HARD_POD_AFFINITY_WEIGHT })), ...preferred],
  };
  termsOf.set(pod, t);
  return t;
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
  if (allNamespaces) return { selector, namespaces: undefined, namespaceSelector: undefined, topologyKey: term.topologyKey };
  const listed = term.namespaces ?? [];
  // The namespaces listed and those the selector picks; neither given: the owner's own namespace.
  const namespaces = new Set(listed.length > 0 || term.namespaceSelector ? listed : [owner.metadata?.namespace ?? 'default']);
  const namespaceSelector = term.namespaceSelector ? labelSelectorFromObject(term.namespaceSelector) : undefined;
  return { selector, namespaces, namespaceSelector, topologyKey: term.topologyKey };
}

/** Namespace name → its labels, made once per cycle and only when a namespaceSelector asks. */
type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

function termMatches(t: CompiledTerm, pod: Pod, nsLabels: NamespaceLabels): boolean {
  if (t.namespaces) {
    const ns = pod.metadata?.namespace ?? '';
    if (!t.namespaces.has(ns)) {
      const labels = t.namespaceSelector ? nsLabels(ns) : undefined;
      if (!labels || !labelSelectorMatches(t.namespaceSelector!, labels)) return false;
    }
  }
  return t.selector.matches(pod.metadata?.labels);
}

/** topologyKey → topology value → a count or score. Keyed twice so a node's lookup builds no string. */
type ByDomain = Map<string, Map<string, number>>;

function addTo(m: ByDomain, key: string, value: string, n: number): void {
  let byValue = m.get(key);
  if (!byValue) m.set(key, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + n);
}

interface State {
  terms: PodTerms;
  affinityCounts: ByDomain;
  antiAffinityCounts: ByDomain;
  existingAntiAffinityCounts: ByDomain;
  /** The same as an array of entries, made by the first Filter call. */
  existingAntiAffinityByKey?: [string, Map<string, number>][];
  /** For PreScore, which scores over every node, not only the feasible ones. */
  nodes: readonly NodeInfo[];
  lists: NodeLists;
  nsLabels: NamespaceLabels;
}

interface ScoreState {
  /** Domains → the preferred-term score (may be negative). */
  domainScores: ByDomain;
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin, WatchingPlugin {
  readonly name = 'InterPodAffinity';
  readonly #informer: Informer<Namespace> | undefined;
  readonly #namespaces: () => readonly Namespace[];

  /**
   * With `client` the plugin watches namespaces itself; with `namespaces` it reads those (tests); with neither,
   * non-empty namespaceSelectors select no namespace.
   */
  constructor(opts: { client?: Client; namespaces?: () => readonly Namespace[]; logger?: Logger } = {}) {
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

  /** Reads the namespaces' labels at most once per cycle, the first time a namespaceSelector needs them. */
  #namespaceLabels(): NamespaceLabels {
    let byName: Map<string, Record<string, string>> | undefined;
    return (ns) => {
      byName ??= new Map(this.#namespaces().map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]));
      return byName.get(ns);
    };
  }

  /**
   * Counts, per topology domain, the placed pods the incoming pod's required terms match (over every node,
   * when it has such terms), and the placed pods whose required anti-affinity matches the incoming pod (over
   * only the nodes that have such pods). Nothing either way: Skip, the filter has nothing to check.
   */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], lists = nodeListsOf(nodes)): Status | undefined {
    const terms = podTerms(pod);
    const nsLabels = this.#namespaceLabels();
    const s: State = { terms, affinityCounts: new Map(), antiAffinityCounts: new Map(), existingAntiAffinityCounts: new Map(), nodes, lists, nsLabels };
    state.write(STATE_KEY, s);
    for (const n of lists.withRequiredAntiAffinity) {
      const labels = n.node.metadata?.labels ?? {};
      for (const other of n.podsWithRequiredAntiAffinity) {
        for (const t of podTerms(other).requiredAntiAffinity) {
          const v = labels[t.topologyKey];
          if (v !== undefined && termMatches(t, pod, nsLabels)) addTo(s.existingAntiAffinityCounts, t.topologyKey, v, 1);
        }
      }
    }
    if (terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0) {
      for (const n of nodes) {
        if (n.podCount === 0) continue;
        const labels = n.node.metadata?.labels ?? {};
        for (const other of n.pods) {
          for (const t of terms.requiredAffinity) {
            const v = labels[t.topologyKey];
            if (v !== undefined && termMatches(t, other, nsLabels)) addTo(s.affinityCounts, t.topologyKey, v, 1);
          }
          for (const t of terms.requiredAntiAffinity) {
            const v = labels[t.topologyKey];
            if (v !== undefined && termMatches(t, other, nsLabels)) addTo(s.antiAffinityCounts, t.topologyKey, v, 1);
          }
        }
      }
    } else if (s.existingAntiAffinityCounts.size === 0) return skip();
    return undefined;
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<State>(STATE_KEY);
    const labels = nodeInfo.node.metadata?.labels ?? {};
    // kube-scheduler's order: the pod's affinity, its anti-affinity, then placed pods' anti-affinity.
    if (s.terms.requiredAffinity.length > 0 && !satisfiesAffinity(s, pod, labels)) return unresolvable(ERR_REASON_AFFINITY);
    for (const t of s.terms.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(t.topologyKey)?.get(v) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
    // An array, not the map's iterator: this runs for every node the cycle filters.
    s.existingAntiAffinityByKey ??= [...s.existingAntiAffinityCounts];
    for (let i = 0; i < s.existingAntiAffinityByKey.length; i++) {
      const [key, byValue] = s.existingAntiAffinityByKey[i]!;
      const v = labels[key];
      if (v !== undefined && (byValue.get(v) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return undefined;
  }

  /**
   * Scores each domain: the incoming pod's preferred terms against the pods placed there, and the placed
   * pods' terms against the incoming pod. Over every node when the pod has preferred terms, else over only
   * the nodes whose pods have terms; nothing at all to score: Skip (every node would score 0).
   */
  preScore(state: CycleState, pod: Pod): Status | undefined {
    const s = state.read<State>(STATE_KEY);
    const { preferred } = s.terms;
    if (preferred.length === 0 && s.lists.withAffinity.length === 0) return skip();
    const scores: ScoreState = { domainScores: new Map() };
    state.write(SCORE_KEY, scores);
    for (const n of preferred.length > 0 ? s.nodes : s.lists.withAffinity) {
      const labels = n.node.metadata?.labels ?? {};
      for (const other of preferred.length > 0 ? n.pods : n.podsWithAffinity) {
        for (const { term, weight } of preferred) {
          const v = labels[term.topologyKey];
          if (v !== undefined && termMatches(term, other, s.nsLabels)) addTo(scores.domainScores, term.topologyKey, v, weight);
        }
        if (!other.spec?.affinity?.podAffinity && !other.spec?.affinity?.podAntiAffinity) continue;
        for (const { term, weight } of podTerms(other).asExisting) {
          const v = labels[term.topologyKey];
          if (v !== undefined && termMatches(term, pod, s.nsLabels)) addTo(scores.domainScores, term.topologyKey, v, weight);
        }
      }
    }
    return scores.domainScores.size === 0 ? skip() : undefined;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const s = state.read<ScoreState>(SCORE_KEY);
    const labels = nodeInfo.node.metadata?.labels ?? {};
    let total = 0;
    for (const [key, byValue] of s.domainScores) {
      const v = labels[key];
      if (v !== undefined) total += byValue.get(v) ?? 0;
    }
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
}

function satisfiesAffinity(s: State, pod: Pod, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.terms.requiredAffinity) {
    const v = labels[t.topologyKey];
    // The node must carry every topology label the terms name.
    if (v === undefined) return false;
    if ((s.affinityCounts.get(t.topologyKey)?.get(v) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group with affinity to itself: nothing matches anywhere yet, but it matches its own
  // terms, so it may go (otherwise such groups could never start).
  return s.affinityCounts.size === 0 && s.terms.requiredAffinity.every((t) => termMatches(t, pod, s.nsLabels));
}
