/**
 * settings.k8s.io/v1alpha1 PodPreset validation as Kubernetes 1.19's `ValidatePodPreset`: object meta, a valid
 * selector, and at least one of env, envFrom, volumes and volumeMounts (upstream's odd field path kept), each
 * env var and volume with a name, each mount with a name and path.
 */
import type { PodPreset } from '../types.ts';
import { required, type FieldError } from '../field-error.ts';
import { validateLabelSelector, validateObjectMeta } from './meta.ts';
import { nameIsDNSSubdomain } from './names.ts';

export function validatePodPreset(pp: PodPreset): FieldError[] {
  const errs = validateObjectMeta(pp.metadata, true, nameIsDNSSubdomain);
  const spec = pp.spec ?? {};
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (!spec.env && !spec.envFrom && !spec.volumes && !spec.volumeMounts) {
    errs.push(required('spec.volumes.env.envFrom.volumeMounts', 'must specify at least one'));
  }
  for (const [i, e] of (spec.env ?? []).entries()) if (!e.name) errs.push(required(`spec.env[${i}].name`));
  for (const [i, v] of (spec.volumes ?? []).entries()) if (!v.name) errs.push(required(`spec.volumes[${i}].name`));
  for (const [i, m] of (spec.volumeMounts ?? []).entries()) {
    if (!m.name) errs.push(required(`spec.volumeMounts[${i}].name`));
    if (!m.mountPath) errs.push(required(`spec.volumeMounts[${i}].mountPath`));
  }
  return errs;
}
