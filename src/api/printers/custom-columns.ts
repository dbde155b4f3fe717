/**
 * Tables for custom resources, as apiextensions' tableconvertor prints them: NAME, then the CRD version's
 * additionalPrinterColumns (an `Age` column of `.metadata.creationTimestamp` when it declares none). A column's
 * JSONPath is the simple kind CRDs allow (`.spec.replicas`, `.status.conditions[0].type`, `.metadata['name']`);
 * a path that finds nothing gives an empty cell (kubectl prints `<none>`), a `date` column prints an age.
 */
import type { KubeObject, TableColumnDefinition } from '../types.ts';
import type { PrinterColumn } from '../resources.ts';
import { translateTimestampSince } from './duration.ts';

type Step = string | number;

/** The steps of a simple JSONPath (`{.spec.items[0].name}` → spec, items, 0, name); undefined when not simple. */
export function parseSimpleJsonPath(path: string): Step[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < p.length && (m = re.exec(p))) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push(m[3]!);
  }
  return re.lastIndex === p.length || p === '' ? steps : undefined;
}

/** The value at a simple JSONPath, or undefined. */
export function evaluateSimpleJsonPath(obj: unknown, path: string): unknown {
  const steps = parseSimpleJsonPath(path);
  if (!steps) return undefined;
  let v: unknown = obj;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

const NAME_DESC = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

export function customColumnDefinitions(columns: readonly PrinterColumn[]): TableColumnDefinition[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESC, priority: 0 },
    ...columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
  ];
}

function cell(type: string, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'date':
      return typeof value === 'string' ? translateTimestampSince(value, now) : null;
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

export function customColumnCells(columns: readonly PrinterColumn[], obj: KubeObject, now: number): unknown[] {
  return [obj.metadata?.name ?? '', ...columns.map((c) => cell(c.type, evaluateSimpleJsonPath(obj, c.jsonPath), now))];
}
