/**
 * `Framework`: runs a list of plugins at each extension point, in order, as one scheduling profile
 * (`default-scheduler`). Filters stop at the first plugin that rejects a node, so each node records one
 * plugin's reasons, as in kube-scheduler. Scores are weighted and summed.
 */
import type { Pod } from '../../api/index.ts';
import type { CycleState } from './cycle-state.ts';
import {
  isBindPlugin, isFilterPlugin, isPreBindPlugin, isPreFilterPlugin, isReservePlugin, isScorePlugin, isWatchingPlugin, MAX_NODE_SCORE,
  type BindPlugin, type FilterPlugin, type NodeLists, type NodeScore, type Plugin, type PreBindPlugin, type PreFilterPlugin, type ReservePlugin,
  type ScorePlugin, type WatchingPlugin,
} from './interface.ts';
import type { NodeInfo } from './node-info.ts';
import { errorStatus, type Status } from './status.ts';

export interface FrameworkConfig {
  /** Plugins in the order they run at each extension point. */
  plugins: Plugin[];
  /** Score weights by plugin name (default 1). */
  weights?: Record<string, number>;
}

export class Framework {
  readonly preFilters: PreFilterPlugin[];
  readonly filters: FilterPlugin[];
  readonly scorers: ScorePlugin[];
  readonly reservers: ReservePlugin[];
  readonly preBinders: PreBindPlugin[];
  readonly binders: BindPlugin[];
  /** Plugins with informers of their own, started by the scheduler. */
  readonly watchers: WatchingPlugin[];
  readonly #weights: Record<string, number>;

  constructor(config: FrameworkConfig) {
    const names = new Set<string>();
    for (const p of config.plugins) {
      if (names.has(p.name)) throw new Error(`scheduler framework: plugin ${p.name} registered twice`);
      names.add(p.name);
    }
    this.preFilters = config.plugins.filter(isPreFilterPlugin);
    this.filters = config.plugins.filter(isFilterPlugin);
    this.scorers = config.plugins.filter(isScorePlugin);
    this.reservers = config.plugins.filter(isReservePlugin);
    this.preBinders = config.plugins.filter(isPreBindPlugin);
    this.binders = config.plugins.filter(isBindPlugin);
    this.watchers = config.plugins.filter(isWatchingPlugin);
    this.#weights = config.weights ?? {};
    if (this.binders.length === 0) throw new Error('scheduler framework: at least one bind plugin is required');
  }

  /**
   * Runs every PreFilter; a rejection or error is returned (with the plugin's name). A plugin that answers
   * `Skip` has nothing to check for this pod: its Filter is left out of this cycle (upstream's
   * SkipFilterPlugins), so the per-node loop calls only the filters that can say no.
   */
  runPreFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], lists?: NodeLists): Status | undefined {
    let skipped: Set<string> | undefined;
    for (const p of this.preFilters) {
      let s: Status | undefined;
      try {
        s = p.preFilter(state, pod, nodes, lists);
      } catch (err) {
        s = pluginError(p.name, err);
      }
      if (!s) continue;
      if (s.code === 'Skip') (skipped ??= new Set()).add(p.name);
      else return { ...s, plugin: p.name };
    }
    state.filters = skipped ? this.filters.filter((p) => !skipped.has(p.name)) : this.filters;
    return undefined;
  }

  /** The filters of this cycle (those whose PreFilter did not skip), in order, until one rejects the node. */
  runFilter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const filters = state.filters ?? this.filters;
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i]!;
      let s: Status | undefined;
      try {
        s = p.filter(state, pod, nodeInfo);
      } catch (err) {
        s = pluginError(p.name, err);
      }
      if (s) return { ...s, plugin: p.name };
    }
    return undefined;
  }

  /**
   * Weighted total score per node, in the order of `nodes`. A plugin whose PreScore answers `Skip` scores 0
   * everywhere without being called per node (upstream's SkipScorePlugins). One array of scores is reused
   * for every plugin: a cycle scores hundreds of nodes with each of them.
   */
  runScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): NodeScore[] {
    const totals: NodeScore[] = new Array<NodeScore>(nodes.length);
    const scores: NodeScore[] = new Array<NodeScore>(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      totals[i] = { name: nodes[i]!.name, score: 0 };
      scores[i] = { name: nodes[i]!.name, score: 0 };
    }
    for (const p of this.scorers) {
      if (p.preScore?.(state, pod, nodes)?.code === 'Skip') continue;
      for (let i = 0; i < nodes.length; i++) scores[i]!.score = p.score(state, pod, nodes[i]!);
      p.normalizeScore?.(state, pod, scores);
      const weight = this.#weights[p.name] ?? 1;
      for (let i = 0; i < nodes.length; i++) {
        const s = scores[i]!;
        if (s.score < 0 || s.score > MAX_NODE_SCORE) {
          throw new Error(`plugin ${p.name} returned an invalid score ${s.score} for node ${s.name}`);
        }
        totals[i]!.score += s.score * weight;
      }
    }
    return totals;
  }

  runReserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined {
    for (const p of this.reservers) {
      let s: Status | undefined;
      try {
        s = p.reserve(state, pod, nodeName);
      } catch (err) {
        s = pluginError(p.name, err);
      }
      if (s) {
        this.runUnreserve(state, pod, nodeName);
        return { ...s, plugin: p.name };
      }
    }
    return undefined;
  }

  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    // Reverse order, as the framework does.
    for (const p of [...this.reservers].reverse()) {
      try {
        p.unreserve(state, pod, nodeName);
      } catch {
        // Unreserve must not fail the cleanup of the others.
      }
    }
  }

  async runBind(state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined> {
    for (const p of this.preBinders) {
      let s: Status | undefined;
      try {
        s = await p.preBind(state, pod, nodeName, signal);
      } catch (err) {
        s = errorStatus(err);
      }
      if (s) return { ...s, plugin: p.name };
    }
    for (const p of this.binders) {
      let s: Status | undefined;
      try {
        s = await p.bind(state, pod, nodeName, signal);
      } catch (err) {
        s = errorStatus(err);
      }
      if (s?.code === 'Skip') continue;
      return s ? { ...s, plugin: p.name } : undefined;
    }
    return { code: 'Error', reasons: ['no bind plugin handled the pod'] };
  }
}

function pluginError(plugin: string, err: unknown): Status {
  return { ...errorStatus(err), reasons: [`running plugin ${plugin}: ${err instanceof Error ? err.message : String(err)}`] };
}
