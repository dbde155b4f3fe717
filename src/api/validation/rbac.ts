/**
 * rbac.authorization.k8s.io/v1 validation, as upstream's `pkg/apis/rbac/validation`: names are path segments
 * (ValidateRBACName), every rule has verbs and either resources with API groups or non-resource URLs (cluster
 * roles only), a binding's roleRef names a Role or ClusterRole of this group and may never change, and each
 * subject is a User, Group (API group rbac.authorization.k8s.io) or ServiceAccount (core group, with a
 * namespace in cluster bindings).
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from '../types.ts';
import { GoLiteral, invalid, notSupported, required, type FieldError } from '../field-error.ts';
import { deepEqual, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { nameIsDNSSubdomain } from './names.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** path.IsValidPathSegmentName: what minimalNameRequirements allows. */
export function rbacName(name: string, prefix: boolean): string[] {
  const out: string[] = [];
  if (!prefix && (name === '.' || name === '..')) out.push(`may not be '${name}'`);
  if (name.includes('/')) out.push(`may not contain '/'`);
  if (name.includes('%')) out.push(`may not contain '%'`);
  return out;
}

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) errs.push(invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: readonly PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));
}

export function validateRole(role: Role): FieldError[] {
  return [...validateObjectMeta(role.metadata, true, rbacName), ...validateRules(role.rules, true)];
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = [...validateObjectMeta(role.metadata, false, rbacName), ...validateRules(role.rules, false)];
  const agg = role.aggregationRule;
  if (agg) {
    if (!agg.clusterRoleSelectors?.length) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    (agg.clusterRoleSelectors ?? []).forEach((s, i) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return errs;
}

function validateRoleRef(ref: RoleRef | undefined, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const r = ref ?? ({} as RoleRef);
  if (r.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', r.apiGroup ?? '', [RBAC_GROUP]));
  if (!kinds.includes(r.kind ?? '')) errs.push(notSupported('roleRef.kind', r.kind ?? '', kinds));
  if (!r.name) errs.push(required('roleRef.name', ''));
  else for (const msg of rbacName(r.name, false)) errs.push(invalid('roleRef.name', r.name, msg));
  return errs;
}

/** ValidateRoleBindingSubject. */
export function validateSubject(s: Subject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${path}.name`, ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const msg of nameIsDNSSubdomain(s.name, false)) errs.push(invalid(`${path}.name`, s.name, msg));
      if (s.apiGroup) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(`${path}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateRoleBinding(b: RoleBinding): FieldError[] {
  return [
    ...validateObjectMeta(b.metadata, true, rbacName),
    ...validateRoleRef(b.roleRef, ['Role', 'ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, true, `subjects[${i}]`)),
  ];
}

export function validateClusterRoleBinding(b: ClusterRoleBinding): FieldError[] {
  return [
    ...validateObjectMeta(b.metadata, false, rbacName),
    ...validateRoleRef(b.roleRef, ['ClusterRole']),
    ...(b.subjects ?? []).flatMap((s, i) => validateSubject(s, false, `subjects[${i}]`)),
  ];
}

/** The RoleRef as Go's %#v prints the internal struct. */
function roleRefLiteral(r: RoleRef | undefined): GoLiteral {
  return new GoLiteral(`rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`);
}

/** ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: the binding plus an unchanged roleRef. */
export function validateBindingUpdate(b: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding, cluster: boolean): FieldError[] {
  const errs = cluster ? validateClusterRoleBinding(b as ClusterRoleBinding) : validateRoleBinding(b as RoleBinding);
  const rest = errs.filter((e) => !e.field.startsWith('metadata.'));
  const out = [...validateObjectMetaUpdate(b.metadata, old.metadata), ...rest];
  if (!deepEqual(b.roleRef, old.roleRef)) out.push(invalid('roleRef', roleRefLiteral(b.roleRef), 'cannot change roleRef'));
  return out;
}

/** Subjects and roleRef get their API group when left out (SetDefaults_Subject, SetDefaults_RoleBinding). */
export function defaultBinding(b: RoleBinding | ClusterRoleBinding): void {
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}
