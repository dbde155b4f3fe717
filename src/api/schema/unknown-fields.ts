/**
 * fieldValidation=Strict: the JSON paths of fields an object carries that its kind does not define
 * (`spec.containers[0].imagee`). The apiserver reports each as
 * `strict decoding error: unknown field "<path>"` (400 BadRequest), or as a warning for
 * fieldValidation=Warn. The schema comes from kubernetes-models (see generate.ts).
 */
import { SCHEMA_ROOTS, SCHEMA_TYPES } from './schema.generated.ts';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The schema root for a kind (`Pod`, or `apps/v1/Deployment`); the object's apiVersion disambiguates `Event`. */
function rootFor(kind: string, obj: unknown): string | undefined {
  if (SCHEMA_ROOTS[kind]) return SCHEMA_ROOTS[kind];
  const apiVersion = isMap(obj) && typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined;
  if (apiVersion && SCHEMA_ROOTS[`${apiVersion}/${kind}`]) return SCHEMA_ROOTS[`${apiVersion}/${kind}`];
  const matches = Object.entries(SCHEMA_ROOTS).filter(([k]) => k.endsWith(`/${kind}`));
  return (matches.find(([k]) => k === `v1/${kind}`) ?? matches[0])?.[1];
}

/** Whether unknownFields can check this kind at all. */
export function hasSchema(kind: string, obj?: unknown): boolean {
  return rootFor(kind, obj) !== undefined;
}

/** Paths of unknown fields in `obj` of `kind`, in document order; [] when the kind has no schema. */
export function unknownFields(kind: string, obj: unknown): string[] {
  const root = rootFor(kind, obj);
  if (!root) return [];
  const out: string[] = [];
  walk(obj, root, '', out);
  return out;
}

function walk(value: unknown, ref: string, path: string, out: string[]): void {
  if (value === null || value === undefined || ref === 's' || ref === '*') return;
  if (ref.startsWith('[]')) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, ref.slice(2), `${path}[${i}]`, out));
    return;
  }
  if (ref.startsWith('{}')) {
    if (isMap(value)) for (const [k, v] of Object.entries(value)) walk(v, ref.slice(2), path ? `${path}.${k}` : k, out);
    return;
  }
  const fields = SCHEMA_TYPES[ref];
  if (!fields || !isMap(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    const fref = fields[k];
    if (fref === undefined) out.push(p);
    else walk(v, fref, p, out);
  }
}

/** The apiserver's message for one unknown field. */
export function strictDecodingError(paths: readonly string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`;
}
