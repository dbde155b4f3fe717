/**
 * RFC 6902 JSON Patch (`application/json-patch+json`) and RFC 7386 JSON Merge Patch
 * (`application/merge-patch+json`). Both return a new document and never mutate their inputs;
 * a failing operation throws PatchError (the apiserver answers 422 for those, like evanphx/json-patch).
 */

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

type Json = unknown;
type Container = Record<string, Json> | Json[];

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((x, i) => deepEqual(x, (b as Json[])[i]));
  const ak = Object.keys(a as object);
  const bk = Object.keys(b as object);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(b as object, k) && deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
}

function arrayIndex(token: string, length: number, forAdd: boolean, op: string, path: string): number {
  if (forAdd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`${op} operation does not apply: invalid array index ${JSON.stringify(token)}: ${path}`);
  const i = Number(token);
  if (i > length || (!forAdd && i === length)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: index out of range`);
  return i;
}

/** Walks to the parent of the pointer's last token. */
function parentOf(doc: Json, tokens: string[], op: string, path: string): Container {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, op, path)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return cur;
}

function getAt(doc: Json, path: string, op: string): Json {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, op, path)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  return cur;
}

function add(doc: Json, path: string, value: Json, op = 'add'): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, op, path), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: Json, path: string, op = 'remove'): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError(`${op} operation does not apply: cannot remove the whole document`);
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, op, path), 1);
  else {
    if (!Object.hasOwn(parent, last)) throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`);
    delete parent[last];
  }
  return doc;
}

/** Applies an RFC 6902 patch; throws PatchError. */
export function applyJsonPatch<T>(doc: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw new PatchError('json patch must be a JSON array of operations');
  let out: Json = structuredClone(doc);
  for (const raw of patch as JsonPatchOperation[]) {
    if (!isObject(raw)) throw new PatchError('json patch operations must be objects');
    const { op, path } = raw;
    if (typeof path !== 'string') throw new PatchError(`${op} operation is missing "path"`);
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError('add operation is missing "value"');
        out = add(out, path, structuredClone(raw.value));
        break;
      case 'remove':
        out = remove(out, path);
        break;
      case 'replace': {
        if (!('value' in raw)) throw new PatchError('replace operation is missing "value"');
        const tokens = parsePointer(path);
        if (tokens.length === 0) {
          out = structuredClone(raw.value);
          break;
        }
        const parent = parentOf(out, tokens, 'replace', path);
        const last = tokens[tokens.length - 1]!;
        if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false, 'replace', path)] = structuredClone(raw.value);
        else {
          if (!Object.hasOwn(parent, last)) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
          parent[last] = structuredClone(raw.value);
        }
        break;
      }
      case 'move': {
        if (typeof raw.from !== 'string') throw new PatchError('move operation is missing "from"');
        const v = getAt(out, raw.from, 'move');
        out = remove(out, raw.from, 'move');
        out = add(out, path, v, 'move');
        break;
      }
      case 'copy': {
        if (typeof raw.from !== 'string') throw new PatchError('copy operation is missing "from"');
        out = add(out, path, structuredClone(getAt(out, raw.from, 'copy')), 'copy');
        break;
      }
      case 'test': {
        let cur: Json;
        try {
          cur = getAt(out, path, 'test');
        } catch {
          cur = undefined;
        }
        if (!deepEqual(cur ?? null, raw.value ?? null)) throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return out as T;
}

/** Applies an RFC 7386 merge patch: objects merge recursively, null deletes, anything else replaces. */
export function applyMergePatch<T>(doc: T, patch: unknown): T {
  return mergePatch(structuredClone(doc), patch) as T;
}

function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
