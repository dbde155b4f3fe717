/**
 * The DaemonSet controller's pure decisions, after upstream's manage (podsShouldBeOnNode) and
 * rollingUpdate: given each node's fit and the daemon pods on it, which nodes get a new pod and which pods
 * go. Pods are "updated" when their `controller-revision-hash` is the current revision's; "available" when
 * Ready for minReadySeconds (the caller decides, with its clock).
 *
 *   manage:  node should run, no pod        → create
 *            node should run, failed pods   → delete them (a new one follows)
 *            node should run, several pods  → keep the oldest (with surge: the oldest updated one, and the
 *                                              oldest old one until the updated one is available)
 *            node may not keep its pod      → delete every pod
 *   rolling update (maxSurge 0): delete old pods, unavailable ones first, while fewer than maxUnavailable
 *                                nodes are unavailable; the manage pass then creates their replacements
 *   rolling update (maxSurge > 0): create an updated pod beside the old one on up to maxSurge nodes; delete
 *                                  the old one once the updated one is available
 */
import type { Pod } from '../../api/index.ts';
import { CONTROLLER_REVISION_HASH } from './daemon-pod.ts';
import type { NodeFit } from './node-fit.ts';

export interface NodePods {
  node: string;
  fit: NodeFit;
  /** The daemon pods for the node, not being deleted. */
  pods: Pod[];
}

export interface Actions {
  create: string[];
  delete: Pod[];
}

const byAge = (a: Pod, b: Pod) =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
const isFailed = (p: Pod) => p.status?.phase === 'Failed';

export function isUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH] === hash;
}

/** The pods to create and delete so that each node runs exactly the daemon pods it should. */
export function managePods(nodes: NodePods[], hash: string, surge: boolean, isAvailable: (p: Pod) => boolean): Actions {
  const out: Actions = { create: [], delete: [] };
  for (const { node, fit, pods } of nodes) {
    if (!fit.shouldContinueRunning) {
      out.delete.push(...pods);
      continue;
    }
    const failed = pods.filter(isFailed);
    const running = pods.filter((p) => !isFailed(p)).sort(byAge);
    out.delete.push(...failed);
    if (fit.shouldRun && running.length === 0) {
      // A failed pod is replaced once it is gone (the next pass), as upstream does.
      if (failed.length === 0) out.create.push(node);
      continue;
    }
    if (running.length <= 1) continue;
    let keep: Pod[];
    const updated = running.filter((p) => isUpdated(p, hash));
    if (surge && updated.length > 0) {
      const newest = updated[0]!;
      const old = running.find((p) => !isUpdated(p, hash));
      keep = old && !isAvailable(newest) ? [newest, old] : [newest];
    } else {
      keep = [running[0]!];
    }
    out.delete.push(...running.filter((p) => !keep.includes(p)));
  }
  return out;
}

/** The updated and the old pod on a node; undefined when there are several of either (manage cleans up first). */
function updatedAndOld(pods: Pod[], hash: string): { updated?: Pod; old?: Pod } | undefined {
  let updated: Pod | undefined;
  let old: Pod | undefined;
  for (const p of pods) {
    if (isFailed(p)) continue;
    if (isUpdated(p, hash)) {
      if (updated) return undefined;
      updated = p;
    } else {
      if (old) return undefined;
      old = p;
    }
  }
  return { updated, old };
}

/** One rolling-update step over the nodes that have or should have daemon pods. */
export function rollingUpdate(nodes: NodePods[], hash: string, maxUnavailable: number, maxSurge: number, isAvailable: (p: Pod) => boolean): Actions {
  // A node that should run a pod but has none (its old one just went) counts as unavailable.
  const withPods = nodes.filter((n) => n.pods.length > 0 || n.fit.shouldRun).sort((a, b) => a.node.localeCompare(b.node));
  if (maxSurge === 0) {
    let unavailable = 0;
    const replaceNow: Pod[] = [];
    const candidates: Pod[] = [];
    for (const n of withPods) {
      const pair = updatedAndOld(n.pods, hash);
      if (!pair || (!pair.updated && !pair.old) || (pair.updated && pair.old)) {
        unavailable++;
        continue;
      }
      if (pair.updated) {
        if (!isAvailable(pair.updated)) unavailable++;
      } else if (!isAvailable(pair.old!)) {
        replaceNow.push(pair.old!);
      } else if (unavailable < maxUnavailable) {
        candidates.push(pair.old!);
      }
    }
    const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
    return { create: [], delete: [...replaceNow, ...candidates.slice(0, room)] };
  }
  let surged = 0;
  const create: string[] = [];
  const del: Pod[] = [];
  for (const n of withPods) {
    const pair = updatedAndOld(n.pods, hash);
    if (!pair) {
      surged++;
      continue;
    }
    if (!pair.old) continue;
    if (!pair.updated) {
      if (!n.fit.shouldRun) continue;
      if (!isAvailable(pair.old)) create.push(n.node);
      else if (surged < maxSurge) {
        surged++;
        create.push(n.node);
      }
    } else if (!isAvailable(pair.updated)) {
      surged++;
    } else {
      del.push(pair.old);
    }
  }
  return { create, delete: del };
}

/** An int-or-percent of `total`, rounded up (upstream's GetScaledValueFromIntOrPercent with roundUp). */
export function scaledValue(v: number | string | undefined, total: number): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number.parseInt(v, 10) || 0;
}

/** maxSurge and maxUnavailable for `desired` nodes; both zero means one unavailable at a time. */
export function surgeAndUnavailable(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { maxSurge: number; maxUnavailable: number } {
  const surge = scaledValue(maxSurge, desired);
  const unavailable = scaledValue(maxUnavailable, desired);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}
