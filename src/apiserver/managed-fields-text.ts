/**
 * The watch cache keeps each managedFields entry's `fieldsV1` as its JSON text, not as a tree of objects.
 *
 * A decoded fieldsV1 is a tree of small objects (`{"f:metadata":{"f:labels":{".":{},"f:app":{}}},...}`): in a
 * pod written by a controller and a kubelet it was 75 of the pod's 123 objects and a third of its heap. The API
 * server itself reads them only when a write of that object computes ownership, and it writes from a copy;
 * upstream's cacher, likewise, holds them as raw bytes (metav1.FieldsV1 is `Raw []byte`). Here the entry gets an
 * enumerable getter that parses the text on each read, so JSON.stringify, structuredClone, spreading and deep
 * comparison see the same plain value as before, and the entry is frozen, as every cached object is once handed
 * out (freezing walks values; it skips a frozen entry and so does not parse it).
 *
 * The texts are shared: pods of one template written by the same managers carry the same fields, so one string
 * serves them all (`intern`); the entries' other strings go through `internValue`. The watch cache compacts
 * before it shares an object's strings, so that walk skips the frozen entries: it took a tenth of a restart's
 * decoding to walk fieldsV1 trees about to be dropped.
 */
import type { KubeObject } from '../api/index.ts';
import type { StringInterner } from './string-interner.ts';

export function compactManagedFields(obj: KubeObject, intern: (text: string) => string, internValue?: (value: string) => string): void {
  const entries = obj.metadata?.managedFields;
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object' || Object.isFrozen(entry)) continue;
    const fields = (entry as { fieldsV1?: unknown }).fieldsV1;
    if (fields === null || typeof fields !== 'object') continue;
    // The entry is frozen below, and a walk that shares strings skips frozen objects (rather than read the
    // getter, which parses): its own strings (manager, time, ...) are shared here.
    if (internValue) {
      const e = entry as Record<string, unknown>;
      for (const k in e) if (typeof e[k] === 'string') e[k] = internValue(e[k]);
    }
    keepText(entry, intern(JSON.stringify(fields)));
  }
}

function keepText(entry: object, text: string): void {
  Object.defineProperty(entry, 'fieldsV1', { enumerable: true, get: () => JSON.parse(text) as unknown });
  Object.freeze(entry);
}

const FIELDS_KEY = '"fieldsV1":';
const MANAGED_FIELDS_KEY = '"managedFields":[';

/**
 * Where the JSON array or object that starts at `from` ends (the index after its last character), its strings
 * and their escapes skipped; -1 when the text ends first.
 */
function valueEnd(json: string, from: number): number {
  let depth = 0;
  for (let i = from; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if ((c === 0x7d /* } */ || c === 0x5d /* ] */) && --depth === 0) return i + 1;
  }
  return -1;
}

/** A flat copy of a substring (a slice keeps the whole string it was cut from alive). */
const own = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

/**
 * JSON.parse of a stored object with its managed fields compacted as compactManagedFields does, without
 * building the fieldsV1 trees only to turn them back into text: each entry's fieldsV1 text is cut from the
 * JSON itself and the rest is parsed. A restart decodes every stored object, and parsing, stringifying and
 * dropping those trees was a fifth of the CPU to `ready` with 100,000 pods. The texts are the stored bytes
 * (what JSON.stringify made when the registry wrote them), so they read back as the same value. Falls back to
 * a plain parse and compactManagedFields when the text does not have the expected shape (no managed fields,
 * or a `managedFields` key outside metadata first).
 */
export function parseCompacted(json: string, texts: StringInterner, values?: StringInterner): KubeObject {
  const start = json.indexOf(MANAGED_FIELDS_KEY);
  const end = start < 0 ? -1 : valueEnd(json, start + MANAGED_FIELDS_KEY.length - 1);
  const cut: string[] = [];
  let rest = '';
  let from = 0;
  for (let at = end < 0 ? -1 : json.indexOf(FIELDS_KEY, start); at >= 0 && at < end; at = json.indexOf(FIELDS_KEY, at)) {
    const value = at + FIELDS_KEY.length;
    if (json.charCodeAt(value) !== 0x7b /* { */) {
      at = value;
      continue;
    }
    const valueStop = valueEnd(json, value);
    if (valueStop < 0 || valueStop > end) break;
    cut.push(json.slice(value, valueStop));
    // A placeholder the parsed entry carries instead: the text's number.
    rest += json.slice(from, value) + String(cut.length);
    from = at = valueStop;
  }
  const obj = JSON.parse(cut.length ? rest + json.slice(from) : json) as KubeObject;
  const entries = obj.metadata?.managedFields;
  let placed = 0;
  if (cut.length && Array.isArray(entries)) {
    for (const entry of entries) if (typeof (entry as { fieldsV1?: unknown } | null)?.fieldsV1 === 'number') placed++;
  }
  const internValue = values && ((v: string) => values.string(v));
  if (placed !== cut.length || cut.length === 0) {
    // Nothing cut, or not the stored layout (a text cut elsewhere, a numeric fieldsV1 of its own): the slow way.
    const plain = cut.length ? (JSON.parse(json) as KubeObject) : obj;
    compactManagedFields(plain, (t) => texts.string(t), internValue);
    return plain;
  }
  for (const entry of entries as object[]) {
    const e = entry as Record<string, unknown>;
    if (typeof e.fieldsV1 !== 'number') continue;
    if (values) for (const k in e) if (typeof e[k] === 'string') e[k] = values.string(e[k]);
    keepText(e, texts.string(cut[e.fieldsV1 - 1]!, own));
  }
  // Entries whose fieldsV1 was not an object (none the registries write) are compacted as before.
  compactManagedFields(obj, (t) => texts.string(t), internValue);
  return obj;
}
