/**
 * Field selectors (`?fieldSelector=spec.nodeName=n1,status.phase!=Running`): parsed as
 * apimachinery's fields.ParseSelector (terms split on unescaped commas, `=`, `==`, `!=`, `\`
 * escapes), checked against the fields each resource supports (its field label conversion
 * function), and matched against the values the registry exposes (ToSelectableFields).
 */
import type { Event, KubeObject, Namespace, Node, Pod, ReplicaSet, Secret } from '../types.ts';
import { toResourceInfo, type ResourceInfo, type ResourceRef } from '../resources.ts';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

export class ParsedFieldSelector {
  /** Terms sorted as Kubernetes sorts them. */
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: FieldRequirement[]) {
    this.requirements = requirements;
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** The value of `field=value` when the selector pins that field exactly (RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  matchesFields(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '='));
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
    }
    if (c === ',' || c === '=') throw new FieldSelectorError(`invalid field selector: unescaped character: ${c}`);
    out += c;
  }
  return out;
}

/** Parses the text form; an empty string selects everything. Throws FieldSelectorError. */
export function parseFieldSelector(text: string): ParsedFieldSelector {
  const parts = splitTerms(text).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new FieldSelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    const [lhs, op, rhs] = t;
    reqs.push({ field: lhs, operator: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return new ParsedFieldSelector(reqs);
}

// --- per-resource fields --------------------------------------------------------------------

type FieldsFn = (obj: KubeObject) => Record<string, string>;

function metaFields(obj: KubeObject, namespaced: boolean): Record<string, string> {
  const f: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
  if (namespaced) f['metadata.namespace'] = obj.metadata?.namespace ?? '';
  return f;
}

const POD_FIELDS = [
  'metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName',
  'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName',
];
const EVENT_FIELDS = [
  'metadata.name', 'metadata.namespace', 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name',
  'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
  'reportingComponent', 'source', 'type',
];

interface FieldSupport {
  fields: string[];
  /** Legacy names mapped to current ones (pods accept `spec.host`). */
  aliases?: Record<string, string>;
  values: FieldsFn;
  /** Resources with their own conversion function say "field label not supported"; the rest use the meta default text. */
  custom: boolean;
}

const SUPPORT: Record<string, FieldSupport> = {
  '/pods': {
    fields: POD_FIELDS,
    aliases: { 'spec.host': 'spec.nodeName' },
    custom: true,
    values: (o) => {
      const p = o as unknown as Pod;
      return {
        ...metaFields(o, true),
        'spec.nodeName': p.spec?.nodeName ?? '',
        'spec.restartPolicy': p.spec?.restartPolicy ?? '',
        'spec.schedulerName': p.spec?.schedulerName ?? '',
        'spec.serviceAccountName': p.spec?.serviceAccountName ?? '',
        'spec.hostNetwork': String(p.spec?.hostNetwork ?? false),
        'status.phase': p.status?.phase ?? '',
        'status.podIP': p.status?.podIPs?.[0]?.ip ?? p.status?.podIP ?? '',
        'status.nominatedNodeName': p.status?.nominatedNodeName ?? '',
      };
    },
  },
  '/events': {
    fields: EVENT_FIELDS,
    custom: true,
    values: (o) => {
      const e = o as unknown as Event;
      const io = e.involvedObject ?? {};
      return {
        ...metaFields(o, true),
        'involvedObject.kind': io.kind ?? '',
        'involvedObject.namespace': io.namespace ?? '',
        'involvedObject.name': io.name ?? '',
        'involvedObject.uid': io.uid ?? '',
        'involvedObject.apiVersion': io.apiVersion ?? '',
        'involvedObject.resourceVersion': io.resourceVersion ?? '',
        'involvedObject.fieldPath': io.fieldPath ?? '',
        reason: e.reason ?? '',
        reportingComponent: e.reportingComponent ?? '',
        source: e.source?.component || e.reportingComponent || '',
        type: e.type ?? '',
      };
    },
  },
  // events.k8s.io/v1 names map onto the core event fields (AddFieldLabelConversionsForEvent).
  'events.k8s.io/events': {
    fields: ['metadata.name', 'metadata.namespace', 'reason', 'type', 'reportingComponent',
      ...EVENT_FIELDS.filter((f) => f.startsWith('involvedObject.'))],
    aliases: {
      'regarding.kind': 'involvedObject.kind', 'regarding.namespace': 'involvedObject.namespace', 'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid', 'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion', 'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
    },
    custom: true,
    values: (o) => {
      const e = o as Record<string, unknown> & KubeObject;
      const r = (e.regarding ?? {}) as Record<string, string | undefined>;
      const src = (e.deprecatedSource ?? {}) as { component?: string };
      return {
        ...metaFields(o, true),
        'involvedObject.kind': r.kind ?? '', 'involvedObject.namespace': r.namespace ?? '', 'involvedObject.name': r.name ?? '',
        'involvedObject.uid': r.uid ?? '', 'involvedObject.apiVersion': r.apiVersion ?? '',
        'involvedObject.resourceVersion': r.resourceVersion ?? '', 'involvedObject.fieldPath': r.fieldPath ?? '',
        reason: String(e.reason ?? ''), reportingComponent: String(e.reportingController ?? ''),
        source: src.component || String(e.reportingController ?? ''), type: String(e.type ?? ''),
      };
    },
  },
  '/nodes': {
    fields: ['metadata.name', 'spec.unschedulable'],
    custom: true,
    values: (o) => ({ ...metaFields(o, false), 'spec.unschedulable': String((o as unknown as Node).spec?.unschedulable ?? false) }),
  },
  '/namespaces': {
    fields: ['metadata.name', 'status.phase'],
    custom: true,
    values: (o) => ({ ...metaFields(o, false), 'status.phase': (o as unknown as Namespace).status?.phase ?? '' }),
  },
  '/secrets': {
    fields: ['metadata.name', 'metadata.namespace', 'type'],
    custom: true,
    values: (o) => ({ ...metaFields(o, true), type: (o as unknown as Secret).type ?? '' }),
  },
  'apps/replicasets': {
    fields: ['metadata.name', 'metadata.namespace', 'status.replicas'],
    custom: true,
    values: (o) => ({ ...metaFields(o, true), 'status.replicas': String((o as unknown as ReplicaSet).status?.replicas ?? 0) }),
  },
};

function support(info: ResourceInfo): FieldSupport {
  const s = SUPPORT[`${info.group}/${info.plural}`];
  if (s) return s;
  // DefaultMetaV1FieldSelectorConversion accepts both names for every kind.
  return { fields: ['metadata.name', 'metadata.namespace'], custom: false, values: (o) => metaFields(o, info.namespaced) };
}

/** Field names a resource supports in field selectors. */
export function supportedFieldSelectors(resource: ResourceRef): string[] {
  return [...support(toResourceInfo(resource)).fields];
}

/** The fields and values a resource exposes to field selectors (the registry's ToSelectableFields). */
export function selectableFields(resource: ResourceRef, obj: object): Record<string, string> {
  return support(toResourceInfo(resource)).values(obj as KubeObject);
}

/**
 * Checks a parsed selector against what the resource supports and rewrites legacy names
 * (`spec.host` → `spec.nodeName`). Throws FieldSelectorError with the apiserver's message
 * (`field label not supported: foo`) for an unsupported field.
 */
export function convertFieldSelector(resource: ResourceRef, sel: ParsedFieldSelector): ParsedFieldSelector {
  const s = support(toResourceInfo(resource));
  return new ParsedFieldSelector(sel.requirements.map((r) => {
    const field = s.aliases?.[r.field] ?? r.field;
    if (!s.fields.includes(field)) {
      if (s.custom) throw new FieldSelectorError(`field label not supported: ${r.field}`);
      throw new FieldSelectorError(`${JSON.stringify(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    return { ...r, field };
  }));
}

/** Whether `obj` of `resource` satisfies the selector (text or parsed; unsupported fields throw). */
export function fieldSelectorMatches(resource: ResourceRef, obj: object, sel: ParsedFieldSelector | string): boolean {
  const parsed = convertFieldSelector(resource, typeof sel === 'string' ? parseFieldSelector(sel) : sel);
  return parsed.matchesFields(selectableFields(resource, obj));
}
