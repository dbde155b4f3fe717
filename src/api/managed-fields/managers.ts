/**
 * Managers and their field sets (structured-merge-diff's `merge.Updater` with apiserver's managedFields
 * managers around it): an `Update` gives the writer the fields it changed and takes them from everyone else;
 * an `Apply` makes the applier own exactly the fields of its configuration, removes what it stopped applying
 * and nobody else owns, and fails with conflicts when it would change a field another manager owns (unless
 * forced, which takes the field). Identity: manager, operation, subresource and, for updates, apiVersion.
 */
import { FieldSet } from './field-set.ts';
import { compare, ensureNamedFieldsAreMembers, jsonEqual, merge, removeItems, toFieldSet } from './typed-value.ts';
import type { FieldType } from './field-type.ts';

export type Operation = 'Apply' | 'Update';

export interface Manager {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  /** RFC 3339 seconds, as metav1.Time. */
  time?: string;
  set: FieldSet;
  /** The FieldsV1 `set` was decoded from, reused while `set` is that same object. */
  decoded?: { set: FieldSet; fieldsV1: unknown };
}

export interface Conflict {
  manager: Manager;
  path: string[];
}

/** An apply that would change fields other managers own. */
export class ApplyConflictError extends Error {
  readonly conflicts: Conflict[];
  constructor(conflicts: Conflict[]) {
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`);
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

/** BuildManagerIdentifier: appliers are one entry whatever apiVersion they applied with. */
export function managerId(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

export type Managers = Map<string, Manager>;

export interface ChangeContext {
  type: FieldType;
  /**
   * Removes, in place, the fields no manager owns (identity, resourceVersion, managedFields; a subresource's
   * reset fields) from a set the caller just made, and returns it.
   */
  ignored: (set: FieldSet) => FieldSet;
  now: string;
}

/**
 * Updater.update: takes the fields that changed from `oldObj` to `newObj` away from every manager but
 * `writer`; without `force`, fields added or modified that others own are conflicts instead.
 */
function takeChanged(oldObj: unknown, newObj: unknown, managers: Managers, writer: string, force: boolean, ctx: ChangeContext): { changed: FieldSet; removed: FieldSet } {
  const c = compare(oldObj, newObj, ctx.type);
  const changed = ctx.ignored(c.modified.addAll(c.added));
  const removed = c.removed;
  const conflicts: Conflict[] = [];
  for (const [id, m] of managers) {
    if (id === writer) continue;
    const clash = m.set.intersection(changed);
    if (!clash.isEmpty()) {
      if (!force) for (const path of clash.paths()) conflicts.push({ manager: m, path });
      else m.set = m.set.difference(clash);
    }
  }
  if (conflicts.length) throw new ApplyConflictError(conflicts);
  const anyRemoved = !removed.isEmpty();
  for (const [id, m] of managers) {
    if (id !== writer && anyRemoved && !m.set.intersection(removed).isEmpty()) m.set = m.set.difference(removed);
    if (m.set.isEmpty()) managers.delete(id);
  }
  return { changed, removed };
}

/**
 * An Update by `writer`: it gains what changed and loses what was removed; its time moves only when it gained
 * something (managedFieldsUpdater).
 */
export function update(oldObj: unknown, newObj: unknown, managers: Managers, writer: Omit<Manager, 'set' | 'time'>, ctx: ChangeContext): Managers {
  const id = managerId(writer);
  const { changed, removed } = takeChanged(oldObj, newObj, managers, id, true, ctx);
  const previous = managers.get(id);
  // The same set object when nothing was gained or lost, so its encoding can be reused.
  const unchanged = previous && removed.intersection(previous.set).isEmpty() && changed.difference(previous.set).isEmpty();
  const set = unchanged ? previous.set : previous ? previous.set.difference(removed).union(changed) : changed;
  if (!changed.isEmpty()) {
    managers.set(id, { ...writer, set, time: ctx.now, ...(previous?.decoded ? { decoded: previous.decoded } : {}) });
  } else if (previous) {
    if (set.isEmpty()) managers.delete(id);
    else previous.set = set;
  }
  return managers;
}

/**
 * An Apply of `config` by `applier` onto `live`: the merged object (pruned of fields the applier dropped and
 * nobody else owns) and the managers after. Throws ApplyConflictError unless `force`.
 */
export function apply(live: unknown, config: unknown, managers: Managers, applier: Omit<Manager, 'set' | 'time'>, force: boolean, ctx: ChangeContext): { object: unknown; managers: Managers } {
  const id = managerId(applier);
  let merged = merge(live, config, ctx.type);
  const last = managers.get(id);
  const set = ctx.ignored(toFieldSet(config, ctx.type));
  managers.set(id, { ...applier, ...(last?.time ? { time: last.time } : {}), set });
  if (last && !last.set.isEmpty()) merged = prune(merged, managers, last.set, ctx.type);
  takeChanged(live, merged, managers, id, force, ctx);
  // managedFieldsUpdater: an apply that changed the object stamps the applier's time; a no-op keeps it.
  const entry = managers.get(id);
  if (entry && !jsonEqual(live, merged)) entry.time = ctx.now;
  return { object: merged, managers };
}

/** Removes what the applier owned last time, no longer applies, and no manager owns (Updater.prune). */
function prune(merged: unknown, managers: Managers, lastSet: FieldSet, type: FieldType): unknown {
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, type), type, merged);
  const toRemove = ensureNamedFieldsAreMembers(lastSet, type, merged).intersection(mergedSet).difference(ensureNamedFieldsAreMembers(owned, type, merged));
  if (toRemove.isEmpty()) return merged;
  return removeItems(merged, toRemove, type) ?? {};
}

/** The cap on Update entries (DefaultMaxUpdateManagers); the oldest collapse into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

export function capUpdateManagers(managers: Managers): Managers {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return managers;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const [id, m] = updaters[i]!;
    const bucketId = managerId({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: m.apiVersion });
    const first = firstByVersion.get(m.apiVersion);
    if (first === undefined) {
      firstByVersion.set(m.apiVersion, id);
      continue;
    }
    if (!managers.has(bucketId)) {
      const f = managers.get(first)!;
      managers.delete(first);
      managers.set(bucketId, { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: m.apiVersion, set: f.set, ...(f.time ? { time: f.time } : {}) });
    }
    const bucket = managers.get(bucketId)!;
    bucket.set = m.set.union(bucket.set);
    if (m.time) bucket.time = m.time;
    else delete bucket.time;
    managers.delete(id);
    length--;
  }
  return managers;
}

function seconds(time: string | undefined): number {
  return time ? Math.floor(Date.parse(time) / 1000) : 0;
}
