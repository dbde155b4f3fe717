/**
 * A StatefulSet's history as ControllerRevisions, as upstream's StatefulSet controller keeps it: each template
 * the set has had is one revision named `<set>-<hash>` (the hash of the template and the collision count),
 * labelled with the template's labels and `controller.kubernetes.io/hash`, owned by the set, holding the patch
 * that restores the template (`{"spec":{"template":{...,"$patch":"replace"}}}`, what `kubectl rollout undo`
 * applies) and a revision number. The update revision (the set's current template) has the highest number,
 * also when an undo brings an older template back; revisions beyond revisionHistoryLimit that no pod runs and
 * that are neither the current nor the update revision are pruned. Pure: the controller does the writes.
 */
import type { ControllerRevision, PodTemplateSpec, StatefulSet } from '../../api/index.ts';
import { sameJson, templateHash } from '../daemonset/history.ts';
import { ownerRef } from './identity.ts';

export const HASH_LABEL = 'controller.kubernetes.io/hash';

export function revisionData(sts: StatefulSet): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(sts.spec?.template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision holds. */
export function revisionTemplate(rev: ControllerRevision): PodTemplateSpec {
  const data = rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
  const { $patch: _patch, ...template } = structuredClone(data?.spec?.template ?? {});
  return template;
}

export function newRevision(sts: StatefulSet, revision: number): ControllerRevision {
  const hash = templateHash(sts.spec?.template, sts.status?.collisionCount ?? 0);
  return {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      name: `${sts.metadata!.name}-${hash}`,
      namespace: sts.metadata!.namespace,
      labels: { ...sts.spec?.template?.metadata?.labels, [HASH_LABEL]: hash },
      ownerReferences: [ownerRef(sts)],
    },
    data: revisionData(sts),
    revision,
  };
}

/** The owned revision that holds the set's current template (the newest such), if any. */
export function equalRevision(sts: StatefulSet, owned: ControllerRevision[]): ControllerRevision | undefined {
  const data = revisionData(sts);
  return owned.filter((r) => sameJson(r.data, data)).sort((a, b) => b.revision - a.revision)[0];
}

export const maxRevision = (owned: ControllerRevision[]) => owned.reduce((m, r) => Math.max(m, r.revision), 0);

/** The revisions to delete: the oldest beyond `limit`, never one in `keep` (current, update, run by a pod). */
export function revisionsToPrune(owned: ControllerRevision[], keep: Set<string>, limit: number): ControllerRevision[] {
  const old = owned.filter((r) => !keep.has(r.metadata!.name!)).sort((a, b) => a.revision - b.revision);
  return old.slice(0, Math.max(old.length - limit, 0));
}

export { sameJson };
