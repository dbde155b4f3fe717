/**
 * Validation of DaemonSets (apps/v1) and ReplicationControllers (core/v1), after
 * pkg/apis/apps/validation and pkg/apis/core/validation: the workload rules ReplicaSets share, plus the
 * DaemonSet's update strategy (maxUnavailable and maxSurge, not both zero) and the RC's map selector.
 */
import type { DaemonSet, ReplicaSet, ReplicationController } from '../types.ts';
import { type FieldError, invalid, notSupported, required } from '../field-error.ts';
import { validateWorkload } from './core.ts';

function intOrPercent(v: number | string | undefined, field: string, errs: FieldError[]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
    return v;
  }
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    errs.push(invalid(field, v, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')'));
    return undefined;
  }
  const n = Number(m[1]);
  if (n > 100) errs.push(invalid(field, v, 'must not be greater than 100%'));
  return n;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const errs = validateWorkload('daemonset', ds as unknown as unknown as ReplicaSet);
  const st = ds.spec?.updateStrategy;
  if (st?.type && !['OnDelete', 'RollingUpdate'].includes(st.type)) errs.push(notSupported('spec.updateStrategy.type', st.type, ['OnDelete', 'RollingUpdate']));
  if (st?.type === 'RollingUpdate') {
    const ru = st.rollingUpdate;
    if (!ru) errs.push(required('spec.updateStrategy.rollingUpdate', ''));
    else {
      const mu = intOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', errs);
      const ms = intOrPercent(ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge', errs);
      if (mu === 0 && ms === 0) {
        errs.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
    }
  }
  if (ds.spec?.revisionHistoryLimit !== undefined && ds.spec.revisionHistoryLimit < 0) {
    errs.push(invalid('spec.revisionHistoryLimit', ds.spec.revisionHistoryLimit, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const sel = rc.spec?.selector ?? {};
  if (Object.keys(sel).length === 0) {
    // No selector and no template labels to default it from.
    const errs = validateWorkload('ReplicationController', { metadata: rc.metadata, spec: { selector: { matchLabels: { '': '' } }, template: rc.spec?.template ?? {} } } as unknown as ReplicaSet)
      .filter((e) => !e.field.startsWith('spec.selector') && e.field !== 'spec.template.metadata.labels');
    errs.push(required('spec.selector', ''));
    return errs;
  }
  return validateWorkload('ReplicationController', { metadata: rc.metadata, spec: { replicas: rc.spec?.replicas, minReadySeconds: rc.spec?.minReadySeconds, selector: { matchLabels: sel }, template: rc.spec?.template ?? {} } } as unknown as ReplicaSet);
}
