/**
 * managedFields on the write path (apiserver's `fieldmanager.FieldManager` for one resource): every create,
 * update and patch is an `Update` by its field manager; an apply patch is an `Apply` that merges the applied
 * configuration into the live object, prunes what the applier dropped and reports conflicts as a 409.
 * Identity and bookkeeping fields (name, uid, resourceVersion, managedFields, ...) are never owned, nor a
 * status a main-resource write cannot change. The type information comes from src/api (`fieldTypeOfKind`;
 * custom resources pass their own).
 */
import type { KubeObject, ResourceInfo } from '../api/index.ts';
import {
  ApplyConflictError, FieldSet, apply, capUpdateManagers, compare, conflictReport, decodeManagedFields, encodeManagedFields, fieldTypeOfKind, toFieldSet, update,
  type ChangeContext, type FieldType, type Managers,
} from '../api/index.ts';
import { ApiError } from './status.ts';

/** Fields no manager owns (stripmeta.go), as paths. */
const STRIPPED: readonly (readonly string[])[] = [
  ['f:apiVersion'], ['f:kind'],
  ['f:metadata', 'f:name'], ['f:metadata', 'f:namespace'], ['f:metadata', 'f:creationTimestamp'], ['f:metadata', 'f:selfLink'],
  ['f:metadata', 'f:uid'], ['f:metadata', 'f:clusterName'], ['f:metadata', 'f:generation'], ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:resourceVersion'],
];

const STRIPPED_AND_STATUS: readonly (readonly string[])[] = [...STRIPPED, ['f:status']];
const STRIPPED_AND_SPEC: readonly (readonly string[])[] = [...STRIPPED, ['f:spec']];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager upstream names a write after when the request names none: the user agent up to its first `/`. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (Buffer.byteLength(out) >= 128) break;
    if (/\p{C}/u.test(ch)) continue;
    out += ch;
  }
  return out;
}

/** The Go zero value of an object's value-struct fields, which a create is compared against (see below). */
const VALUE_STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'jobTemplate']);
/** Lists Go marshals as `null` in a zero value (no omitempty): present, so not "added" either. */
const NULL_LISTS = new Set(['containers']);

/**
 * Upstream compares a new object with the zero value of its Go type, where struct fields that are not
 * pointers already exist (`spec`, `spec.template.metadata`): those are not "added" and carry no `.` entry.
 */
function zeroValueOf(v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, child] of Object.entries(v)) {
    if (VALUE_STRUCTS.has(k) && child !== null && typeof child === 'object' && !Array.isArray(child)) out[k] = zeroValueOf(child);
    else if (NULL_LISTS.has(k) && Array.isArray(child)) out[k] = null;
  }
  return out;
}

function withoutManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _m, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

function statusOnly(obj: KubeObject): KubeObject {
  return (obj.status === undefined ? {} : { status: obj.status }) as KubeObject;
}

function withoutStatus(obj: KubeObject): KubeObject {
  const { status: _s, ...rest } = withoutManagedFields(obj);
  return rest;
}

export interface FieldManagerConfig {
  info: ResourceInfo;
  /** A main-resource write cannot change status (it has its own subresource): status is nobody's there. */
  hasStatusSubresource: boolean;
  now: () => number;
  /** The type to track with; default the kind's from src/api (DEDUCED for a kind without schema). */
  type?: FieldType;
}

export class FieldManager {
  readonly #info: ResourceInfo;
  readonly #type: FieldType;
  readonly #hasStatus: boolean;
  readonly #now: () => number;

  constructor(config: FieldManagerConfig) {
    this.#info = config.info;
    this.#type = config.type ?? fieldTypeOfKind(config.info.kind, config.info.groupVersion);
    this.#hasStatus = config.hasStatusSubresource;
    this.#now = config.now;
  }

  #context(subresource: string): ChangeContext {
    // Reset fields: a main-resource write cannot change status, a status write cannot change spec.
    const stripped = this.#hasStatus && subresource === '' ? STRIPPED_AND_STATUS : subresource === 'status' ? STRIPPED_AND_SPEC : STRIPPED;
    return {
      type: this.#type,
      ignored: (set: FieldSet) => {
        set.removePrefixes(stripped).members.delete('f:metadata');
        return set;
      },
      now: this.#stamp(Math.floor(this.#now() / 1000)),
    };
  }

  /** The RFC 3339 time of `second`, formatted once a second (every tracked write asks). */
  #stamp(second: number): string {
    if (second !== this.#stampSecond) {
      this.#stampSecond = second;
      this.#stampText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    }
    return this.#stampText;
  }

  #stampSecond = NaN;
  #stampText = '';

  /**
   * Sets `obj.metadata.managedFields` for an Update by `manager` from `old` (undefined on create). Managed
   * fields the request carries replace the live ones when they decode (that is how a client edits or resets
   * them); an object with none is not tracked again until its next apply, as upstream.
   */
  update(old: KubeObject | undefined, obj: KubeObject, manager: string, subresource: string): void {
    const meta = (obj.metadata ??= {});
    if (meta.managedFields?.length === 1 && Object.keys(meta.managedFields[0]!).length === 0) {
      // isResetManagedFields: one empty entry strips them (an empty list does not: clients unaware of the field send that).
      delete meta.managedFields;
      return;
    }
    let managers: Managers | undefined;
    if (!subresource && meta.managedFields?.length) managers = this.#decode(meta.managedFields);
    managers ??= this.#decode(old?.metadata?.managedFields) ?? new Map();
    if (old && managers.size === 0) {
      delete meta.managedFields;
      return;
    }
    try {
      const ctx = this.#context(subresource);
      // Only what the write can change is compared: a status write changes status alone (the strategy put the
      // rest back), a main-resource write never changes a status that has its own subresource.
      const view = subresource === 'status' ? statusOnly : this.#hasStatus && !subresource ? withoutStatus : withoutManagedFields;
      const before = old ? view(old) : zeroValueOf(view(obj));
      update(before, view(obj), managers, { manager, operation: 'Update', apiVersion: this.#info.groupVersion, ...(subresource ? { subresource } : {}) }, ctx);
      this.#store(obj, capUpdateManagers(managers));
    } catch {
      // UpdateNoErrors: a value the type cannot describe leaves the object without managedFields, never a failed write.
      delete meta.managedFields;
    }
  }

  /**
   * The object an apply of `config` by `manager` makes of `live` (undefined: the apply creates it), with its
   * managedFields. A conflict is the apiserver's 409 unless `force`. On the status subresource the registry
   * then keeps only the status of the result.
   */
  apply(live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, subresource: string): KubeObject {
    const ctx = this.#context(subresource);
    const liveBody = live ? withoutManagedFields(live) : {};
    const applied = withoutManagedFields(config);
    const applier = { manager, operation: 'Apply' as const, apiVersion: config.apiVersion ?? this.#info.groupVersion, ...(subresource ? { subresource } : {}) };
    const run = (forced: boolean) => {
      const managers = this.#decode(live?.metadata?.managedFields) ?? new Map();
      if (live && managers.size === 0) {
        // Fields set before anything was tracked belong to `before-first-apply` (skipNonAppliedManager).
        update(zeroValueOf(liveBody), liveBody, managers, { manager: 'before-first-apply', operation: 'Update', apiVersion: this.#info.groupVersion }, ctx);
      }
      return apply(liveBody, applied, managers, applier, forced, ctx);
    };
    let result: { object: unknown; managers: Managers };
    try {
      result = run(force);
    } catch (err) {
      if (!(err instanceof ApplyConflictError)) throw err;
      // lastAppliedManager: kubectl's server-side apply over client-side apply may take the fields whose live
      // value is still what the last client-side apply set.
      const allowed = manager === 'kubectl' ? this.#lastAppliedFields(liveBody) : undefined;
      if (!allowed || !err.conflicts.every((c) => allowed.has(c.path))) {
        const { message, causes } = conflictReport(allowed ? err.conflicts.filter((c) => !allowed.has(c.path)) : err.conflicts);
        throw new ApiError(409, 'Conflict', message, { causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) });
      }
      result = run(true);
    }
    const managers = result.managers;
    const obj = structuredClone(result.object) as KubeObject;
    const lastApplied = live?.metadata?.annotations?.[LAST_APPLIED];
    if (manager === 'kubectl' && lastApplied !== undefined) {
      // lastAppliedUpdater: kubectl's own server-side apply keeps client-side apply's annotation in step.
      const { [LAST_APPLIED]: _old, ...annotations } = applied.metadata?.annotations ?? {};
      const body = { ...applied, metadata: { ...applied.metadata, annotations } };
      if (Object.keys(annotations).length === 0) delete (body.metadata as { annotations?: unknown }).annotations;
      (obj.metadata ??= {}).annotations = { ...obj.metadata.annotations, [LAST_APPLIED]: JSON.stringify(body) };
    }
    this.#store(obj, capUpdateManagers(managers));
    return obj;
  }

  /** The fields of the last client-side apply whose live value it still set (allowedConflictsFromLastApplied). */
  #lastAppliedFields(live: KubeObject): FieldSet | undefined {
    const text = live.metadata?.annotations?.[LAST_APPLIED];
    if (!text) return undefined;
    try {
      const last = JSON.parse(text) as unknown;
      const c = compare(last, live, this.#type);
      return toFieldSet(last, this.#type).difference(c.modified).difference(c.added).difference(c.removed);
    } catch {
      return undefined;
    }
  }

  #decode(entries: unknown): Managers | undefined {
    if (!Array.isArray(entries)) return undefined;
    try {
      return decodeManagedFields(entries);
    } catch {
      return undefined;
    }
  }

  #store(obj: KubeObject, managers: Managers): void {
    const entries = encodeManagedFields(managers);
    const meta = (obj.metadata ??= {});
    if (entries.length) meta.managedFields = entries as NonNullable<typeof meta.managedFields>;
    else delete meta.managedFields;
  }
}
