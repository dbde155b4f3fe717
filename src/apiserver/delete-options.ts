/**
 * The types of a DeleteOptions body, checked as Go's decoder checks them: a value of the wrong JSON type is a
 * 400 `json: cannot unmarshal <kind> into Go struct field DeleteOptions.<field> of type <type>`, before any
 * handler reads the options (a number where `dryRun`'s list belongs was a 500). null is the zero value.
 */
import { badRequest } from './status.ts';

type GoType = 'int64' | 'string' | 'bool' | '[]string';

const FIELDS: Record<string, GoType> = {
  gracePeriodSeconds: 'int64',
  propagationPolicy: 'string',
  orphanDependents: 'bool',
  dryRun: '[]string',
  ignoreStoreReadErrorWithClusterBreakingPotential: 'bool',
};

const PRECONDITIONS: Record<string, GoType> = { uid: 'string', resourceVersion: 'string' };

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;
}

function fits(v: unknown, t: GoType): boolean {
  switch (t) {
    case 'int64': return typeof v === 'number' && Number.isSafeInteger(v);
    case 'string': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case '[]string': return Array.isArray(v) && v.every((s) => s === null || typeof s === 'string');
  }
}

function checkFields(obj: Record<string, unknown>, fields: Record<string, GoType>, struct: string, prefix: string): void {
  for (const [field, type] of Object.entries(fields)) {
    const v = obj[field];
    if (v === undefined || v === null || fits(v, type)) continue;
    const what = Array.isArray(v) && type === '[]string' ? `${jsonKind(v.find((s) => typeof s !== 'string'))}` : jsonKind(v);
    throw badRequest(`json: cannot unmarshal ${what} into Go struct field ${struct}.${prefix}${field} of type ${type === '[]string' && Array.isArray(v) ? 'string' : type}`);
  }
}

/** Throws a 400 when a decoded DeleteOptions body has a field of the wrong type. */
export function checkDeleteOptions(options: Record<string, unknown>): void {
  checkFields(options, FIELDS, 'DeleteOptions', '');
  const pre = options['preconditions'];
  if (pre === undefined || pre === null) return;
  if (typeof pre !== 'object' || Array.isArray(pre)) {
    throw badRequest(`json: cannot unmarshal ${jsonKind(pre)} into Go struct field DeleteOptions.preconditions of type v1.Preconditions`);
  }
  checkFields(pre as Record<string, unknown>, PRECONDITIONS, 'DeleteOptions', 'preconditions.');
}
