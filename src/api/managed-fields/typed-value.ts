/**
 * The operations server-side apply does on an object with its type (structured-merge-diff's `typed`
 * package): the set of fields a value names (`toFieldSet`), what changed between two values (`compare`),
 * merging an applied configuration into a live object (`merge`), and removing a set of fields (`removeItems`).
 * Values are plain JSON; `undefined` means absent, `null` is a value.
 */
import { FieldSet, fieldPE, keyPE, valuePE } from './field-set.ts';
import { resolve, type FieldType } from './field-type.ts';

type Json = unknown;
type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isEmptyContainer(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);
}

/** The path element of a granular list's item: `k:{...}` by its keys (defaults filling absent keys), or `v:<json>`. */
export function itemPE(t: Extract<FieldType, { shape: 'list' }>, item: Json): string {
  if (t.keys.length === 0) return valuePE(item);
  const key: Obj = {};
  for (const k of t.keys) {
    const v = isObject(item) ? item[k] : undefined;
    if (v !== undefined) key[k] = v;
    else if (t.keyDefaults?.[k] !== undefined) key[k] = t.keyDefaults[k];
  }
  return keyPE(key);
}

function indexItems(t: Extract<FieldType, { shape: 'list' }>, list: readonly Json[]): { pes: string[]; byPE: Map<string, Json> } {
  const pes: string[] = [];
  const byPE = new Map<string, Json>();
  for (const item of list) {
    const pe = itemPE(t, item);
    pes.push(pe);
    byPE.set(pe, item);
  }
  return { pes, byPE };
}

/** The fields a value sets (an applied configuration's fields): leaves, list items and map entries. */
export function toFieldSet(value: Json, type: FieldType): FieldSet {
  const set = new FieldSet();
  const path: string[] = [];
  const walk = (v: Json, t0: FieldType): void => {
    const t = resolve(t0, v);
    if (t.shape === 'list' && Array.isArray(v)) {
      for (const item of v) {
        path.push(itemPE(t, item));
        walk(item, t.element);
        set.insert(path);
        path.pop();
      }
    } else if (t.shape === 'map' && isObject(v)) {
      for (const k in v) {
        const cv = v[k];
        if (cv === undefined) continue;
        path.push(fieldPE(k));
        walk(cv, t.child(k));
        if (cv === null || (isObject(cv) && isEmptyContainer(cv)) || !t.declared(k)) set.insert(path);
        path.pop();
      }
    } else {
      set.insert(path);
    }
  };
  walk(value, type);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`: leaves added, modified or removed, and containers added or removed whole. */
export function compare(lhs: Json, rhs: Json, type: FieldType): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const path: string[] = [];
  const walk = (l: Json, r: Json, t0: FieldType): void => {
    if (l === undefined && r === undefined) return;
    if (l === r && (l === null || typeof l !== 'object')) return;
    const t = resolve(t0, r !== undefined ? r : l);
    const bothEmpty = isEmptyContainer(l) && isEmptyContainer(r);
    if (t.shape === 'list' && (Array.isArray(l) || Array.isArray(r)) && !bothEmpty) {
      const li = indexItems(t, Array.isArray(l) ? l : []);
      const ri = indexItems(t, Array.isArray(r) ? r : []);
      for (const pe of new Set([...li.pes, ...ri.pes])) {
        path.push(pe);
        walk(li.byPE.get(pe), ri.byPE.get(pe), t.element);
        path.pop();
      }
    } else if (t.shape === 'map' && (isObject(l) || isObject(r)) && !bothEmpty) {
      const lo = isObject(l) ? l : {};
      const ro = isObject(r) ? r : {};
      for (const k in lo) {
        path.push(fieldPE(k));
        walk(lo[k], ro[k], t.child(k));
        path.pop();
      }
      for (const k in ro) {
        if (k in lo) continue;
        path.push(fieldPE(k));
        walk(undefined, ro[k], t.child(k));
        path.pop();
      }
    } else {
      if (path.length === 0) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!jsonEqual(l, r)) c.modified.insert(path);
      return;
    }
    if (path.length === 0) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, type);
  return c;
}

/** `rhs` merged into `lhs`: maps key by key, granular lists item by item (upstream's order), leaves from `rhs`. */
export function merge(lhs: Json, rhs: Json, type: FieldType): Json {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  const t = resolve(type, rhs);
  if (t.shape === 'map' && isObject(lhs) && isObject(rhs)) {
    const out: Obj = { ...lhs };
    for (const [k, v] of Object.entries(rhs)) {
      if (v === undefined) continue;
      out[k] = merge(lhs[k], v, t.child(k));
    }
    return out;
  }
  if (t.shape === 'list' && Array.isArray(lhs) && Array.isArray(rhs)) return mergeList(t, lhs, rhs);
  return rhs;
}

/** merge.go's visitListItems: shared items follow rhs order, lhs-only items keep their place. */
function mergeList(t: Extract<FieldType, { shape: 'list' }>, lhs: readonly Json[], rhs: readonly Json[]): Json[] {
  const l = indexItems(t, lhs);
  const r = indexItems(t, rhs);
  const shared = r.pes.filter((pe) => l.byPE.has(pe));
  let nextShared = shared.shift();
  const mergedRhs = new Set<string>();
  const out: Json[] = [];
  let li = 0;
  let ri = 0;
  while (li < l.pes.length || ri < r.pes.length) {
    if (li < l.pes.length && ri < r.pes.length) {
      const pe = l.pes[li]!;
      if (pe === r.pes[ri]) {
        mergedRhs.add(pe);
        out.push(merge(l.byPE.get(pe), r.byPE.get(pe), t.element));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (r.byPE.has(pe) && nextShared !== undefined && nextShared !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.pes.length) {
      const pe = l.pes[li]!;
      if (!r.byPE.has(pe)) {
        out.push(lhs[li]);
        li++;
        continue;
      }
      if (mergedRhs.has(pe)) {
        li++;
        continue;
      }
    }
    if (ri < r.pes.length) {
      const pe = r.pes[ri]!;
      mergedRhs.add(pe);
      out.push(merge(l.byPE.get(pe), r.byPE.get(pe), t.element));
      ri++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return out;
}

/** `value` without the fields in `set` (whole items and entries when they are members); an emptied container goes. */
export function removeItems(value: Json, set: FieldSet, type: FieldType): Json {
  const t = resolve(type, value);
  if (t.shape === 'list' && Array.isArray(value)) {
    if (value.length === 0) return value;
    const out: Json[] = [];
    for (const item of value) {
      const pe = itemPE(t, item);
      if (set.members.has(pe)) continue;
      const sub = set.children.get(pe);
      const next = sub && !sub.isEmpty() ? removeItems(item, sub, t.element) : item;
      if (next !== undefined) out.push(next);
    }
    return out.length ? out : undefined;
  }
  if (t.shape === 'map' && isObject(value)) {
    if (Object.keys(value).length === 0) return value;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = fieldPE(k);
      if (set.members.has(pe)) continue;
      const sub = set.children.get(pe);
      const next = sub && !sub.isEmpty() ? removeItems(v, sub, t.child(k)) : v;
      if (next !== undefined) out[k] = next;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/**
 * The set with every struct field that has owned children made a member itself (EnsureNamedFieldsAreMembers):
 * pruning then removes a whole struct field nobody owns anything under.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: FieldType, value: Json): FieldSet {
  const out = new FieldSet();
  const walk = (s: FieldSet, t0: FieldType, v: Json, o: FieldSet): void => {
    const t = resolve(t0, v);
    for (const m of s.members) o.members.add(m);
    for (const [pe, c] of s.children) {
      let ct: FieldType = { shape: 'deduced' };
      let cv: Json;
      if (t.shape === 'map' && pe.startsWith('f:')) {
        const name = pe.slice(2);
        ct = t.child(name);
        cv = isObject(v) ? v[name] : undefined;
        if (t.declared(name) && !c.isEmpty()) o.members.add(pe);
      } else if (t.shape === 'list') {
        ct = t.element;
        cv = Array.isArray(v) ? v.find((item) => itemPE(t, item) === pe) : undefined;
      }
      walk(c, ct, cv, o.child(pe));
    }
  };
  walk(set, type, value, out);
  return out;
}

/** Deep equality of JSON values (absent keys equal missing ones). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ak = Object.keys(a as Obj).filter((k) => (a as Obj)[k] !== undefined);
  const bk = Object.keys(b as Obj).filter((k) => (b as Obj)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual((a as Obj)[k], (b as Obj)[k]));
}
