/**
 * The bodies of list responses as parts to send (response-writer.ts), never one string of the whole list
 * (a list of 100,000 pods is hundreds of MB): objects go as the registry's JSON of each (`objectJson`: the
 * recent write's, spliced, or made as the response takes it); Table rows and PartialObjectMetadata, which are
 * made per list, are stringified a batch of rows at a time. What goes out is what `JSON.stringify` of the whole
 * Table or list would give.
 */
import type { KubeObject, ResourceInfo } from '../api/index.ts';
import { tableColumns, tableRow } from './api-bridge.ts';
import { stringifyCached } from './managed-fields-text.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const COMMA = Buffer.from(',');
const LIST_TAIL = Buffer.from(']}');
const ROW_END = Buffer.from('}');

function bytes(json: string | Buffer): Buffer {
  return typeof json === 'string' ? Buffer.from(json) : json;
}

/** `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}` with each item's JSON as it is. */
export function* objectListParts(kind: string, apiVersion: string, listMeta: Record<string, string>, items: Iterable<string | Buffer>): Generator<Buffer> {
  yield Buffer.from(`{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[`);
  let first = true;
  for (const item of items) {
    if (!first) yield COMMA;
    first = false;
    yield bytes(item);
  }
  yield LIST_TAIL;
}

/** Rows (or items) stringified this many at a time: one stringify is cheaper than many, one huge one is not. */
const BATCH = 64;

/** `items` as the members of a JSON array, BATCH at a time, each batch made when it is taken. */
function* batched<T>(items: readonly T[], toJson: (item: T) => unknown): Generator<Buffer> {
  for (let i = 0; i < items.length; i += BATCH) {
    const text = stringifyCached(items.slice(i, i + BATCH).map(toJson));
    yield Buffer.from(`${i === 0 ? '' : ','}${text.slice(1, -1)}`);
  }
}

/** A PartialObjectMetadataList of `objects` (`Accept: …;as=PartialObjectMetadataList`): each object's whole ObjectMeta. */
export function* partialListParts(version: string, listMeta: Record<string, string>, objects: readonly KubeObject[]): Generator<Buffer> {
  const apiVersion = `meta.k8s.io/${version}`;
  yield Buffer.from(`{"kind":"PartialObjectMetadataList","apiVersion":"${apiVersion}","metadata":${JSON.stringify(listMeta)},"items":[`);
  yield* batched(objects, (o) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata ?? {} }));
  yield LIST_TAIL;
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
export function* tableParts(o: TableBodyOptions): Generator<Buffer> {
  const head = JSON.stringify({ kind: 'Table', apiVersion: `meta.k8s.io/${o.version}`, metadata: o.listMeta, columnDefinitions: tableColumns(o.info) });
  yield Buffer.from(`${head.slice(0, -1)},"rows":[`);
  const apiVersion = `meta.k8s.io/${o.version}`;
  if (o.includeObject === 'Object') {
    // The whole object: its JSON as kept, after the row's cells.
    for (const [i, obj] of o.objects.entries()) {
      const row = tableRow(o.info, obj, { now: o.now, includeObject: 'None' });
      yield Buffer.from(`${i > 0 ? ',' : ''}{"cells":${JSON.stringify(row.cells)}${row.conditions ? `,"conditions":${JSON.stringify(row.conditions)}` : ''},"object":`);
      yield bytes(o.objectJson(obj));
      yield ROW_END;
    }
  } else {
    yield* batched(o.objects, (obj) => {
      const row = tableRow(o.info, obj, { now: o.now, includeObject: 'None' });
      if (o.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata ?? {} } as typeof row.object;
      return row;
    });
  }
  yield LIST_TAIL;
}
