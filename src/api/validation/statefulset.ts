/**
 * Validation of apps/v1 StatefulSets (pkg/apis/apps/validation): the selector and template as for other
 * workloads, the pod management and update strategies, the claim templates and their retention policy, and
 * the rule that an update may change only replicas, ordinals, template, updateStrategy,
 * persistentVolumeClaimRetentionPolicy and minReadySeconds.
 */
import type { StatefulSet, StatefulSetSpec } from '../types.ts';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { nameIsDNSLabel } from './names.ts';
import { deepEqual, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePodSpec } from './pod.ts';
import { validatePersistentVolumeClaimSpec } from './storage.ts';
import { labelSelectorFromObject } from '../selectors/label-selector.ts';

const RETENTION = ['Delete', 'Retain'];

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const errs = validateObjectMeta(sts.metadata, true, nameIsDNSLabel);
  const spec = sts.spec;
  if (spec?.replicas !== undefined && spec.replicas < 0) errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if (spec?.minReadySeconds !== undefined && spec.minReadySeconds < 0) errs.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  if (spec?.ordinals?.start !== undefined && spec.ordinals.start < 0) errs.push(invalid('spec.ordinals.start', spec.ordinals.start, 'must be greater than or equal to 0'));
  const pmp = spec?.podManagementPolicy;
  if (pmp && !['OrderedReady', 'Parallel'].includes(pmp)) errs.push(invalid('spec.podManagementPolicy', pmp, 'must be \'OrderedReady\' or \'Parallel\''));
  const us = spec?.updateStrategy;
  if (us?.type && !['OnDelete', 'RollingUpdate'].includes(us.type)) errs.push(notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
  if (us?.type === 'OnDelete' && us.rollingUpdate) errs.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, 'only allowed for updateStrategy \'RollingUpdate\''));
  const partition = us?.rollingUpdate?.partition;
  if (partition !== undefined && partition < 0) errs.push(invalid('spec.updateStrategy.rollingUpdate.partition', partition, 'must be greater than or equal to 0'));
  const retention = spec?.persistentVolumeClaimRetentionPolicy;
  for (const k of ['whenDeleted', 'whenScaled'] as const) {
    const v = retention?.[k];
    if (v && !RETENTION.includes(v)) errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, RETENTION));
  }
  const seen = new Set<string>();
  (spec?.volumeClaimTemplates ?? []).forEach((t, i) => {
    const path = `spec.volumeClaimTemplates[${i}]`;
    const name = t.metadata?.name ?? '';
    if (!name) errs.push(required(`${path}.metadata.name`, 'name or generateName is required'));
    else if (seen.has(name)) errs.push(duplicate(`${path}.metadata.name`, name));
    seen.add(name);
    errs.push(...validatePersistentVolumeClaimSpec(t.spec, `${path}.spec`));
  });
  errs.push(...validateSelectorAndTemplate(spec));
  return errs;
}

function validateSelectorAndTemplate(spec: StatefulSetSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec?.selector;
  if (!sel) {
    errs.push(required('spec.selector', ''));
  } else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && !sel.matchExpressions?.length) {
      errs.push(invalid('spec.selector', sel, 'empty selector is invalid for statefulset'));
    }
  }
  const tmpl = spec?.template;
  if (!tmpl) return [...errs, required('spec.template', '')];
  const labels = tmpl.metadata?.labels ?? {};
  if (sel) {
    try {
      if (!labelSelectorFromObject(sel).matches(labels)) {
        errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      }
    } catch {
      // selector errors were reported above
    }
  }
  // The pods get one persistentVolumeClaim volume per claim template (in place of a template volume of that
  // name), so mounts may name the templates: validate the spec the pods will have.
  const claimVolumes = (spec?.volumeClaimTemplates ?? []).filter((t) => t.metadata?.name)
    .map((t) => ({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: t.metadata!.name! } }));
  const claimed = new Set(claimVolumes.map((v) => v.name));
  const podSpec = tmpl.spec && claimVolumes.length > 0
    ? { ...tmpl.spec, volumes: [...(tmpl.spec.volumes ?? []).filter((v) => !claimed.has(v.name)), ...claimVolumes] }
    : tmpl.spec;
  errs.push(...validatePodSpec(podSpec, 'spec.template.spec'));
  const rp = tmpl.spec?.restartPolicy;
  if (rp && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (tmpl.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

const MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'] as const;

export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = validateObjectMetaUpdate(sts.metadata, old.metadata);
  errs.push(...validateStatefulSet(sts).filter((e) => !e.field.startsWith('metadata.')));
  const rest = (s: StatefulSetSpec | undefined) => {
    const copy: Record<string, unknown> = { ...s };
    for (const k of MUTABLE) delete copy[k];
    return copy;
  };
  if (!deepEqual(rest(sts.spec), rest(old.spec))) {
    errs.push(forbidden('spec', 'updates to statefulset spec for fields other than \'replicas\', \'ordinals\', \'template\', \'updateStrategy\', \'persistentVolumeClaimRetentionPolicy\' and \'minReadySeconds\' are forbidden'));
  }
  return errs;
}
