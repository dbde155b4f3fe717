/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as apimachinery's
 * strategicpatch.StrategicMergePatch applies it: maps merge, `null` deletes, lists named in
 * PATCH_META merge by their key (containers by name, ports by containerPort, ...), other lists are
 * replaced. Directives: `$patch: replace|delete` (on maps and as a list element), `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`. Ordering follows
 * normalizeElementOrder: patched items in the patch's order, server-only items kept in place.
 */
import { PATCH_META, type FieldMeta } from './patch-meta.ts';
import { PatchError } from './json-patch.ts';

type Json = unknown;
type JsonMap = Record<string, Json>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
/** Returned by mergeMap when the patch says `$patch: delete` for the whole map. */
const DELETE = Symbol('delete');

function isMap(v: Json): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A decoded JSON value as Go's `%v` prints it (maps with sorted keys, `<nil>`, floats as `%g` does). */
function goValue(v: Json): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  if (typeof v === 'number') {
    if (v === 0) return '0';
    // strconv's shortest %g: the exponent form when the decimal exponent is below -4 or at least 6.
    const [mantissa, exp] = v.toExponential().split('e') as [string, string];
    const e = Number(exp);
    if (e >= -4 && e < 6) return String(v);
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(v);
}

function fieldMeta(type: string | undefined, field: string): FieldMeta {
  return (type && PATCH_META[type]?.[field]) || {};
}

function scalarKey(v: Json): string {
  return JSON.stringify(v);
}

/** Applies a strategic merge patch to `original` for an object of `kind` (`Pod`, `Node`, `Deployment`, ...). */
export function applyStrategicMergePatch<T>(original: T, patch: unknown, kind?: string): T {
  if (!isMap(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  const k = kind ?? (isMap(original) && typeof original.kind === 'string' ? original.kind : undefined);
  const type = k && PATCH_META[k] ? k : undefined;
  const out = mergeMap(isMap(original) ? structuredClone(original) : {}, structuredClone(patch), type);
  return (out === DELETE ? {} : out) as T;
}

function mergeMap(original: JsonMap, patch: JsonMap, type: string | undefined): JsonMap | typeof DELETE {
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      delete patch[DIRECTIVE];
      return stripDirectives(patch) as JsonMap;
    }
    if (d === 'delete') return DELETE;
    if (d !== 'merge') throw new PatchError(`unknown patch type: ${String(d)} in map: ${goValue(patch)}`);
    delete patch[DIRECTIVE];
  }
  if (RETAIN_KEYS in patch) {
    const keep = patch[RETAIN_KEYS];
    if (!Array.isArray(keep)) throw new PatchError(`invalid ${RETAIN_KEYS} directive: must be a list of strings`);
    // applyRetainKeysDirective: fields of the original not named are cleared before merging.
    for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
    delete patch[RETAIN_KEYS];
  }
  // $deleteFromPrimitiveList/<field>: remove those scalars from the original list first.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_PRIMITIVE)) continue;
    const field = k.slice(DELETE_PRIMITIVE.length);
    if (!Array.isArray(v)) throw new PatchError(`invalid ${k}: must be a list`);
    const drop = new Set(v.map(scalarKey));
    if (Array.isArray(original[field])) original[field] = (original[field] as Json[]).filter((x) => !drop.has(scalarKey(x)));
    delete patch[k];
  }
  // $setElementOrder/<field>: merge that list now, ordered as the directive says.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new PatchError(`invalid ${k}: must be a list`);
    const meta = fieldMeta(type, field);
    const patchList = patch[field];
    if (patchList === null) {
      delete original[field];
    } else {
      if (patchList !== undefined && !Array.isArray(patchList)) throw new PatchError(`invalid patch for ${field}: expected a list`);
      if (patchList) checkAgainstSetOrder(patchList as Json[], order, meta.key);
      const merged = mergeList(asList(original[field]), (patchList as Json[] | undefined) ?? [], meta, order);
      if (merged.length || original[field] !== undefined) original[field] = merged;
    }
    delete patch[k];
    delete patch[field];
  }
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      delete original[k];
      continue;
    }
    const meta = fieldMeta(type, k);
    const ov = original[k];
    if (isMap(pv)) {
      const merged = mergeMap(isMap(ov) ? ov : {}, pv, meta.type);
      if (merged === DELETE) delete original[k];
      else original[k] = merged;
    } else if (Array.isArray(pv)) {
      original[k] = meta.list === 'merge' ? mergeList(asList(ov), pv, meta) : (stripDirectives(pv) as Json[]);
    } else {
      original[k] = pv;
    }
  }
  return original;
}

function asList(v: Json): Json[] {
  return Array.isArray(v) ? v : [];
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isMap(x) && DIRECTIVE in x && Object.keys(x).length === 1)).map(stripDirectives);
  if (isMap(v)) {
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
      out[k] = stripDirectives(x);
    }
    return out;
  }
  return v;
}

/** Merges a list with strategy `merge`: by key for maps, as a set for scalars. */
function mergeList(original: Json[], patch: Json[], meta: FieldMeta, order?: Json[]): Json[] {
  const key = meta.key;
  const elementsAreMaps = [...original, ...patch].some(isMap);
  if (!elementsAreMaps) {
    const merged: Json[] = [];
    const seen = new Set<string>();
    for (const v of [...original, ...patch]) {
      const sk = scalarKey(v);
      if (!seen.has(sk)) {
        seen.add(sk);
        merged.push(v);
      }
    }
    return orderList(merged, order ?? patch, original, scalarKey);
  }
  if (!key) throw new PatchError('cannot merge lists without merge key');
  const keyOf = (v: Json) => (isMap(v) ? scalarKey(v[key]) : scalarKey(v));
  let merged = [...original];
  const plain: JsonMap[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isMap(item)) throw new PatchError(`invalid list element for merge key ${key}: ${JSON.stringify(item)}`);
    if (!(DIRECTIVE in item)) {
      plain.push(item);
      continue;
    }
    const d = item[DIRECTIVE];
    if (d === 'delete') {
      if (!(key in item)) throw new PatchError(`map: ${goValue(item)} does not contain declared merge key: ${key}`);
      merged = merged.filter((o) => keyOf(o) !== scalarKey(item[key]));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw new PatchError(`unknown patch type: ${String(d)} in map: ${goValue(item)}`);
    }
  }
  if (replace) return plain.map((p) => stripDirectives(p));
  for (const item of plain) {
    if (!(key in item)) throw new PatchError(`map: ${goValue(item)} does not contain declared merge key: ${key}`);
    const i = merged.findIndex((o) => keyOf(o) === scalarKey(item[key]));
    if (i >= 0) {
      const m = mergeMap(isMap(merged[i]) ? (merged[i] as JsonMap) : {}, item, meta.type);
      if (m === DELETE) merged.splice(i, 1);
      else merged[i] = m;
    } else {
      const m = mergeMap({}, item, meta.type);
      if (m !== DELETE) merged.push(m);
    }
  }
  return orderList(merged, order ?? plain, original, keyOf);
}

/**
 * validatePatchWithSetOrderList: the patch list's items (deletions and other directives aside) must appear
 * in `$setElementOrder` and in the same relative order; otherwise the patch is refused, as upstream does.
 */
function checkAgainstSetOrder(patchList: Json[], order: Json[], key: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const same = (a: Json, b: Json): boolean => {
    if (!key) return scalarKey(a) === scalarKey(b);
    if (!isMap(a) || !isMap(b)) throw new PatchError(`unexpected kind of list element for merge key ${key}`);
    for (const m of [a, b]) if (!(key in m)) throw new PatchError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
    return scalarKey(a[key]) === scalarKey(b[key]);
  };
  const items = patchList.filter((x) => !(isMap(x) && DIRECTIVE in x));
  let p = 0;
  for (let o = 0; p < items.length && o < order.length; o++) if (same(items[p], order[o])) p++;
  if (p < items.length) {
    throw new PatchError(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ORDER.slice(0, -1)} list:\n${goValue(order)}\n`);
  }
}

/**
 * normalizeElementOrder: items named in `order` come in that order; the others (server-only) keep
 * their original relative order and are interleaved by their position in the original list.
 */
function orderList(merged: Json[], order: Json[], original: Json[], keyOf: (v: Json) => string): Json[] {
  const orderKeys = order.filter((o) => !(isMap(o) && DIRECTIVE in o)).map(keyOf);
  const orderIndex = new Map(orderKeys.map((k, i) => [k, i]));
  const serverIndex = new Map(original.map((o, i) => [keyOf(o), i]));
  const inPatch = merged.filter((m) => orderIndex.has(keyOf(m))).sort((a, b) => orderIndex.get(keyOf(a))! - orderIndex.get(keyOf(b))!);
  const serverOnly = merged.filter((m) => !orderIndex.has(keyOf(m))).sort((a, b) => (serverIndex.get(keyOf(a)) ?? 0) - (serverIndex.get(keyOf(b)) ?? 0));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (i >= serverOnly.length) out.push(inPatch[j++]);
    else if (j >= inPatch.length) out.push(serverOnly[i++]);
    else {
      const li = serverIndex.get(keyOf(serverOnly[i]));
      const ri = serverIndex.get(keyOf(inPatch[j]));
      if (li !== undefined && ri !== undefined && li < ri) out.push(serverOnly[i++]);
      else out.push(inPatch[j++]);
    }
  }
  return out;
}
