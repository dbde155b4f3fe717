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
 * before it shares an object's strings, so that walk skips the frozen entries instead of the fieldsV1 trees
 * about to be dropped (100,000 pods at a restart: that step 2.5 → 2.25 s).
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/index.ts';

/**
 * Serialising a cached object would parse every entry's text (the getter) only to stringify it again: two
 * thirds of the server's time for a list's rows went there. `stringifyCached` has each entry put a
 * placeholder where its fieldsV1 goes (its `toJSON`, which does so only during that call) and then puts the
 * texts in. The placeholder carries a token made at random for this process, so no stored string can pass
 * for one; outside `stringifyCached` the entry serialises as any object does.
 */
const TOKEN = `fieldsV1-${randomBytes(12).toString('hex')}-`;
const PLACEHOLDER = new RegExp(`"${TOKEN}(\\d+)"`, 'g');
/** The texts of the entries met by the stringify under way (undefined when none is). */
let splicing: string[] | undefined;
/** Where a compacted entry keeps its text: not enumerable, so copies and comparisons do not see it. */
const TEXT = Symbol('fieldsV1 text');

type CompactedEntry = Record<string, unknown> & { [TEXT]: string };

/** The entry's `fieldsV1` getter, one for all entries: a fresh tree from the text on each read. */
function parseFieldsV1(this: CompactedEntry): unknown {
  return JSON.parse(this[TEXT]);
}

function entryToJSON(this: CompactedEntry): unknown {
  if (!splicing) return this;
  const out: Record<string, unknown> = {};
  for (const k in this) out[k] = k === 'fieldsV1' ? `${TOKEN}${splicing.push(this[TEXT]) - 1}` : this[k];
  return out;
}

/** JSON.stringify(value), with the compacted managed fields' texts put in as they are, not parsed and made again. */
export function stringifyCached(value: unknown): string {
  const found: string[] = [];
  splicing = found;
  let json: string;
  try {
    json = JSON.stringify(value);
  } finally {
    splicing = undefined;
  }
  return found.length === 0 ? json : json.replace(PLACEHOLDER, (_m, i: string) => found[Number(i)]!);
}

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
    Object.defineProperty(entry, TEXT, { enumerable: false, value: intern(JSON.stringify(fields)) });
    Object.defineProperty(entry, 'fieldsV1', { enumerable: true, get: parseFieldsV1 });
    // Not enumerable: copies (spread, structuredClone) and comparisons do not see it.
    Object.defineProperty(entry, 'toJSON', { enumerable: false, value: entryToJSON });
    Object.freeze(entry);
  }
}
