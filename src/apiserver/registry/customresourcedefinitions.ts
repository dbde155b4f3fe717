/**
 * The CustomResourceDefinition strategy: defaults and validation of apiextensions' `crd` strategy, the status
 * subresource (conditions, acceptedNames and storedVersions are the server's: crd/crd-controller.ts), and the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer every new CRD gets, so deleting it first deletes its
 * objects.
 */
import type { KubeObject, ResourceInfo } from '../../api/index.ts';
import {
  CRD_CLEANUP_FINALIZER, GoLiteral, defaultCustomResourceDefinition, invalid, validateCustomResourceDefinition, type CustomResourceDefinition,
  type FieldError, type JSONSchemaProps, type ValidationRule,
} from '../../api/index.ts';
import { CelEvalError, compile } from '../admission/cel/cel.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

/** A ValidationRule as Go's %#v prints it in upstream's message. */
function ruleLiteral(r: ValidationRule): GoLiteral {
  const str = (v: string | undefined) => JSON.stringify(v ?? '');
  return new GoLiteral(`apiextensions.ValidationRule{Rule:${str(r.rule)}, Message:${str(r.message)}, MessageExpression:${str(r.messageExpression)}, Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:${str(r.fieldPath)}, OptionalOldSelf:(*bool)(nil)}`);
}

/** Every `x-kubernetes-validations` rule (and messageExpression) of every version must compile. */
export function validateCelCompiles(crd: CustomResourceDefinition): FieldError[] {
  const errs: FieldError[] = [];
  const walk = (s: JSONSchemaProps | undefined, path: string) => {
    if (!s || typeof s !== 'object') return;
    (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
      for (const [field, expr] of [['rule', r.rule], ['messageExpression', r.messageExpression]] as const) {
        if (expr === undefined) continue;
        const p = typeof expr === 'string' ? compile(expr) : new CelEvalError('must be a string');
        if (p instanceof CelEvalError) errs.push(invalid(`${path}.x-kubernetes-validations[${i}].${field}`, ruleLiteral(r), `compilation failed: ${p.message}`));
      }
    });
    for (const [k, sub] of Object.entries(s.properties ?? {})) walk(sub, `${path}.properties[${k}]`);
    if (s.items && typeof s.items === 'object') walk(s.items, `${path}.items`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}.additionalProperties`);
  };
  (crd.spec?.versions ?? []).forEach((v, i) => walk(v?.schema?.openAPIV3Schema, `spec.versions[${i}].schema.openAPIV3Schema`));
  return errs;
}

export function customResourceDefinitionStrategy(info: ResourceInfo): Strategy {
  const base = baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true });
  return {
    ...base,
    decode(obj: KubeObject) {
      defaultCustomResourceDefinition(obj as CustomResourceDefinition);
    },
    prepareForCreate(obj: KubeObject) {
      const crd = obj as CustomResourceDefinition;
      const stored = crd.spec?.versions?.find?.((v) => v.storage)?.name;
      crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: stored ? [stored] : [] };
      const meta = (obj.metadata ??= {});
      if (!meta.finalizers?.includes(CRD_CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER];
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject) {
      base.prepareForUpdate(obj, old);
      // A new storage version joins storedVersions at once, as upstream's PrepareForUpdate does.
      const crd = obj as CustomResourceDefinition;
      const stored = crd.spec?.versions?.find?.((v) => v.storage)?.name;
      if (stored && crd.status && !crd.status.storedVersions?.includes(stored)) crd.status.storedVersions = [...(crd.status.storedVersions ?? []), stored];
    },
    validate: (obj) => [...base.validate(obj), ...validateCustomResourceDefinition(obj as CustomResourceDefinition), ...validateCelCompiles(obj as CustomResourceDefinition)],
    validateUpdate(obj, old) {
      const errs = [...base.validateUpdate(obj, old), ...validateCustomResourceDefinition(obj as CustomResourceDefinition), ...validateCelCompiles(obj as CustomResourceDefinition)];
      const [n, o] = [(obj as CustomResourceDefinition).spec, (old as CustomResourceDefinition).spec];
      if (n?.group !== o?.group) errs.push(invalid('spec.group', n?.group, 'field is immutable'));
      if (n?.scope !== o?.scope) errs.push(invalid('spec.scope', n?.scope, 'field is immutable'));
      return errs;
    },
  };
}
