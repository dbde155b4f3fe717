/**
 * The strategy of a custom resource version (apiextensions' customresource strategy): the object is pruned to
 * its structural schema and defaulted as it is decoded, validated against the schema and its
 * `x-kubernetes-validations` CEL rules (`self`, and `oldSelf` on updates), and split into spec and status when
 * the version has a status subresource. Metadata rules are the generic ones.
 */
import type { KubeObject, ResourceInfo } from '../../api/index.ts';
import { applySchemaDefaults, celRules, invalid as invalidField, prune, validateAgainstSchema, type FieldError, type JSONSchemaProps } from '../../api/index.ts';
import { CelEvalError, evaluate } from '../admission/cel/cel.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

function schemaOf(info: ResourceInfo): JSONSchemaProps | undefined {
  return info.custom?.schema as JSONSchemaProps | undefined;
}

/** The JSON type of the value a failed rule was on, as upstream prints it in the cause (`"object"`). */
function schemaType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The CEL rules of the schema, run as upstream's validator does; failures in upstream's words. */
export function validateCelRules(obj: KubeObject, old: KubeObject | undefined, schema: JSONSchemaProps): FieldError[] {
  const errs: FieldError[] = [];
  for (const site of celRules(obj, old, schema)) {
    const transition = /\boldSelf\b/.test(site.rule.rule);
    if (transition && !site.hasOld && !site.rule.optionalOldSelf) continue;
    // The rule's place, then its fieldPath; a rule on the root has no path (Go prints a nil field.Path as <nil>).
    const field = [site.path, site.rule.fieldPath?.replace(/^\./, '')].filter(Boolean).join('.') || '<nil>';
    let ok: boolean;
    let detail = site.rule.message || `failed rule: ${site.rule.rule.trim()}`;
    try {
      const bindings: Record<string, unknown> = { self: site.self };
      if (transition) bindings.oldSelf = site.oldSelf;
      ok = evaluate(site.rule.rule, bindings) === true;
      if (!ok && site.rule.messageExpression) {
        const m = evaluate(site.rule.messageExpression, bindings);
        if (typeof m === 'string' && m.trim()) detail = m;
      }
    } catch (err) {
      if (!(err instanceof CelEvalError)) throw err;
      ok = false;
      detail = `${detail}: ${err.message}`;
    }
    if (ok) continue;
    const e = invalidField(field, schemaType(site.self), detail);
    if (site.rule.reason === 'FieldValueForbidden') errs.push({ ...e, type: 'FieldValueForbidden', message: `Forbidden: ${detail}` });
    else if (site.rule.reason === 'FieldValueRequired') errs.push({ ...e, type: 'FieldValueRequired', message: `Required value: ${detail}` });
    else if (site.rule.reason === 'FieldValueDuplicate') errs.push({ ...e, type: 'FieldValueDuplicate', message: `Duplicate value: ${detail}` });
    else errs.push(e);
  }
  return errs;
}

export function customResourceStrategy(info: ResourceInfo): Strategy {
  const schema = schemaOf(info);
  const hasStatus = info.subresources.some((s) => s.name === 'status');
  const base = baseStrategy(info, { hasStatusSubresource: hasStatus, tracksGeneration: true });
  const check = (obj: KubeObject, old: KubeObject | undefined) => {
    const errs = old ? base.validateUpdate(obj, old) : base.validate(obj);
    if (schema) errs.push(...validateAgainstSchema(obj, schema));
    if (schema && errs.length === 0) errs.push(...validateCelRules(obj, old, schema));
    return errs;
  };
  return {
    ...base,
    decode(obj: KubeObject) {
      if (!schema) return;
      prune(obj as Record<string, unknown>, schema);
      applySchemaDefaults(obj, schema);
    },
    unknownFields(obj: KubeObject) {
      return schema ? prune(structuredClone(obj) as Record<string, unknown>, schema) : [];
    },
    validate: (obj) => check(obj, undefined),
    validateUpdate: (obj, old) => check(obj, old),
    validateStatusUpdate: (obj, old) => check(obj, old),
  };
}
