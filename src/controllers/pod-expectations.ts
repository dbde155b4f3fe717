/**
 * Upstream's ControllerExpectations for controllers that create and delete pods (ReplicaSet, DaemonSet): a
 * controller that has just sent creates and deletes for an owner waits until the pod informer has seen them
 * before it counts the owner's pods again, so a pass never acts twice on the same shortfall. Expectations older
 * than a TTL are ignored (a lost watch event must not block the owner forever).
 *
 * `watchOwnedPods` wires a pod informer to them: a pod's add or delete is seen against its controlling owner's
 * key and enqueues that owner; an orphan enqueues the owners that might adopt it.
 */
import type { Pod } from '../api/index.ts';
import type { Informer } from '../client/index.ts';
import type { Clock } from '../machinery/index.ts';

const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

export class PodExpectations {
  readonly #byKey = new Map<string, Expectation>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Records `adds` creates and the deletes of these pod uids about to be sent for `key`. */
  expect(key: string, adds: number, deleteUids: Iterable<string> = []): void {
    this.#byKey.set(key, { adds, deletes: new Set(deleteUids), at: this.#clock.now() });
  }

  /** A create seen by the informer, or one that failed and so never will be. */
  createObserved(key: string): void {
    const exp = this.#byKey.get(key);
    if (exp) exp.adds--;
  }

  /** A delete seen by the informer, or one that failed and so never will be. */
  deleteObserved(key: string, uid: string): void {
    this.#byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }

  /** Whether every expected create and delete has been seen (or the expectations are too old to wait on). */
  satisfied(key: string): boolean {
    const exp = this.#byKey.get(key);
    if (!exp || (exp.adds <= 0 && exp.deletes.size === 0)) return true;
    return this.#clock.now() - exp.at > EXPECTATIONS_TTL_MS;
  }
}

export interface OwnedPodHandlers {
  /** The queue key of the pod's controlling owner of this controller's kind, or undefined. */
  ownerKey(pod: Pod): string | undefined;
  enqueue(key: string): void;
  /** An orphan: enqueue the owners whose selector matches it (they may adopt it). */
  enqueueMatching(pod: Pod): void;
}

export function watchOwnedPods(pods: Informer<Pod>, expectations: PodExpectations, h: OwnedPodHandlers): void {
  pods
    .onAdd((pod) => {
      const key = h.ownerKey(pod);
      if (!key) return h.enqueueMatching(pod);
      expectations.createObserved(key);
      h.enqueue(key);
    })
    .onUpdate((old, pod) => {
      const oldKey = h.ownerKey(old);
      const key = h.ownerKey(pod);
      if (oldKey && oldKey !== key) h.enqueue(oldKey);
      if (key) h.enqueue(key);
      else h.enqueueMatching(pod);
    })
    .onDelete((pod) => {
      const key = h.ownerKey(pod);
      if (!key) return;
      expectations.deleteObserved(key, pod.metadata?.uid ?? '');
      h.enqueue(key);
    });
}
