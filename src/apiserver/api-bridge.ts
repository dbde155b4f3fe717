/**
 * The api module's pure functions the server calls (validation, unknown fields, patches, selectors, tables),
 * gathered with the signatures the server relies on. Everything here forwards to src/api.
 */
import * as api from '../api/index.ts';
import type { FieldError, KubeObject, ResourceInfo, Table } from '../api/index.ts';

export const validateObject = (info: ResourceInfo, obj: KubeObject): FieldError[] => api.validateObject(info, obj);
export const validateObjectUpdate = (info: ResourceInfo, obj: KubeObject, old: KubeObject): FieldError[] => api.validateObjectUpdate(info, obj, old);
export const validateStatusUpdate = (info: ResourceInfo, obj: KubeObject, old: KubeObject): FieldError[] => api.validateStatusUpdate(info, obj, old);
export const { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, validatePodEphemeralContainersUpdate, podQOSClass } = api;

/** Paths of fields the kind does not declare (`spec.containers[0].imagee`), for fieldValidation. */
export const unknownFields = (kind: string, obj: unknown): string[] => api.unknownFields(kind, obj);
/** Go's decoder error for the first value of the wrong JSON type, or undefined. */
export const decodeError = (kind: string, obj: unknown): string | undefined => api.decodeError(kind, obj);
/** Paths of keys that appear twice in one JSON object of the raw body. */
export const duplicateFields = (json: string): string[] => api.duplicateFields(json);
/** `strict decoding error: duplicate field "x", unknown field "y"`. */
export const strictDecodingError = (unknown: readonly string[], duplicates: readonly string[]): string => api.strictDecodingError(unknown, duplicates);

/** Compiles label and field selectors from query text into one predicate; a parse error throws. */
export function compileSelectors(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ((obj: KubeObject) => boolean) | undefined {
  const tests: ((obj: KubeObject) => boolean)[] = [];
  if (labelSelector) {
    const sel = api.parseLabelSelector(labelSelector);
    tests.push((o) => api.labelSelectorMatches(sel, o.metadata?.labels ?? {}));
  }
  if (fieldSelector) {
    const sel = api.parseFieldSelector(fieldSelector);
    tests.push((o) => api.fieldSelectorMatches(info, o, sel));
  }
  if (tests.length === 0) return undefined;
  return (o) => tests.every((t) => t(o));
}

export function printTable(info: ResourceInfo, objects: KubeObject[], options: { now?: number; includeObject?: 'None' | 'Metadata' | 'Object'; noHeaders?: boolean }): Table {
  return api.printTable(info, objects, options);
}

/** The column definitions of a resource's Table (wide ones included). */
export function tableColumns(info: ResourceInfo): api.TableColumnDefinition[] {
  return api.tableColumns(info);
}

/** One Table row (cells, conditions, and `object` as `includeObject` says). */
export function tableRow(info: ResourceInfo, obj: KubeObject, options: { now?: number; includeObject?: 'None' | 'Metadata' | 'Object' }): api.TableRow {
  return api.tableRow(info, obj, options);
}
