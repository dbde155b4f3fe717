/**
 * `Framework`: runs a list of plugins at each extension point, in order, as one scheduling profile
 * (`default-scheduler`). Filters stop at the first plugin that rejects a node, so each node records one
 * plugin's reasons, as in kube-scheduler. Scores are weighted and summed.
 */
import type { Pod } from '../../api/index.ts';
import type { CycleState } from './cycle-state.ts';
import {
  isBindPlugin, isFilterPlugin, isPreBindPlugin, isPreFilterPlugin, isReservePlugin, isScorePlugin, isWatchingPlugin, MAX_NODE_SCORE,
  type BindPlugin, type FilterPlugin, type NodeScore, type Plugin, type PreBindPlugin, type PreFilterPlugin, type ReservePlugin,
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

  runPreFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined {
    for (const p of this.preFilters) {
      const s = guard(p.name, () => p.preFilter(state, pod, nodes));
      if (s) return { ...s, plugin: p.name };
    }
    return undefined;
  }

  runFilter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    for (const p of this.filters) {
      const s = guard(p.name, () => p.filter(state, pod, nodeInfo));
      if (s) return { ...s, plugin: p.name };
    }
    return undefined;
  }

  /** Weighted total score per node, in the order of `nodes`. */
  runScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): NodeScore[] {
    const totals: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const p of this.scorers) p.preScore?.(state, pod, nodes);
    for (const p of this.scorers) {
      const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: p.score(state, pod, n) }));
      p.normalizeScore?.(state, pod, scores);
      const weight = this.#weights[p.name] ?? 1;
      scores.forEach((s, i) => {
        if (s.score < 0 || s.score > MAX_NODE_SCORE) {
          throw new Error(`plugin ${p.name} returned an invalid score ${s.score} for node ${s.name}`);
        }
        totals[i]!.score += s.score * weight;
      });
    }
    return totals;
  }

  runReserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined {
    for (const p of this.reservers) {
      const s = guard(p.name, () => p.reserve(state, pod, nodeName));
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

function guard(plugin: string, fn: () => Status | undefined): Status | undefined {
  try {
    return fn();
  } catch (err) {
    return { ...errorStatus(err), reasons: [`running plugin ${plugin}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
