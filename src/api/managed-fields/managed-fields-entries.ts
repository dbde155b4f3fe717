/**
 * `metadata.managedFields` ⇄ managers: decoding the entries an object carries (or a client sent) and
 * encoding them back in upstream's order (operation, then time, then manager, apiVersion, subresource), plus
 * the text of an apply conflict as the apiserver words it.
 */
import { FieldSet, pathString } from './field-set.ts';
import { managerId, type Conflict, type Manager, type Managers } from './managers.ts';

export interface ManagedFieldsEntryJson {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** Managers from entries; throws on an entry upstream's DecodeManagedFields refuses. */
export function decodeManagedFields(entries: readonly ManagedFieldsEntryJson[] | undefined): Managers {
  const out: Managers = new Map();
  for (const [i, e] of (entries ?? []).entries()) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (!e.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      ...(e.subresource ? { subresource: e.subresource } : {}),
      ...(e.time ? { time: e.time } : {}),
      set: e.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(e.fieldsV1),
    };
    if (e.fieldsV1 !== undefined) m.decoded = { set: m.set, fieldsV1: e.fieldsV1 };
    const id = managerId(m);
    const seen = out.get(id);
    if (seen) {
      seen.set = seen.set.union(m.set);
      delete seen.decoded;
    }
    else out.set(id, m);
  }
  return out;
}

/** Entries in upstream's order; managers with empty sets are left out. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntryJson[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  list.sort((a, b) => cmp(a.operation, b.operation) || seconds(a.time) - seconds(b.time) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''));
  return list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: m.decoded?.set === m.set ? m.decoded.fieldsV1 : m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function seconds(time: string | undefined): number {
  return time ? Math.floor(Date.parse(time) / 1000) : 0;
}

/** printManager: `"kubectl" with subresource "scale" using apps/v1` (updaters name their apiVersion). */
export function describeManager(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** The Status message and causes of a 409 apply conflict, as the apiserver writes them. */
export function conflictReport(conflicts: readonly Conflict[]): { message: string; causes: { type: 'FieldManagerConflict'; message: string; field: string }[] } {
  const sorted = [...conflicts].sort((a, b) => cmp(managerId(a.manager), managerId(b.manager)));
  const causes = sorted.map((c) => ({ type: 'FieldManagerConflict' as const, message: `conflict with ${describeManager(c.manager)}`, field: pathString(c.path) }));
  if (sorted.length === 1) {
    return { message: `Apply failed with 1 conflict: conflict with ${describeManager(sorted[0]!.manager)}: ${pathString(sorted[0]!.path)}`, causes };
  }
  const byManager = new Map<string, { text: string; paths: string[] }>();
  for (const c of sorted) {
    const text = describeManager(c.manager);
    const entry = byManager.get(text) ?? { text, paths: [] };
    entry.paths.push(pathString(c.path));
    byManager.set(text, entry);
  }
  const lines: string[] = [];
  for (const { text, paths } of [...byManager.values()].sort((a, b) => cmp(a.text, b.text))) {
    lines.push(`conflicts with ${text}:`, ...paths.map((p) => `- ${p}`));
  }
  return { message: `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`, causes };
}
