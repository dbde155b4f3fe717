/**
 * A DaemonSet's history as ControllerRevisions (upstream's constructHistory and cleanupHistory): each
 * template the set has had is one revision named `<ds>-<hash>`, holding the patch that restores it
 * (`{"spec":{"template":{...,"$patch":"replace"}}}`, which `kubectl rollout undo` applies) and a revision
 * number. The current template's revision gets the highest number, also when an undo brings an older
 * revision back; revisions beyond revisionHistoryLimit that no pod runs are deleted.
 */
import type { ControllerRevision, DaemonSet } from '../../api/index.ts';
import { CONTROLLER_REVISION_HASH } from './daemon-pod.ts';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so that equal objects hash alike whatever their key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A short stable hash of the template (and the collision count), spelled as upstream's SafeEncodeString. */
export function templateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(template) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** The data a revision holds for a set: the patch that puts its template back. */
export function revisionData(ds: DaemonSet): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

/**
 * Key-order-independent equality of JSON values, where a null field is an absent one (both decode to Go's
 * zero value). The server stores a template's zero `metadata.creationTimestamp` as null; a revision written
 * before it did holds the same template without it, and must still match (or every pod would be rolled).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameJson(v, (b as unknown[])[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const present = (r: Record<string, unknown>) => Object.keys(r).filter((k) => r[k] != null);
  const ka = present(ra);
  if (ka.length !== present(rb).length) return false;
  return ka.every((k) => sameJson(ra[k], rb[k]));
}

export function newRevision(ds: DaemonSet, hash: string, revision: number): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata!.name}-${hash}`,
      namespace: ds.metadata!.namespace,
      labels: { ...ds.spec?.template?.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash },
      annotations: ds.metadata?.annotations ? { ...ds.metadata.annotations } : undefined,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata!.name!, uid: ds.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    data: revisionData(ds),
    revision,
  };
}

/** The revisions to delete: the oldest beyond `limit`, never the current one nor one a live pod runs. */
export function revisionsToPrune(revisions: ControllerRevision[], current: string, liveHashes: Set<string>, limit: number): ControllerRevision[] {
  const old = revisions
    .filter((r) => r.metadata?.name !== current && !liveHashes.has(r.metadata?.labels?.[CONTROLLER_REVISION_HASH] ?? ''))
    .sort((a, b) => a.revision - b.revision);
  return old.slice(0, Math.max(old.length - limit, 0));
}
