/**
 * The scheduler cache: every node and the pods charged to it, bound (seen through the informer) or assumed
 * (placed by this scheduler, binding still in flight). Assuming a pod charges its node at once, so the next
 * pod's cycle, which may start before the binding reaches the API server, sees the first pod's requests and
 * host ports. The informer's update with `spec.nodeName` set confirms an assumed pod; a failed binding
 * `forget`s it.
 *
 *   assume ─▶ [assumed] ──informer: pod bound──▶ [bound] ──informer: deleted / terminal──▶ gone
 *                 └──────── bind failed: forget ─▶ gone
 *
 * Snapshot: upstream copies the NodeInfos that changed into a snapshot at the start of each cycle, because
 * its cache is changed by other goroutines while a cycle runs. Here cycles are synchronous on the one loop
 * that also applies informer events, so a cycle reads the live NodeInfos and nothing is copied; what is
 * kept, as upstream's snapshot keeps it, are the lists a cycle needs: all nodes, the nodes with pods that
 * have pod (anti-)affinity terms, the nodes with pods that have required anti-affinity terms, and how many
 * nodes hold each image. Each list is rebuilt only after a change that can alter it (a node added or
 * removed, a pod with such terms placed or gone), not in every cycle; the image counts follow every node
 * change as it comes.
 */
import type { Node, Pod } from '../api/index.ts';
import { hasPodAffinityTerms, NodeInfo, shareParsedRequests, type NodeLists } from './framework/index.ts';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
}

const uidOf = (pod: Pod) => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  /** Pods whose node is not (yet) known: kept so their requests count once the node appears. */
  readonly #orphans = new Map<string, Set<string>>();
  /** Image name → how many nodes hold it (upstream's imageStates), kept as nodes come, change and go. */
  readonly #imageNumNodes = new Map<string, number>();
  /** The lists of the last snapshot; undefined once a change may have altered them. */
  #all: NodeInfo[] | undefined;
  #lists: NodeLists | undefined;

  addNode(node: Node): void {
    const name = node.metadata!.name!;
    const existing = this.#nodes.get(name);
    if (existing) {
      if (existing.node === node) return;
      this.#countImages(existing, -1);
      existing.node = node;
      this.#countImages(existing, 1);
      return;
    }
    const info = new NodeInfo(node);
    this.#countImages(info, 1);
    for (const uid of this.#orphans.get(name) ?? []) {
      const ps = this.#pods.get(uid);
      if (ps) info.addPod(ps.pod);
    }
    this.#orphans.delete(name);
    this.#nodes.set(name, info);
    this.#all = undefined;
    this.#lists = undefined;
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata!.name!;
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#nodes.delete(name);
    this.#countImages(info, -1);
    this.#all = undefined;
    this.#lists = undefined;
    // Its pods stay known, so a node that comes back (re-registration) is charged again.
    const uids = new Set<string>();
    for (const [uid, ps] of this.#pods) if (ps.nodeName === name) uids.add(uid);
    if (uids.size > 0) this.#orphans.set(name, uids);
  }

  /** A pod the informer reports bound to a node (confirms an assumed one). Terminal pods free their node. */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      this.removePod(pod);
      return;
    }
    const uid = uidOf(pod);
    const prev = this.#pods.get(uid);
    if (prev && prev.nodeName !== nodeName) this.removePod(prev.pod);
    this.#pods.set(uid, { pod, nodeName, assumed: false });
    this.#charge(pod, nodeName);
  }

  removePod(pod: Pod): void {
    const uid = uidOf(pod);
    const ps = this.#pods.get(uid);
    if (!ps) return;
    this.#pods.delete(uid);
    this.#nodes.get(ps.nodeName)?.removePod(ps.pod);
    if (hasPodAffinityTerms(ps.pod)) this.#lists = undefined;
    this.#orphans.get(ps.nodeName)?.delete(uid);
  }

  /** Charges `nodeName` with the pod before its binding is confirmed. */
  assumePod(pod: Pod, nodeName: string): void {
    const uid = uidOf(pod);
    if (this.#pods.has(uid)) throw new Error(`scheduler cache: pod ${pod.metadata?.namespace}/${pod.metadata?.name} is already in the cache`);
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    shareParsedRequests(pod, assumed);
    this.#pods.set(uid, { pod: assumed, nodeName, assumed: true });
    this.#charge(assumed, nodeName);
  }

  /** Undoes `assumePod` after a failed binding (a no-op once the binding was confirmed). */
  forgetPod(pod: Pod): void {
    const ps = this.#pods.get(uidOf(pod));
    if (ps?.assumed) this.removePod(ps.pod);
  }

  isAssumed(pod: Pod): boolean {
    return this.#pods.get(uidOf(pod))?.assumed ?? false;
  }

  /** Whether the cache has the pod bound or assumed somewhere. */
  hasPod(pod: Pod): boolean {
    return this.#pods.has(uidOf(pod));
  }

  /**
   * The nodes as the next cycle sees them (the live NodeInfos: cycles run on one loop). The same array until
   * a node is added or removed: callers must not change it.
   */
  nodeInfos(): readonly NodeInfo[] {
    this.#all ??= [...this.#nodes.values()];
    return this.#all;
  }

  /** The nodes that carry pods with pod (anti-)affinity terms, and those with required anti-affinity terms. */
  nodeLists(): NodeLists {
    this.#lists ??= {
      withAffinity: this.nodeInfos().filter((n) => n.hasPodsWithAffinity),
      withRequiredAntiAffinity: this.nodeInfos().filter((n) => n.hasPodsWithRequiredAntiAffinity),
      imageNumNodes: this.#imageNumNodes,
    };
    return this.#lists;
  }

  #countImages(info: NodeInfo, sign: 1 | -1): void {
    for (const name of info.imageSizes.keys()) {
      const n = (this.#imageNumNodes.get(name) ?? 0) + sign;
      if (n > 0) this.#imageNumNodes.set(name, n);
      else this.#imageNumNodes.delete(name);
    }
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  #charge(pod: Pod, nodeName: string): void {
    const info = this.#nodes.get(nodeName);
    if (hasPodAffinityTerms(pod)) this.#lists = undefined;
    if (info) info.addPod(pod);
    else {
      const set = this.#orphans.get(nodeName) ?? new Set<string>();
      set.add(uidOf(pod));
      this.#orphans.set(nodeName, set);
    }
  }
}
