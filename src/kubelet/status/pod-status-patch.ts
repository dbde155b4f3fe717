/**
 * The strategic merge patch the status manager sends to pods/status, as upstream's statusutil.PatchPodStatus
 * builds it: a two-way patch from the status the API server had (the GET just before) to the status the
 * kubelet wants, with the pod's uid in `metadata` as a precondition (the server refuses to move a uid, so a
 * patch meant for a deleted pod never lands on a new pod of the same name).
 *
 * Because the patch names only what changed, a field another writer set in between (the scheduler's
 * condition, a controller's DisruptionTarget, nominatedNodeName) survives: there is no read-modify-write of the
 * whole status and no 409 to retry. Lists the API merges by key (conditions by type, podIPs/hostIPs by ip)
 * are diffed element by element with a `$setElementOrder` directive, as CreateTwoWayMergePatch does; the
 * other lists (containerStatuses, ...) are atomic and sent whole when they differ.
 */
import { PATCH_META } from '../../api/index.ts';
import type { PodStatus } from '../kuberuntime/api.ts';

type Json = unknown;
type JsonMap = Record<string, Json>;

export interface PodStatusPatch {
  metadata: { uid: string };
  status?: JsonMap;
}

const isMap = (v: Json): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Equality as the typed objects on both ends see it: a field that is null, undefined or absent is the same
 * zero value (the server stores a zero time as null, `startedAt: null` in a container state the kubelet
 * left unset; the status we generate carries undefined fields its JSON leaves out). Comparing the JSON
 * trees strictly made such a status differ on every pass, and the atomic containerStatuses went out again.
 */
export function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (!isMap(a) || !isMap(b)) return false;
  for (const k of Object.keys(a)) if (a[k] != null && !sameJson(a[k], b[k])) return false;
  for (const k of Object.keys(b)) if (b[k] != null && a[k] == null) return false;
  return true;
}

/** The pods/status patch from `oldStatus` (the server's) to `newStatus`; `status` is absent when nothing changed. */
export function podStatusPatch(uid: string, oldStatus: PodStatus | undefined, newStatus: PodStatus): PodStatusPatch {
  const diff = diffMaps((oldStatus ?? {}) as JsonMap, newStatus as JsonMap, 'PodStatus');
  return Object.keys(diff).length ? { metadata: { uid }, status: diff } : { metadata: { uid } };
}

/** Two-way diff of two maps of `type` (a PATCH_META type name): changed keys, `null` for removed ones. */
export function diffMaps(oldMap: JsonMap, newMap: JsonMap, type: string | undefined): JsonMap {
  const patch: JsonMap = {};
  for (const [k, nv] of Object.entries(newMap)) {
    if (nv === undefined) continue;
    const ov = oldMap[k];
    if (ov === undefined || ov === null) {
      if (nv !== null) patch[k] = nv;
      continue;
    }
    const meta = (type && PATCH_META[type]?.[k]) || {};
    if (isMap(ov) && isMap(nv)) {
      const sub = diffMaps(ov, nv, meta.type);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (Array.isArray(ov) && Array.isArray(nv) && meta.list === 'merge' && meta.key) {
      Object.assign(patch, diffKeyedList(k, ov, nv, meta.key, meta.type));
    } else if (!sameJson(ov, nv)) {
      patch[k] = nv;
    }
  }
  for (const k of Object.keys(oldMap)) if (oldMap[k] != null && newMap[k] === undefined) patch[k] = null;
  return patch;
}

/** A list merged by `key`: changed and new elements, `$patch: delete` for removed ones, and the new order. */
function diffKeyedList(
  field: string,
  oldList: Json[],
  newList: Json[],
  key: string,
  type: string | undefined,
): JsonMap {
  if (sameJson(oldList, newList)) return {};
  const keyOf = (v: Json) => JSON.stringify(isMap(v) ? v[key] : v);
  const oldByKey = new Map(oldList.map((o) => [keyOf(o), o]));
  const newKeys = new Set(newList.map(keyOf));
  const items: Json[] = [];
  for (const n of newList) {
    const o = oldByKey.get(keyOf(n));
    if (o === undefined) items.push(n);
    else if (isMap(o) && isMap(n)) {
      const sub = diffMaps(o, n, type);
      if (Object.keys(sub).length) items.push({ [key]: n[key], ...sub });
    }
  }
  for (const o of oldList) if (!newKeys.has(keyOf(o)) && isMap(o)) items.push({ $patch: 'delete', [key]: o[key] });
  // No element changed (another order only): nothing to write, as upstream's status manager compares
  // conditions by type (isPodStatusByKubeletEqual), not position (test/integration/kubelet-status-patch.test.ts).
  if (items.length === 0) return {};
  const out: JsonMap = { [`$setElementOrder/${field}`]: newList.map((n) => (isMap(n) ? { [key]: n[key] } : n)) };
  if (items.length) out[field] = items;
  return out;
}
