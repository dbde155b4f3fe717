/**
 * ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1): upstream's defaults
 * (failurePolicy Fail, matchPolicy Equivalent, empty selectors, rule scope `*`) and the validation users meet
 * first: match constraints with resource rules, at least one validation or audit annotation, each with an
 * expression, known reasons and failure policies; a binding names a policy and has valid, non-conflicting
 * validationActions (Deny and Warn together are refused) and a paramRef with a name or a selector and a
 * parameterNotFoundAction.
 */
import type { MatchResources, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../types.ts';
import { duplicate, invalid, notSupported, required, type FieldError } from '../field-error.ts';
import { validateObjectMeta } from './meta.ts';
import { nameIsDNSSubdomain } from './names.ts';

function defaultMatch(m: MatchResources | undefined): void {
  if (!m) return;
  m.matchPolicy ??= 'Equivalent';
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  for (const r of [...(m.resourceRules ?? []), ...(m.excludeResourceRules ?? [])]) r.scope ??= '*';
}

export function defaultValidatingAdmissionPolicy(p: ValidatingAdmissionPolicy): void {
  if (!p.spec) return;
  p.spec.failurePolicy ??= 'Fail';
  defaultMatch(p.spec.matchConstraints);
}

export function defaultValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): void {
  defaultMatch(b.spec?.matchResources);
}

const REASONS = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'];

export function validateValidatingAdmissionPolicy(p: ValidatingAdmissionPolicy): FieldError[] {
  const errs = validateObjectMeta(p.metadata, false, nameIsDNSSubdomain);
  const spec = p.spec;
  if (!spec) return [...errs, required('spec')];
  if (!spec.matchConstraints) errs.push(required('spec.matchConstraints'));
  else if (!spec.matchConstraints.resourceRules?.length) errs.push(required('spec.matchConstraints.resourceRules'));
  if (spec.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(spec.failurePolicy)) errs.push(notSupported('spec.failurePolicy', spec.failurePolicy, ['Fail', 'Ignore']));
  if (!spec.validations?.length && !spec.auditAnnotations?.length) errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  for (const [i, v] of (spec.validations ?? []).entries()) {
    if (!v.expression?.trim()) errs.push(required(`spec.validations[${i}].expression`, 'expression is not specified'));
    if (v.reason !== undefined && !REASONS.includes(v.reason)) errs.push(notSupported(`spec.validations[${i}].reason`, v.reason, REASONS));
    if (v.message !== undefined && v.message.trim() === '') errs.push(required(`spec.validations[${i}].message`, 'message must be non-empty if specified'));
    if (v.message?.includes('\n')) errs.push(invalid(`spec.validations[${i}].message`, v.message, 'message must not contain line breaks'));
  }
  const names = new Set<string>();
  for (const [i, v] of (spec.variables ?? []).entries()) {
    if (!v.name) errs.push(required(`spec.variables[${i}].name`));
    else if (names.has(v.name)) errs.push(duplicate(`spec.variables[${i}].name`, v.name));
    names.add(v.name);
    if (!v.expression) errs.push(required(`spec.variables[${i}].expression`));
  }
  return errs;
}

const ACTIONS = ['Audit', 'Deny', 'Warn'];

export function validateValidatingAdmissionPolicyBinding(b: ValidatingAdmissionPolicyBinding): FieldError[] {
  const errs = validateObjectMeta(b.metadata, false, nameIsDNSSubdomain);
  const spec = b.spec;
  if (!spec?.policyName) errs.push(required('spec.policyName'));
  const actions = spec?.validationActions ?? [];
  if (!actions.length) errs.push(required('spec.validationActions', 'at least one validation action is required'));
  const seen = new Set<string>();
  for (const [i, a] of actions.entries()) {
    if (!ACTIONS.includes(a)) errs.push(notSupported(`spec.validationActions[${i}]`, a, ACTIONS));
    if (seen.has(a)) errs.push(duplicate(`spec.validationActions[${i}]`, a));
    seen.add(a);
  }
  const ref = spec?.paramRef;
  if (ref) {
    if (ref.name && ref.selector) errs.push(invalid('spec.paramRef.name', ref.name, 'name and selector are mutually exclusive'));
    if (!ref.name && !ref.selector) errs.push(required('spec.paramRef', 'one of name or selector must be specified'));
    if (!ref.parameterNotFoundAction) errs.push(required('spec.paramRef.parameterNotFoundAction'));
    else if (!['Allow', 'Deny'].includes(ref.parameterNotFoundAction)) errs.push(notSupported('spec.paramRef.parameterNotFoundAction', ref.parameterNotFoundAction, ['Allow', 'Deny']));
  }
  if (seen.has('Deny') && seen.has('Warn')) errs.push(invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  return errs;
}
