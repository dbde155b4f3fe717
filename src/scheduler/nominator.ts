/**
 * `Nominator`: the pods nominated to a node by preemption (`status.nominatedNodeName`) and not bound yet, as
 * upstream's nominator in the scheduling queue. While their victims terminate, the room they freed is held for
 * them: a pod of lower or equal priority is filtered as if the nominated pods already ran there
 * (`withNominated`). Filled from the pod informer (so it survives a scheduler restart) and by the scheduler
 * the moment it nominates; owned by the scheduler's loop.
 */
import type { Pod } from '../api/index.ts';
import type { NodeInfo } from './framework/index.ts';
import { priorityOf } from './preemption/select-victims.ts';

const uidOf = (pod: Pod) => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;

export class Nominator {
  /** By pod uid: the pod and the node it is nominated to. */
  readonly #byPod = new Map<string, { pod: Pod; node: string }>();

  /** Records (or, with no node, forgets) the nomination of a pending pod. */
  set(pod: Pod, node: string | undefined): void {
    if (node) this.#byPod.set(uidOf(pod), { pod, node });
    else this.#byPod.delete(uidOf(pod));
  }

  /** Follows a pod from the informer: pending pods with a nominatedNodeName are nominated, others are not. */
  observe(pod: Pod): void {
    const pending = !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp;
    this.set(pod, pending ? pod.status?.nominatedNodeName || undefined : undefined);
  }

  delete(pod: Pod): void {
    this.#byPod.delete(uidOf(pod));
  }

  nodeOf(pod: Pod): string | undefined {
    return this.#byPod.get(uidOf(pod))?.node;
  }

  /** The pods nominated to `node`. */
  podsOn(node: string): Pod[] {
    return [...this.#byPod.values()].filter((e) => e.node === node).map((e) => e.pod);
  }

  /**
   * `nodeInfo` as `pod` must see it: with the pods nominated there that are at least as important (other than
   * `pod` itself) added, on a copy; the node itself when there are none.
   */
  withNominated(pod: Pod, nodeInfo: NodeInfo): NodeInfo {
    const others = this.podsOn(nodeInfo.name).filter((p) => uidOf(p) !== uidOf(pod) && priorityOf(p) >= priorityOf(pod) && !nodeInfo.hasPod(uidOf(p)));
    if (others.length === 0) return nodeInfo;
    const copy = nodeInfo.clone();
    for (const p of others) copy.addPod(p);
    return copy;
  }
}
