/**
 * Validation of batch/v1 Jobs and CronJobs after pkg/apis/batch/validation: non-negative counts, a selector
 * that matches the template, restartPolicy OnFailure or Never, the Indexed-mode rules, pod failure policy
 * shape, success policy rules (Indexed only, index intervals within completions), podReplacementPolicy, a
 * domain-prefixed managedBy, and on update the fields a Job may not change (selector, template, completions,
 * completionMode, podFailurePolicy, backoffLimitPerIndex, managedBy, successPolicy). A CronJob's schedule is parsed as the controller will parse it.
 */
import type { CronJob, Job, JobSpec, PodTemplateSpec } from '../types.ts';
import { type FieldError, forbidden, invalid, notSupported, required, tooLong, tooMany } from '../field-error.ts';
import { deepEqual, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from './names.ts';
import { validatePodSpec } from './pod.ts';
import { labelSelectorFromObject } from '../selectors/label-selector.ts';
import { hasTimeZonePrefix, isValidTimeZone, parseCronSchedule } from '../cron-schedule.ts';

const nonNegative = (errs: FieldError[], field: string, v: number | undefined) => {
  if (v !== undefined && v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
};

const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
const MAX_MANAGED_BY_LENGTH = 63;

/** The number of indexes in an interval list such as `0,2-4` (upstream's validateIndexesFormat), or its error. */
export function countIndexes(text: string, completions: number): number | string {
  if (!text) return 0;
  let last: number | undefined;
  let total = 0;
  const int = (v: string | undefined) => (v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined);
  for (const part of text.split(',')) {
    const limits = part.split('-');
    if (limits.length > 2) return `the fragment "${part}" violates the requirement that an index interval can have at most two parts separated by '-'`;
    const x = int(limits[0]);
    if (x === undefined) return `cannot convert string to integer for index: "${limits[0]}"`;
    if (x >= completions) return `too large index: "${limits[0]}"`;
    let y = x;
    if (limits.length === 2) {
      const b = int(limits[1]);
      if (b === undefined) return `cannot convert string to integer for index: "${limits[1]}"`;
      if (b >= completions) return `too large index: "${limits[1]}"`;
      if (x >= b) return `non-increasing order, previous: ${x}, current: ${b}`;
      y = b;
    }
    if (last !== undefined && last >= x) return `non-increasing order, previous: ${last}, current: ${x}`;
    total += y - x + 1;
    last = y;
  }
  return total;
}

function validateSuccessPolicy(spec: JobSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.successPolicy?.rules ?? [];
  if (rules.length === 0) errs.push(required(`${path}.rules`, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(tooMany(`${path}.rules`, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = spec.completions ?? 0;
  rules.forEach((rule, i) => {
    const rpath = `${path}.rules[${i}]`;
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) {
      errs.push(required(rpath, 'at least one of succeededCount or succeededIndexes must be specified'));
    }
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) errs.push(tooLong(`${rpath}.succeededIndexes`, MAX_SUCCEEDED_INDEXES_LENGTH));
      const n = countIndexes(rule.succeededIndexes, completions);
      if (typeof n === 'string') errs.push(invalid(`${rpath}.succeededIndexes`, rule.succeededIndexes, `error parsing succeededIndexes: ${n}`));
      else total = n;
    }
    const count = rule.succeededCount;
    if (count !== undefined) {
      nonNegative(errs, `${rpath}.succeededCount`, count);
      if (count > completions) errs.push(invalid(`${rpath}.succeededCount`, count, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (rule.succeededIndexes !== undefined && count > total) {
        errs.push(invalid(`${rpath}.succeededCount`, count, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errs;
}

function validateJobSpec(spec: JobSpec | undefined, path: string, selectorRequired: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [required(path, '')];
  nonNegative(errs, `${path}.parallelism`, spec.parallelism);
  nonNegative(errs, `${path}.completions`, spec.completions);
  nonNegative(errs, `${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds);
  nonNegative(errs, `${path}.backoffLimit`, spec.backoffLimit);
  nonNegative(errs, `${path}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished);
  nonNegative(errs, `${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex);
  nonNegative(errs, `${path}.maxFailedIndexes`, spec.maxFailedIndexes);
  if (spec.managedBy !== undefined) {
    const m = spec.managedBy;
    // A domain-prefixed path: `example.com/some-controller` (apimachinery's IsDomainPrefixedPath).
    const slash = m.indexOf('/');
    if (slash <= 0 || slash === m.length - 1) errs.push(invalid(`${path}.managedBy`, m, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else for (const e of isDNS1123Subdomain(m.slice(0, slash))) errs.push(invalid(`${path}.managedBy`, m.slice(0, slash), e));
    if (m.length > MAX_MANAGED_BY_LENGTH) errs.push(tooLong(`${path}.managedBy`, MAX_MANAGED_BY_LENGTH));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed') {
    if (spec.completions === undefined) errs.push(required(`${path}.completions`, `when completion mode is ${mode}`));
  } else {
    if (spec.backoffLimitPerIndex !== undefined) errs.push(forbidden(`${path}.backoffLimitPerIndex`, 'requires indexed completion mode'));
    if (spec.maxFailedIndexes !== undefined) errs.push(forbidden(`${path}.maxFailedIndexes`, 'requires indexed completion mode'));
  }
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) {
    errs.push(required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  const sel = spec.selector;
  if (!sel) {
    if (selectorRequired) errs.push(required(`${path}.selector`, ''));
  } else {
    errs.push(...validateLabelSelector(sel, `${path}.selector`));
    try {
      const labels = spec.template?.metadata?.labels ?? {};
      if (!labelSelectorFromObject(sel).matches(labels)) {
        errs.push(invalid(`${path}.template.metadata.labels`, labels, '`selector` does not match template `labels`'));
      }
    } catch {
      // reported above
    }
  }
  if (spec.successPolicy) {
    if (mode !== 'Indexed') errs.push(invalid(`${path}.successPolicy`, spec.successPolicy, 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(spec, `${path}.successPolicy`));
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement !== undefined) {
    if (spec.podFailurePolicy && replacement !== 'Failed') errs.push(notSupported(`${path}.podReplacementPolicy`, replacement, ['Failed']));
    else if (replacement !== 'Failed' && replacement !== 'TerminatingOrFailed') {
      errs.push(notSupported(`${path}.podReplacementPolicy`, replacement, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplate(spec.template, `${path}.template`));
  const policy = spec.podFailurePolicy;
  if (policy) {
    const rp = spec.template?.spec?.restartPolicy;
    if (rp !== 'Never') errs.push(invalid(`${path}.template.spec.restartPolicy`, rp ?? '', 'only "Never" is supported when podFailurePolicy is specified'));
    (policy.rules ?? []).forEach((rule, i) => {
      const rpath = `${path}.podFailurePolicy.rules[${i}]`;
      const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
      if (!actions.includes(rule.action)) errs.push(notSupported(`${rpath}.action`, rule.action, actions));
      if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) {
        errs.push(forbidden(`${rpath}.action`, 'requires the backoffLimitPerIndex to be set'));
      }
      if (rule.onExitCodes && rule.onPodConditions?.length) errs.push(invalid(rpath, rule, 'specifying both OnExitCodes and OnPodConditions is not supported'));
      if (!rule.onExitCodes && !rule.onPodConditions?.length) errs.push(invalid(rpath, rule, 'specifying one of OnExitCodes and OnPodConditions is required'));
      const ec = rule.onExitCodes;
      if (ec) {
        if (!['In', 'NotIn'].includes(ec.operator)) errs.push(notSupported(`${rpath}.onExitCodes.operator`, ec.operator, ['In', 'NotIn']));
        if (ec.operator === 'In' && ec.values.includes(0)) errs.push(invalid(`${rpath}.onExitCodes.values[${ec.values.indexOf(0)}]`, 0, 'must not be 0 for the In operator'));
      }
    });
  }
  return errs;
}

function validatePodTemplate(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t) return [required(path, '')];
  const errs = validatePodSpec(t.spec, `${path}.spec`);
  const rp = t.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(`${path}.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  return errs;
}

export function validateJob(job: Job): FieldError[] {
  const errs = validateObjectMeta(job.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateJobSpec(job.spec, 'spec', true));
  return errs;
}

export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  errs.push(...validateJobSpec(job.spec, 'spec', true));
  const s = job.spec;
  const o = old.spec;
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (!deepEqual(a, b)) errs.push(invalid(`spec.${field}`, a, 'field is immutable'));
  };
  immutable('selector', s?.selector, o?.selector);
  immutable('completionMode', s?.completionMode, o?.completionMode);
  immutable('podFailurePolicy', s?.podFailurePolicy, o?.podFailurePolicy);
  immutable('backoffLimitPerIndex', s?.backoffLimitPerIndex, o?.backoffLimitPerIndex);
  immutable('managedBy', s?.managedBy, o?.managedBy);
  immutable('successPolicy', s?.successPolicy, o?.successPolicy);
  // Indexed Jobs may scale completions together with parallelism (elastic Indexed Jobs).
  const elastic = s?.completionMode === 'Indexed' && s.completions === s.parallelism && o?.completions === o?.parallelism;
  if (!elastic) immutable('completions', s?.completions, o?.completions);
  // A suspended Job that never started may change its pod template's scheduling directives; other template edits are refused.
  if (!deepEqual(s?.template, o?.template)) {
    const mutable = o?.suspend === true && !old.status?.startTime;
    const strip = (t: PodTemplateSpec | undefined) => {
      const c = structuredClone(t ?? {});
      if (c.spec) { delete c.spec.nodeSelector; delete c.spec.affinity; delete c.spec.tolerations; delete c.spec.schedulingGates; }
      if (c.metadata) { delete c.metadata.labels; delete c.metadata.annotations; }
      return c;
    };
    if (!mutable || !deepEqual(strip(s?.template), strip(o?.template))) errs.push(invalid('spec.template', s?.template, 'field is immutable'));
  }
  return errs;
}

export function validateCronJob(cj: CronJob): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain);
  const name = cj.metadata?.name ?? '';
  // The Jobs it creates are named <name>-<minutes since epoch> (11 characters), within the 63 of a label value.
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = cj.spec;
  if (!spec) return [...errs, required('spec', '')];
  const tz = spec.timeZone;
  if (!spec.schedule) {
    errs.push(required('spec.schedule', ''));
  } else if (hasTimeZonePrefix(spec.schedule)) {
    errs.push(invalid('spec.schedule', spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  } else {
    try {
      parseCronSchedule(spec.schedule, tz !== undefined && isValidTimeZone(tz) ? tz : undefined);
    } catch (err) {
      errs.push(invalid('spec.schedule', spec.schedule, (err as Error).message));
    }
  }
  if (tz !== undefined && !isValidTimeZone(tz)) errs.push(invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
  const cp = spec.concurrencyPolicy;
  if (cp !== undefined && !['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  nonNegative(errs, 'spec.startingDeadlineSeconds', spec.startingDeadlineSeconds);
  nonNegative(errs, 'spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit);
  nonNegative(errs, 'spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit);
  const jobSpec = spec.jobTemplate?.spec;
  if (jobSpec?.selector && jobSpec.manualSelector !== true) {
    errs.push(invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'));
  }
  errs.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec', false));
  return errs;
}

export function validateCronJobUpdate(cj: CronJob, old: CronJob): FieldError[] {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  errs.push(...validateCronJob(cj).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
