/**
 * The api module's pure functions the server calls (validation, unknown fields, patches, selectors, tables),
 * gathered in one place with the signatures the server relies on. Everything here forwards to src/api.
 */
import * as api from '../api/index.ts';
import type { FieldError, KubeObject, ResourceInfo, Table } from '../api/index.ts';

// The api engineer lands these step by step; a missing one fails loudly at the first call, not at import.
const a = api as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;

function call<T>(name: string, ...args: unknown[]): T {
  const f = a[name];
  if (typeof f !== 'function') throw new Error(`src/api does not export ${name} yet`);
  return f(...args) as T;
}

export function validateObject(info: ResourceInfo, obj: KubeObject): FieldError[] {
  return typeof a.validateObject === 'function' ? call('validateObject', info, obj) : [];
}

export function validateObjectUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject): FieldError[] {
  return typeof a.validateObjectUpdate === 'function' ? call('validateObjectUpdate', info, obj, old) : [];
}

export function validateStatusUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject): FieldError[] {
  return typeof a.validateStatusUpdate === 'function' ? call('validateStatusUpdate', info, obj, old) : [];
}

/** Paths of fields the kind does not declare (`spec.containers[0].imagee`), for fieldValidation. */
export function unknownFields(kind: string, obj: unknown): string[] {
  return typeof a.unknownFields === 'function' ? call('unknownFields', kind, obj) : [];
}

export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  return call('applyJsonPatch', doc, ops);
}

export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return call('applyMergePatch', doc, patch);
}

export function applyStrategicMergePatch(doc: unknown, patch: unknown, kind: string): unknown {
  return call('applyStrategicMergePatch', doc, patch, kind);
}

export interface Selector {
  matches(obj: KubeObject): boolean;
}

/** Compiles label and field selectors from query text into one predicate; a parse error throws. */
export function compileSelectors(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ((obj: KubeObject) => boolean) | undefined {
  const tests: ((obj: KubeObject) => boolean)[] = [];
  if (labelSelector) {
    const sel = call<unknown>('parseLabelSelector', labelSelector);
    tests.push((o) => call<boolean>('labelSelectorMatches', sel, o.metadata?.labels ?? {}));
  }
  if (fieldSelector) {
    const sel = call<unknown>('parseFieldSelector', fieldSelector);
    tests.push((o) => call<boolean>('fieldSelectorMatches', info, o, sel));
  }
  if (tests.length === 0) return undefined;
  return (o) => tests.every((t) => t(o));
}

export function printTable(info: ResourceInfo, objects: KubeObject[], options: { wide?: boolean; now?: number; includeObject?: 'None' | 'Metadata' | 'Object' }): Table {
  return call('printTable', info, objects, options);
}
