/**
 * PodConfig: the kubelet's pod sources (the API server's pods bound to this node, static manifests) merged into
 * one ordered stream of updates, as upstream's config.PodConfig does. Each source reports either its whole set
 * (`setPods`, the file source after each scan) or single changes (`addOrUpdate`/`remove`, the API informer);
 * PodConfig keeps the last set per source, diffs by UID and tells the listener, synchronously and in order:
 *
 *   ADD     a pod new to its source
 *   UPDATE  a pod whose spec or metadata changed (status-only changes are not reported: the kubelet writes them)
 *   DELETE  a pod that got a deletionTimestamp (graceful deletion started)
 *   REMOVE  a pod gone from its source
 */
import type { IPod } from 'kubernetes-models/v1/Pod';

export type PodSource = 'api' | 'file';
export type PodOperation = 'ADD' | 'UPDATE' | 'DELETE' | 'REMOVE';

export interface PodConfigUpdate {
  op: PodOperation;
  pod: IPod;
  source: PodSource;
}

export type PodConfigListener = (u: PodConfigUpdate) => void;

export const ANNOTATION_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANNOTATION_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANNOTATION_CONFIG_MIRROR = 'kubernetes.io/config.mirror';
export const ANNOTATION_CONFIG_SEEN = 'kubernetes.io/config.seen';

export function isMirrorPod(pod: IPod): boolean {
  return pod.metadata?.annotations?.[ANNOTATION_CONFIG_MIRROR] !== undefined;
}

export function isStaticPod(pod: IPod): boolean {
  const s = pod.metadata?.annotations?.[ANNOTATION_CONFIG_SOURCE];
  return s !== undefined && s !== 'api';
}

/** `<namespace>/<name>`: the key mirror pods and static pods share. */
export function podFullName(pod: IPod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

/** Whether two versions of a pod differ in anything the kubelet acts on (everything but status and bookkeeping). */
export function podsDifferSemantically(a: IPod, b: IPod): boolean {
  const strip = (p: IPod) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = p.metadata ?? {};
    return JSON.stringify({ meta, spec: p.spec });
  };
  return strip(a) !== strip(b);
}

export class PodConfig {
  readonly #sources = new Map<PodSource, Map<string, IPod>>();
  readonly #listeners: PodConfigListener[] = [];

  subscribe(fn: PodConfigListener): () => void {
    this.#listeners.push(fn);
    return () => {
      const i = this.#listeners.indexOf(fn);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Every pod currently known from every source. */
  pods(): IPod[] {
    return [...this.#sources.values()].flatMap((m) => [...m.values()]);
  }

  get(uid: string): IPod | undefined {
    for (const m of this.#sources.values()) {
      const p = m.get(uid);
      if (p) return p;
    }
    return undefined;
  }

  /** Replaces the whole set of a source (a snapshot), emitting the differences. */
  setPods(source: PodSource, pods: IPod[]): void {
    const current = this.#map(source);
    const seen = new Set<string>();
    for (const pod of pods) {
      seen.add(uid(pod));
      this.addOrUpdate(source, pod);
    }
    for (const [id, pod] of [...current]) {
      if (!seen.has(id)) this.remove(source, pod);
    }
  }

  addOrUpdate(source: PodSource, pod: IPod): void {
    const current = this.#map(source);
    const id = uid(pod);
    const old = current.get(id);
    current.set(id, pod);
    if (!old) {
      this.#emit({ op: 'ADD', pod, source });
      if (pod.metadata?.deletionTimestamp) this.#emit({ op: 'DELETE', pod, source });
      return;
    }
    if (!podsDifferSemantically(old, pod)) return;
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.#emit({ op: 'DELETE', pod, source });
    else this.#emit({ op: 'UPDATE', pod, source });
  }

  remove(source: PodSource, pod: IPod): void {
    const current = this.#map(source);
    const id = uid(pod);
    const old = current.get(id);
    if (!old) return;
    current.delete(id);
    this.#emit({ op: 'REMOVE', pod: old, source });
  }

  #map(source: PodSource): Map<string, IPod> {
    let m = this.#sources.get(source);
    if (!m) this.#sources.set(source, (m = new Map()));
    return m;
  }

  #emit(u: PodConfigUpdate): void {
    for (const fn of this.#listeners) fn(u);
  }
}

function uid(pod: IPod): string {
  return pod.metadata?.uid ?? '';
}
