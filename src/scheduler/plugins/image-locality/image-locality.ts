/**
 * ImageLocality (score): prefers nodes that already hold the pod's images (`node.status.images`), as upstream:
 * each image present adds its size scaled by the share of nodes that have it (so an image everywhere does not
 * pull every pod to one node), and the sum is mapped to 0..100 between 23 MB and 1000 MB per container.
 * Image names match as the node reports them, with `:latest` added to a name with neither tag nor digest.
 */
import type { Pod } from '../../../api/index.ts';
import { MAX_NODE_SCORE, nodeListsOf, skip, type NodeLists, type CycleState, type NodeInfo, type PreFilterPlugin, type ScorePlugin, type Status } from '../../framework/index.ts';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const STATE_KEY = 'PreScoreImageLocality';

interface State {
  /** Image name → how many nodes hold it. */
  numNodes: Map<string, number>;
  totalNodes: number;
  images: string[];
}

/** `busybox` → `busybox:latest`; names with a tag or digest stay as they are. */
export function normalizedImageName(name: string): string {
  if (name.includes('@')) return name;
  const lastSlash = name.lastIndexOf('/');
  return name.slice(lastSlash + 1).includes(':') ? name : `${name}:latest`;
}

/** calculatePriority: the summed scores mapped to 0..100 between the thresholds. */
export function imageScore(sum: number, numContainers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

export class ImageLocality implements PreFilterPlugin, ScorePlugin {
  readonly name = 'ImageLocality';

  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], lists?: NodeLists): Status | undefined {
    const images = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(c.image ?? ''));
    // The cache counts the nodes per image as nodes change; without it (tests), count them here.
    const all = lists?.imageNumNodes ?? nodeListsOf(nodes).imageNumNodes;
    const numNodes = new Map<string, number>();
    for (const name of images) {
      const n = all.get(name);
      if (n) numNodes.set(name, n);
    }
    state.write(STATE_KEY, { numNodes, totalNodes: nodes.length, images } satisfies State);
    return undefined;
  }

  /** No node holds any of the pod's images: every node would score 0 (below the threshold), so Skip. */
  preScore(state: CycleState): Status | undefined {
    return state.read<State>(STATE_KEY).numNodes.size === 0 ? skip() : undefined;
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): number {
    const s = state.read<State>(STATE_KEY);
    if (s.images.length === 0) return 0;
    const sizes = nodeInfo.imageSizes;
    let sum = 0;
    for (const name of s.images) {
      const size = sizes.get(name);
      if (size === undefined) continue;
      sum += Math.trunc(size * ((s.numNodes.get(name) ?? 0) / Math.max(s.totalNodes, 1)));
    }
    return imageScore(sum, s.images.length);
  }
}
