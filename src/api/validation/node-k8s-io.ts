/**
 * Validation of RuntimeClasses (pkg/apis/node/validation): the handler is a DNS label and never changes;
 * `overhead.podFixed` is checked as container limits are; `scheduling.nodeSelector` as labels and
 * `scheduling.tolerations` as a pod's, each (key, operator, value, effect) at most once.
 */
import type { RuntimeClass } from '../types.ts';
import { type FieldError, duplicate, invalid } from '../field-error.ts';
import { isDNS1123Label, nameIsDNSSubdomain } from './names.ts';
import { deepEqual, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateResourceRequirements, validateTolerations } from './pod.ts';

export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, false, nameIsDNSSubdomain);
  for (const msg of isDNS1123Label(rc.handler ?? '')) errs.push(invalid('handler', rc.handler ?? '', msg));
  if (rc.overhead?.podFixed) errs.push(...validateResourceRequirements({ limits: rc.overhead.podFixed }, 'overhead'));
  const s = rc.scheduling;
  if (s) {
    if (s.nodeSelector) errs.push(...validateLabels(s.nodeSelector, 'scheduling.nodeSelector'));
    errs.push(...validateTolerations(s.tolerations, 'scheduling.tolerations'));
    const seen = new Set<string>();
    (s.tolerations ?? []).forEach((t, i) => {
      const key = JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);
      if (seen.has(key)) errs.push(duplicate(`scheduling.tolerations[${i}]`, t));
      seen.add(key);
    });
  }
  return errs;
}

export function validateRuntimeClassUpdate(rc: RuntimeClass, old: RuntimeClass): FieldError[] {
  const errs = validateObjectMetaUpdate(rc.metadata, old.metadata);
  if (!deepEqual(rc.handler, old.handler)) errs.push(invalid('handler', rc.handler, 'field is immutable'));
  return errs;
}
