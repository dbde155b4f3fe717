/**
 * ValidatingAdmissionPolicy, as upstream's plugin (GA in 1.32): every binding whose policy matches the request
 * (the policy's matchConstraints, then the binding's matchResources, both with resource rules, exclusions,
 * resourceNames and selectors) evaluates the policy's `variables` and `validations` in CEL over `object`,
 * `oldObject`, `request`, `namespaceObject`, `variables` and `params`. Parameters are objects of a core kind
 * (ConfigMaps, typically) named or selected by the binding's paramRef (in the request's namespace unless it
 * names one), each evaluated on its own; none found denies unless `parameterNotFoundAction: Allow`. Parameters
 * of other groups fail by the policy's failurePolicy. A false validation is acted on by the
 * binding's validationActions: Deny refuses with upstream's `ValidatingAdmissionPolicy 'p' with binding 'b'
 * denied request: …` (reason from the validation, Invalid by default), Warn adds a Warning header, Audit an
 * audit annotation. An expression that fails to compile or run is a failure unless failurePolicy is Ignore.
 */
import { findResourceByKind, type KubeObject, type MatchResources, type NamedRuleWithOperations, type ValidatingAdmissionPolicy, type ValidatingAdmissionPolicyBinding } from '../../../api/index.ts';
import { labelSelectorFromObject, labelSelectorMatches } from '../../../api/selectors/label-selector.ts';
import { ApiError, type StatusReason } from '../../status.ts';
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from '../chain.ts';
import { CelEvalError, evaluate } from '../cel/cel.ts';
import { isExemptResource, namespaceSelectorMatches, objectSelectorMatches, ruleMatches } from '../webhook/matching.ts';
import { buildRequest } from '../webhook/review.ts';

export interface PolicySources {
  policies: () => KubeObject[];
  bindings: () => KubeObject[];
}

const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

interface Failure {
  message: string;
  reason: string;
}

function namedRuleMatches(r: NamedRuleWithOperations, a: AdmissionAttributes): boolean {
  if (!ruleMatches(r, a)) return false;
  return !r.resourceNames?.length || r.resourceNames.includes(a.name);
}

export class ValidatingAdmissionPolicyPlugin implements AdmissionPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  readonly #sources: PolicySources;
  readonly #lookup: AdmissionLookup;

  constructor(sources: PolicySources, lookup: AdmissionLookup) {
    this.#sources = sources;
    this.#lookup = lookup;
  }

  async #matches(m: MatchResources | undefined, a: AdmissionAttributes): Promise<boolean> {
    if (!m) return true;
    if (m.resourceRules?.length && !m.resourceRules.some((r) => namedRuleMatches(r, a))) return false;
    if ((m.excludeResourceRules ?? []).some((r) => namedRuleMatches(r, a))) return false;
    if (!(await namespaceSelectorMatches(m.namespaceSelector, a, (n) => this.#lookup.get('namespaces', '', n)))) return false;
    return objectSelectorMatches(m.objectSelector, a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptResource(a)) return;
    const bindings = this.#sources.bindings() as unknown as ValidatingAdmissionPolicyBinding[];
    if (!bindings.length) return;
    const policies = new Map((this.#sources.policies() as unknown as ValidatingAdmissionPolicy[]).map((p) => [p.metadata?.name ?? '', p]));
    const sorted = [...bindings].sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1));
    for (const b of sorted) {
      const p = policies.get(b.spec?.policyName ?? '');
      if (!p?.spec) continue;
      if (!(await this.#matches(p.spec.matchConstraints, a))) continue;
      if (b.spec?.matchResources && !(await this.#matches(b.spec.matchResources, a))) continue;
      const failures = await this.#evaluateWithParams(p, b, a);
      const actions = b.spec?.validationActions ?? [];
      const policyName = p.metadata?.name ?? '';
      const bindingName = b.metadata?.name ?? '';
      for (const f of failures) {
        if (actions.includes('Warn')) a.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${f.message}`);
        if (actions.includes('Audit') && a.auditAnnotations) {
          const key = 'validation.policy.admission.k8s.io/validation_failure';
          const list = a.auditAnnotations[key] ? JSON.parse(a.auditAnnotations[key]) as unknown[] : [];
          list.push({ message: f.message, policy: policyName, binding: bindingName, expressionIndex: 0, validationActions: actions });
          a.auditAnnotations[key] = JSON.stringify(list);
        }
      }
      if (actions.includes('Deny') && failures.length) {
        const f = failures[0]!;
        const message = `ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}' denied request: ${f.message}`;
        const qualified = a.resource.group ? `${a.resource.plural}.${a.resource.group}` : a.resource.plural;
        const subject = a.name ? `${qualified} "${a.name}"` : qualified;
        throw new ApiError(REASON_CODES[f.reason] ?? 422, f.reason as StatusReason, `${subject} is forbidden: ${message}`, {
          name: a.name, group: a.resource.group, kind: a.resource.plural, causes: [{ message }],
        });
      }
    }
  }

  /** The failed validations (and, under failurePolicy Fail, the expressions that could not be evaluated). */
  async #evaluateWithParams(p: ValidatingAdmissionPolicy, b: ValidatingAdmissionPolicyBinding, a: AdmissionAttributes): Promise<Failure[]> {
    const kind = p.spec?.paramKind;
    if (!kind) return this.#evaluate(p, a, null);
    const fail = (message: string): Failure[] => (p.spec?.failurePolicy === 'Ignore' ? [] : [{ message, reason: 'Invalid' }]);
    const ref = b.spec?.paramRef;
    if (!ref) return fail('failed to configure binding: no paramRef specified');
    const info = kind.apiVersion && kind.kind ? findResourceByKind(kind.apiVersion, kind.kind) : undefined;
    if (!info || info.group !== '') return fail(`failed to configure policy: failed to find resource referenced by paramKind: '${kind.apiVersion ?? ''}, Kind=${kind.kind ?? ''}'`);
    const namespace = info.namespaced ? (ref.namespace || a.namespace) : '';
    if (info.namespaced && !namespace) return fail('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    let params: KubeObject[];
    if (ref.name) {
      const one = await this.#lookup.get(info.plural, namespace, ref.name);
      params = one ? [one] : [];
    } else {
      const all = (await this.#lookup.list?.(info.plural, namespace)) ?? [];
      params = all.filter((o) => labelSelectorMatches(labelSelectorFromObject(ref.selector ?? {}), o.metadata?.labels ?? {}));
    }
    if (!params.length) {
      return ref.parameterNotFoundAction === 'Allow' ? [] : fail('no params found for policy binding with `Deny` parameterNotFoundAction');
    }
    const out: Failure[] = [];
    for (const param of params) out.push(...(await this.#evaluate(p, a, param)));
    return out;
  }

  async #evaluate(p: ValidatingAdmissionPolicy, a: AdmissionAttributes, params: KubeObject | null): Promise<Failure[]> {
    const spec = p.spec!;
    const ignore = spec.failurePolicy === 'Ignore';
    const out: Failure[] = [];
    const broken = (message: string) => {
      if (!ignore) out.push({ message, reason: 'Invalid' });
    };
    const namespaceObject = a.namespace ? (await this.#lookup.get('namespaces', '', a.namespace)) ?? null : null;
    const bindings: Record<string, unknown> = {
      object: a.object ?? null, oldObject: a.oldObject ?? null, request: buildRequest(a), params, namespaceObject,
    };
    const variables: Record<string, unknown> = {};
    bindings.variables = variables;
    for (const v of spec.variables ?? []) {
      try {
        variables[v.name] = fromCel(evaluate(v.expression, bindings));
      } catch (err) {
        if (!(err instanceof CelEvalError)) throw err;
        variables[v.name] = null;
      }
    }
    for (const v of spec.validations ?? []) {
      let result: unknown;
      try {
        result = evaluate(v.expression, bindings);
      } catch (err) {
        if (!(err instanceof CelEvalError)) throw err;
        broken(`expression '${v.expression}' resulted in error: ${err.message}`);
        continue;
      }
      if (result !== true && result !== false) {
        broken(`expression '${v.expression}' resulted in error: expected a boolean, got ${String(result)}`);
        continue;
      }
      if (result) continue;
      let message = v.message || `failed expression: ${v.expression}`;
      if (v.messageExpression) {
        try {
          const m = evaluate(v.messageExpression, bindings);
          if (typeof m === 'string' && m.trim() && !m.includes('\n')) message = m;
        } catch (err) {
          if (!(err instanceof CelEvalError)) throw err;
        }
      }
      out.push({ message, reason: v.reason ?? 'Invalid' });
    }
    return out;
  }
}

/** CEL value → JSON-like value for use as a later binding (variables). */
function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return v;
}
