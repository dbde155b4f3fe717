/**
 * The bodies of list responses as parts to send (response-writer.ts), made from each object's JSON as the
 * registry already keeps it (`objectJson`) rather than stringifying every object for every list: a list of
 * objects splices those bytes; a PartialObjectMetadataList and a Table's `object` column splice the bytes of
 * each object's `metadata` (json-slice.ts); only the Table's cells are printed per list. What goes out is
 * what upstream sends: the same members in the same order as `JSON.stringify` of the equivalent object.
 */
import type { KubeObject, ResourceInfo } from '../api/index.ts';
import { tableColumns, tableRow } from './api-bridge.ts';
import { metadataSlice } from './json-slice.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const COMMA = Buffer.from(',');
const LIST_TAIL = Buffer.from(']}');
const ROW_TAIL = Buffer.from('}}');

function bytes(json: string | Buffer): Buffer {
  return typeof json === 'string' ? Buffer.from(json) : json;
}

/** `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}` with each item's JSON as it is. */
export function objectListParts(kind: string, apiVersion: string, listMeta: Record<string, string>, items: readonly (string | Buffer)[]): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[`)];
  items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(bytes(item));
  });
  parts.push(LIST_TAIL);
  return parts;
}

/** An object's metadata JSON: cut from its JSON when that has the registry's layout, else stringified. */
function metadataJson(obj: KubeObject, json: Buffer): Buffer {
  return metadataSlice(json) ?? Buffer.from(JSON.stringify(obj.metadata ?? {}));
}

/** `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/<version>","metadata":` */
function partialHead(version: string): Buffer {
  return Buffer.from(`{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/${version}","metadata":`);
}

/** A PartialObjectMetadataList of `objects` (`Accept: …;as=PartialObjectMetadataList`). */
export function partialListParts(version: string, listMeta: Record<string, string>, objects: readonly KubeObject[], objectJson: (o: KubeObject) => string | Buffer): Buffer[] {
  const head = partialHead(version);
  const close = Buffer.from('}');
  const parts: Buffer[] = [Buffer.from(`{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/${version}","metadata":${JSON.stringify(listMeta)},"items":[`)];
  objects.forEach((o, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(head, metadataJson(o, bytes(objectJson(o))), close);
  });
  parts.push(LIST_TAIL);
  return parts;
}

export interface TableBodyOptions {
  info: ResourceInfo;
  /** The Table's meta.k8s.io version, which its rows' PartialObjectMetadata share (upstream's asTable). */
  version: string;
  listMeta: Record<string, string>;
  objects: readonly KubeObject[];
  now: number;
  includeObject: IncludeObject;
  objectJson: (o: KubeObject) => string | Buffer;
}

/**
 * A meta.k8s.io Table of `objects`: the printer's cells and conditions for each row, and its `object` as
 * upstream fills it (Metadata: PartialObjectMetadata with the whole ObjectMeta, managedFields included;
 * Object: the object; None: no member).
 */
export function tableParts(o: TableBodyOptions): Buffer[] {
  const head = { kind: 'Table', apiVersion: `meta.k8s.io/${o.version}`, metadata: o.listMeta, columnDefinitions: tableColumns(o.info) };
  const headJson = JSON.stringify(head);
  const parts: Buffer[] = [Buffer.from(`${headJson.slice(0, -1)},"rows":[`)];
  const partial = partialHead(o.version);
  o.objects.forEach((obj, i) => {
    const row = tableRow(o.info, obj, { now: o.now, includeObject: 'None' });
    const text = `${i > 0 ? ',' : ''}{"cells":${JSON.stringify(row.cells)}${row.conditions ? `,"conditions":${JSON.stringify(row.conditions)}` : ''}`;
    if (o.includeObject === 'None') {
      parts.push(Buffer.from(`${text}}`));
      return;
    }
    const json = bytes(o.objectJson(obj));
    if (o.includeObject === 'Object') {
      parts.push(Buffer.from(`${text},"object":`), json, ROW_TAIL.subarray(1));
      return;
    }
    parts.push(Buffer.from(`${text},"object":`), partial, metadataJson(obj, json), ROW_TAIL);
  });
  parts.push(LIST_TAIL);
  return parts;
}
