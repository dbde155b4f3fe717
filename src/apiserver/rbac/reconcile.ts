/**
 * The bootstrap policy reconcile that runs at server start (upstream's rbac storage post-start hook and
 * `reconciliation` package; also what `kubectl auth reconcile` does on the client): a default object that is
 * missing is created; one that exists and is not annotated `rbac.authorization.kubernetes.io/autoupdate:
 * "false"` gets the labels, annotations, rules, aggregation selectors or subjects it lacks added, and never
 * loses what a user added. A binding whose roleRef differs is deleted and created again (roleRef is
 * immutable). `reconcileObject` is the pure decision; `reconcileBootstrapPolicy` applies it through registries.
 */
import type { ClusterRole, KubeObject, LabelSelector, PolicyRule, RoleBinding, Subject } from '../../api/index.ts';
import { deepEqual } from '../../api/index.ts';
import type { Logger } from '../../machinery/index.ts';
import type { GenericRegistry } from '../registry/index.ts';
import { ApiError } from '../status.ts';
import { AUTOUPDATE_ANNOTATION, CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES } from './bootstrap-policy.ts';
import { KUBELING_CLUSTER_ROLE_BINDINGS, KUBELING_CLUSTER_ROLES } from './kubeling-policy.ts';
import { covers } from './covers.ts';

export type ReconcileAction = { action: 'none' } | { action: 'create'; object: KubeObject } | { action: 'update'; object: KubeObject } | { action: 'recreate'; object: KubeObject };

function isBinding(o: KubeObject): boolean {
  return o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding';
}

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.apiGroup ?? '') === (b.apiGroup ?? '');
}

/** What to do to make `existing` (undefined: missing) hold everything `expected` does. */
export function reconcileObject(existing: KubeObject | undefined, expected: KubeObject): ReconcileAction {
  if (!existing) return { action: 'create', object: structuredClone(expected) };
  if (existing.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return { action: 'none' };
  const out = structuredClone(existing);
  const meta = (out.metadata ??= {});
  meta.labels = { ...expected.metadata?.labels, ...meta.labels };
  meta.annotations = { ...expected.metadata?.annotations, ...meta.annotations };
  if (isBinding(expected)) {
    const want = expected as unknown as RoleBinding;
    const have = out as unknown as RoleBinding;
    if (!deepEqual(want.roleRef, have.roleRef)) return { action: 'recreate', object: structuredClone(expected) };
    const subjects = [...(have.subjects ?? [])];
    for (const s of want.subjects ?? []) if (!subjects.some((x) => sameSubject(x, s))) subjects.push(s);
    if (subjects.length) have.subjects = subjects;
  } else {
    const want = expected as unknown as ClusterRole;
    const have = out as unknown as ClusterRole;
    if (want.aggregationRule) {
      // Aggregated roles get their rules from the aggregation controller; only the selectors are reconciled.
      const selectors: LabelSelector[] = [...(have.aggregationRule?.clusterRoleSelectors ?? [])];
      for (const s of want.aggregationRule.clusterRoleSelectors ?? []) if (!selectors.some((x) => deepEqual(x, s))) selectors.push(s);
      have.aggregationRule = { clusterRoleSelectors: selectors };
    } else {
      const rules: PolicyRule[] = [...(have.rules ?? [])];
      for (const r of want.rules ?? []) if (!covers(rules, [r]).covered) rules.push(r);
      have.rules = rules;
    }
  }
  return deepEqual(out, existing) ? { action: 'none' } : { action: 'update', object: out };
}

export interface PolicyRegistries {
  roles: GenericRegistry;
  clusterRoles: GenericRegistry;
  roleBindings: GenericRegistry;
  clusterRoleBindings: GenericRegistry;
}

/** Applies one object's decision; returns the revision written (0 when nothing was). */
async function apply(registry: GenericRegistry, expected: KubeObject, logger: Logger): Promise<number> {
  const ns = expected.metadata?.namespace ?? '';
  const name = expected.metadata?.name ?? '';
  const decision = reconcileObject(await registry.tryGet(ns, name), expected);
  let written: KubeObject | undefined;
  try {
    if (decision.action === 'create') written = await registry.create(ns, decision.object);
    else if (decision.action === 'update') written = (await registry.update(ns, name, decision.object)).object;
    else if (decision.action === 'recreate') {
      await registry.delete(ns, name);
      written = await registry.create(ns, decision.object);
    }
  } catch (err) {
    // Another server reconciling the same store got there first; the next start sees its result.
    if (err instanceof ApiError && err.code === 409) return 0;
    throw err;
  }
  if (decision.action !== 'none') logger.info({ kind: expected.kind, namespace: ns || undefined, name, action: decision.action }, 'rbac: reconciled bootstrap policy');
  return Number(written?.metadata?.resourceVersion ?? 0);
}

/**
 * Applies the whole bootstrap policy (upstream's, then kubeling's own components'): roles before the bindings that name them. Returns the last revision
 * written to ClusterRoles (0: none), so the caller can wait for the cache and aggregate at once.
 */
export async function reconcileBootstrapPolicy(r: PolicyRegistries, logger: Logger): Promise<number> {
  let clusterRolesRevision = 0;
  for (const o of [...CLUSTER_ROLES, ...KUBELING_CLUSTER_ROLES]) clusterRolesRevision = Math.max(clusterRolesRevision, await apply(r.clusterRoles, o as unknown as KubeObject, logger));
  for (const o of [...CLUSTER_ROLE_BINDINGS, ...KUBELING_CLUSTER_ROLE_BINDINGS]) await apply(r.clusterRoleBindings, o as unknown as KubeObject, logger);
  for (const o of ROLES) await apply(r.roles, o as unknown as KubeObject, logger);
  for (const o of ROLE_BINDINGS) await apply(r.roleBindings, o as unknown as KubeObject, logger);
  return clusterRolesRevision;
}
