/**
 * The scheduling framework's extension points, after kube-scheduler's `framework/interface.go`, cut down to
 * the ones a small platform needs: PreFilter, Filter, Score (+ NormalizeScore), Reserve, PreBind, Bind.
 *
 * One scheduling cycle, for one pod, runs them in this order:
 *
 *   preFilter (once) ─▶ filter (per node) ─▶ score (per feasible node) ─▶ normalizeScore ─▶ reserve
 *   ─▶ preBind, bind (asynchronously; on failure: unreserve)
 *
 * Plugins return `Status | undefined`; `undefined` is success. All calls but `bind` are synchronous and run
 * on the scheduler's single loop, so a plugin may read the NodeInfo without locking; none may keep it.
 */
import type { Pod } from '../../api/index.ts';
import type { CycleState } from './cycle-state.ts';
import type { NodeInfo } from './node-info.ts';
import type { Status } from './status.ts';

export interface Plugin {
  /** The plugin's name as Kubernetes spells it (`NodeResourcesFit`). */
  readonly name: string;
}

/**
 * The snapshot's lists beside all nodes (upstream's havePodsWithAffinityNodeInfoList and
 * havePodsWithRequiredAntiAffinityNodeInfoList): what InterPodAffinity visits instead of every node; and the
 * nodes per image, so ImageLocality need not visit every node either.
 */
export interface NodeLists {
  readonly withAffinity: readonly NodeInfo[];
  readonly withRequiredAntiAffinity: readonly NodeInfo[];
  /** Image name → how many of the nodes hold it (upstream's imageStates), for ImageLocality. */
  readonly imageNumNodes: ReadonlyMap<string, number>;
}

/** The lists made from `nodes` by looking at each (for callers without a cache: tests, what-ifs). */
export function nodeListsOf(nodes: readonly NodeInfo[]): NodeLists {
  const imageNumNodes = new Map<string, number>();
  for (const n of nodes) for (const name of n.imageSizes.keys()) imageNumNodes.set(name, (imageNumNodes.get(name) ?? 0) + 1);
  return { withAffinity: nodes.filter((n) => n.hasPodsWithAffinity), withRequiredAntiAffinity: nodes.filter((n) => n.hasPodsWithRequiredAntiAffinity), imageNumNodes };
}

export interface PreFilterPlugin extends Plugin {
  /**
   * Called once per cycle before any Filter; computes per-pod data into `state` (from `nodes`, the cycle's
   * snapshot, when it needs the pods of the whole cluster). A rejection here fails the pod on every node
   * with this status's message in place of the per-node histogram. `Skip` says the plugin's Filter has
   * nothing to check for this pod (it accepts every node), so the framework does not call it this cycle.
   * `lists` are the snapshot's lists of `nodes` (absent: make them with `nodeListsOf(nodes)`).
   */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], lists?: NodeLists): Status | undefined;
}

export interface FilterPlugin extends Plugin {
  /** Whether the pod can run on this node. Called for every node; must not change `nodeInfo`. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined;
}

export interface NodeScore {
  name: string;
  score: number;
}

/** The range every plugin's (normalized) score ends in. */
export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface ScorePlugin extends Plugin {
  /**
   * Optional: called once per cycle before any score, with the feasible nodes (the ones that will be scored),
   * to compute per-cycle data into `state`: upstream's PreScore. `Skip` says the plugin would score every
   * node 0 after normalizing (nothing to prefer): its score and normalizeScore are not called this cycle.
   */
  preScore?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined;
  /** Ranks one feasible node; after normalizeScore (if any) the value must be within 0..100. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  /** Optional: rescales all nodes' scores in place (e.g. to 0..100 relative to the best). */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
}

export interface ReservePlugin extends Plugin {
  /** Called when the pod is assumed on `nodeName`, before binding. A failure unreserves and fails the cycle. */
  reserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined;
  /** Undoes reserve. Must be idempotent and may be called even if this plugin's reserve was not. */
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

export interface PreBindPlugin extends Plugin {
  /** Called before binding, off the scheduling loop (e.g. to write what the binding relies on); a failure fails the binding. */
  preBind(state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined>;
}

/** A plugin that watches cluster objects of its own (informers beyond pods and nodes). */
export interface WatchingPlugin extends Plugin {
  /**
   * Starts its informers until `signal` aborts (`done`), `synced` once they are loaded; calls `changed` when
   * a change may let unschedulable pods fit (the scheduler retries them).
   */
  start(signal: AbortSignal, changed: () => void): { synced: Promise<void>; done: Promise<void> };
}

export interface BindPlugin extends Plugin {
  /** Binds the pod to the node through the API; returns a `Skip` status if it does not handle this pod. */
  bind(state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined>;
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as PreFilterPlugin).preFilter === 'function';
}
export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as FilterPlugin).filter === 'function';
}
export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as ScorePlugin).score === 'function';
}
export function isReservePlugin(p: Plugin): p is ReservePlugin {
  return typeof (p as ReservePlugin).reserve === 'function';
}
export function isPreBindPlugin(p: Plugin): p is PreBindPlugin {
  return typeof (p as PreBindPlugin).preBind === 'function';
}
export function isWatchingPlugin(p: Plugin): p is WatchingPlugin {
  return typeof (p as WatchingPlugin).start === 'function';
}
export function isBindPlugin(p: Plugin): p is BindPlugin {
  return typeof (p as BindPlugin).bind === 'function';
}

/**
 * Rescales scores to 0..100 relative to the highest (and, with `reverse`, flips them so the lowest raw
 * score wins): the framework's `helper.DefaultNormalizeScore`.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let highest = 0;
  for (const s of scores) highest = Math.max(highest, s.score);
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.floor((max * s.score) / highest);
    if (reverse) v = max - v;
    s.score = v;
  }
}
