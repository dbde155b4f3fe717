/** Helpers for plugin tests: run a plugin's PreFilter + Filter or Score against one node with some pods on it. */
import type { Node, Pod } from '../../api/index.ts';
import { CycleState, NodeInfo, type FilterPlugin, type NodeScore, type Plugin, type PreFilterPlugin, type ScorePlugin, type Status } from '../framework/index.ts';

export function nodeInfoOf(node: Node, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(node);
  for (const p of pods) ni.addPod(p);
  return ni;
}

export function runFilter(plugin: Plugin & FilterPlugin, pod: Pod, node: Node, pods: Pod[] = [], others: NodeInfo[] = []): Status | undefined {
  const state = new CycleState();
  const info = nodeInfoOf(node, pods);
  const pre = (plugin as Partial<PreFilterPlugin>).preFilter?.call(plugin, state, pod, [info, ...others]);
  // Skip: the framework would not call this filter; it accepts every node.
  if (pre?.code === 'Skip') return undefined;
  if (pre) return pre;
  return plugin.filter(state, pod, info);
}

/** Scores every node (then normalizes, if the plugin does) and returns name → score. */
export function runScore(plugin: Plugin & ScorePlugin, pod: Pod, nodes: NodeInfo[]): Record<string, number> {
  const state = new CycleState();
  (plugin as Partial<PreFilterPlugin>).preFilter?.call(plugin, state, pod, nodes);
  // Skip: the framework would not score with this plugin; every node counts 0.
  if (plugin.preScore?.(state, pod, nodes)?.code === 'Skip') return Object.fromEntries(nodes.map((n) => [n.name, 0]));
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  plugin.normalizeScore?.(state, pod, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
