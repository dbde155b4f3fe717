/**
 * The ClusterRole aggregation controller (upstream's clusterroleaggregation controller), run by the API server
 * beside its other loops: a ClusterRole with `aggregationRule.clusterRoleSelectors` gets as its rules the
 * rules of every other ClusterRole whose labels one of the selectors matches, in the order of their names,
 * each distinct rule once. So `admin`, `edit` and `view` grow as roles labelled `aggregate-to-*` come and go.
 * `aggregateRules` is the pure part; the loop wakes on any ClusterRole change, and a timer re-checks.
 */
import type { ClusterRole, KubeObject, PolicyRule } from '../../api/index.ts';
import { deepEqual, labelSelectorFromObject, labelSelectorMatches } from '../../api/index.ts';
import { Doorbell, type Logger } from '../../machinery/index.ts';
import type { GenericRegistry } from '../registry/index.ts';
import { ApiError } from '../status.ts';

/** The rules `role` aggregates from `all` (every ClusterRole), or undefined when it has no aggregation rule. */
export function aggregateRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!role.aggregationRule) return undefined;
  const parsed = (selectors ?? []).map((s) => labelSelectorFromObject(s));
  const sources = all
    .filter((r) => r.metadata?.name !== role.metadata?.name && parsed.some((p) => labelSelectorMatches(p, r.metadata?.labels ?? {})))
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const rules: PolicyRule[] = [];
  for (const source of sources) for (const r of source.rules ?? []) if (!rules.some((x) => deepEqual(x, r))) rules.push(r);
  return rules;
}

/**
 * Every aggregated ClusterRole whose rules differ is updated. Roles that aggregate aggregated roles (admin
 * gathers edit, which gathers view) are computed over the new rules at once, so one call settles them all.
 */
export async function syncAggregatedClusterRoles(clusterRoles: GenericRegistry, logger?: Logger): Promise<void> {
  const cached = clusterRoles.cache.list().items as unknown as ClusterRole[];
  const all = cached.map((r) => ({ ...r }));
  const dirty = new Set<ClusterRole>();
  for (let pass = 0; pass <= all.length; pass++) {
    let changed = false;
    for (const role of all) {
      let rules: PolicyRule[] | undefined;
      try {
        rules = aggregateRules(role, all);
      } catch (err) {
        if (pass === 0) logger?.warn({ err: String(err), clusterRole: role.metadata?.name }, 'rbac: bad aggregation selector');
        continue;
      }
      if (!rules || deepEqual(rules, role.rules ?? [])) continue;
      role.rules = rules;
      dirty.add(role);
      changed = true;
    }
    if (!changed) break;
  }
  for (const role of dirty) {
    const name = role.metadata?.name ?? '';
    try {
      await clusterRoles.update('', name, role as unknown as KubeObject);
    } catch (err) {
      // A concurrent change: the doorbell rings again for it.
      if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
    }
  }
}

export async function runClusterRoleAggregationController(c: { clusterRoles: GenericRegistry; logger?: Logger; resyncMs?: number }, signal: AbortSignal): Promise<void> {
  await c.clusterRoles.cache.ready;
  const bell = new Doorbell();
  const sub = c.clusterRoles.cache.subscribe(c.clusterRoles.cache.revision, { deliver: () => bell.ring(), end: () => bell.ring() });
  try {
    while (!signal.aborted) {
      try {
        await syncAggregatedClusterRoles(c.clusterRoles, c.logger);
      } catch (err) {
        c.logger?.warn({ err: String(err) }, 'rbac: aggregating cluster roles failed');
      }
      try {
        await bell.wait(AbortSignal.any([signal, AbortSignal.timeout(c.resyncMs ?? 60_000)]));
      } catch {
        // timeout or stop: look again (the loop checks signal)
      }
    }
  } finally {
    sub.unsubscribe();
  }
}
