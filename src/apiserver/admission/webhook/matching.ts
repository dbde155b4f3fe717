/**
 * Which webhooks a request reaches, as upstream's `admission/plugin/webhook` predicates: a rule matches the
 * operation, API group, version, resource with subresource (`pods`, `pods/status`, `pods/*`, `*`, `*∕*`) and
 * scope; the namespaceSelector is checked against the namespace's labels (the Namespace object itself for
 * namespace requests; cluster-scoped requests always pass), the objectSelector against the new or the old
 * object's labels. The admissionregistration.k8s.io resources are exempt, as upstream's, so a broken webhook can
 * always be removed.
 */
import type { KubeObject, LabelSelector, RuleWithOperations } from '../../../api/index.ts';
import { labelSelectorFromObject, labelSelectorMatches } from '../../../api/selectors/label-selector.ts';
import type { AdmissionAttributes } from '../chain.ts';

export function isExemptResource(a: AdmissionAttributes): boolean {
  return a.resource.group === 'admissionregistration.k8s.io';
}

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  const has = (list: readonly string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
  if (!has(rule.operations, a.operation)) return false;
  if (!has(rule.apiGroups, a.resource.group)) return false;
  if (!has(rule.apiVersions, a.resource.version)) return false;
  const resourceMatch = (rule.resources ?? []).some((r) => {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    return (res === '*' || res === a.resource.plural) && (sub === '*' || sub === a.subresource);
  });
  if (!resourceMatch) return false;
  const isNamespace = a.resource.group === '' && a.resource.plural === 'namespaces';
  switch (rule.scope ?? '*') {
    case 'Namespaced': return !isNamespace && a.namespace !== '';
    case 'Cluster': return isNamespace || a.namespace === '';
    default: return true;
  }
}

export function rulesMatch(rules: readonly RuleWithOperations[] | undefined, a: AdmissionAttributes): boolean {
  return (rules ?? []).some((r) => ruleMatches(r, a));
}

function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel || (!sel.matchLabels && !sel.matchExpressions?.length)) return true;
  return labelSelectorMatches(labelSelectorFromObject(sel), labels ?? {});
}

/** The objectSelector: the new or the old object's labels match. */
export function objectSelectorMatches(sel: LabelSelector | undefined, a: AdmissionAttributes): boolean {
  if (!sel || (!sel.matchLabels && !sel.matchExpressions?.length)) return true;
  return [a.object, a.oldObject].some((o) => o !== undefined && selectorMatches(sel, o.metadata?.labels));
}

/** The namespaceSelector; `namespaceOf` reads a Namespace (undefined when it does not exist). */
export async function namespaceSelectorMatches(sel: LabelSelector | undefined, a: AdmissionAttributes,
  namespaceOf: (name: string) => Promise<KubeObject | undefined>): Promise<boolean> {
  if (!sel || (!sel.matchLabels && !sel.matchExpressions?.length)) return true;
  const isNamespace = a.resource.group === '' && a.resource.plural === 'namespaces';
  if (isNamespace) return selectorMatches(sel, (a.object ?? a.oldObject)?.metadata?.labels);
  if (a.namespace === '') return true;
  const ns = await namespaceOf(a.namespace);
  return selectorMatches(sel, ns?.metadata?.labels);
}
