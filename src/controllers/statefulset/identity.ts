/**
 * A StatefulSet's pod identities, pure: the name and ordinal of each pod (`web-0`), the pod made for an
 * ordinal (stable hostname and subdomain, the statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index
 * labels, its claims in place of the templates' volumes), the claims named `<template>-<set>-<ordinal>`, and
 * the revision (`<set>-<hash of the template>`, a ControllerRevision's name) a pod carries in its
 * controller-revision-hash label; a pod may be made from an older revision's template (below the partition).
 */
import type { OwnerReference, PersistentVolumeClaim, Pod, PodTemplateSpec, StatefulSet, Volume } from '../../api/index.ts';
import { templateHash } from '../daemonset/history.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

export function podName(sts: StatefulSet, ordinal: number): string {
  return `${sts.metadata!.name}-${ordinal}`;
}

/** The ordinal in a pod's name, or -1 when the name is not `<set>-<n>`. */
export function ordinalOf(sts: StatefulSet, pod: Pod): number {
  const prefix = `${sts.metadata!.name}-`;
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

/** `<set>-<hash>`: the name of the ControllerRevision of the set's current template (./history.ts). */
export function updateRevision(sts: StatefulSet): string {
  return `${sts.metadata!.name}-${templateHash(sts.spec?.template, sts.status?.collisionCount ?? 0)}`;
}

/** Which revision a new pod is made from: its name (the pod's label) and its template. */
export interface PodRevision {
  name: string;
  template: PodTemplateSpec;
}

export function claimName(templateName: string, sts: StatefulSet, ordinal: number): string {
  return `${templateName}-${podName(sts, ordinal)}`;
}

export function ownerRef(sts: StatefulSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata!.name!, uid: sts.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** The claims a pod of this ordinal uses; owned by the set when whenDeleted is Delete, so the GC removes them with it. */
export function claimsFor(sts: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const deleteWithSet = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (sts.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(t.metadata!.name!, sts, ordinal),
      namespace: sts.metadata!.namespace,
      labels: { ...t.metadata?.labels, ...sts.spec?.selector?.matchLabels },
      annotations: t.metadata?.annotations,
      ...(deleteWithSet ? { ownerReferences: [ownerRef(sts)] } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

export function podFor(sts: StatefulSet, ordinal: number, revision?: PodRevision): Pod {
  const template = structuredClone(revision?.template ?? sts.spec?.template ?? {});
  const name = podName(sts, ordinal);
  const spec = template.spec ?? { containers: [] };
  const claimVolumes: Volume[] = (sts.spec?.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata!.name!, persistentVolumeClaim: { claimName: claimName(t.metadata!.name!, sts, ordinal) },
  }));
  const claimed = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v) => !claimed.has(v.name))];
  if (spec.volumes.length === 0) delete spec.volumes;
  spec.hostname = name;
  if (sts.spec?.serviceName) spec.subdomain = sts.spec.serviceName;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: sts.metadata!.namespace,
      labels: { ...template.metadata?.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision?.name ?? updateRevision(sts) },
      annotations: template.metadata?.annotations,
      ownerReferences: [ownerRef(sts)],
    },
    spec,
  };
}
