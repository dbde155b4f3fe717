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
  /** By node: its nominated pods by uid (every cycle asks for each node's). */
  readonly #byNode = new Map<string, Map<string, Pod>>();

  /** Records (or, with no node, forgets) the nomination of a pending pod. */
  set(pod: Pod, node: string | undefined): void {
    const uid = uidOf(pod);
    this.#forget(uid);
    if (!node) return;
    this.#byPod.set(uid, { pod, node });
    let on = this.#byNode.get(node);
    if (!on) this.#byNode.set(node, (on = new Map()));
    on.set(uid, pod);
  }

  #forget(uid: string): void {
    const had = this.#byPod.get(uid);
    if (!had) return;
    this.#byPod.delete(uid);
    const on = this.#byNode.get(had.node);
    on?.delete(uid);
    if (on?.size === 0) this.#byNode.delete(had.node);
  }

  /** Follows a pod from the informer: pending pods with a nominatedNodeName are nominated, others are not. */
  observe(pod: Pod): void {
    const pending = !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp;
    this.set(pod, pending ? pod.status?.nominatedNodeName || undefined : undefined);
  }

  delete(pod: Pod): void {
    this.#forget(uidOf(pod));
  }

  nodeOf(pod: Pod): string | undefined {
    return this.#byPod.get(uidOf(pod))?.node;
  }

  /** The pods nominated to `node`. */
  podsOn(node: string): Pod[] {
    const on = this.#byNode.get(node);
    return on ? [...on.values()] : [];
  }

  /**
   * `nodeInfo` as `pod` must see it: with the pods nominated there that are at least as important (other than
   * `pod` itself) added, on a copy; the node itself when there are none.
   */
  withNominated(pod: Pod, nodeInfo: NodeInfo): NodeInfo {
    // Nominations are rare (preemption only): most cycles have none anywhere.
    if (this.#byNode.size === 0 || !this.#byNode.has(nodeInfo.name)) return nodeInfo;
    const others = this.podsOn(nodeInfo.name).filter((p) => uidOf(p) !== uidOf(pod) && priorityOf(p) >= priorityOf(pod) && !nodeInfo.hasPod(uidOf(p)));
    if (others.length === 0) return nodeInfo;
    const copy = nodeInfo.clone();
    for (const p of others) copy.addPod(p);
    return copy;
  }
}
