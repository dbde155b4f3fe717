/**
 * `/openapi/v2`: the Swagger 2.0 document of the served kinds (openapi-v2-document.ts), as kube-apiserver
 * serves it: gnostic's protobuf to a client that asks for it (kubectl and client-go do), JSON otherwise, each
 * with its own ETag (the quoted SHA-512 of its bytes) so a client's `If-None-Match` gets a 304. Both forms are
 * built on first use and kept until the set of served custom resource versions changes (a CRD created,
 * changed or deleted), as upstream's OpenAPI controller rebuilds the aggregated spec.
 *
 * kubectl 1.32 reads it for `kubectl explain --output=plaintext-openapiv2`, and for client-side validation
 * of a `v1` `List` (what `kubectl get -o json` prints and `kubectl replace -f -` reads back), because no v3
 * operation declares `fieldValidation` for `List`; older kubectl (before 1.27) for apply, explain and edit.
 */
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../api/index.ts';
import { gnosticDocument } from './openapi-v2-proto.ts';
import { swaggerDocument } from './openapi-v2-document.ts';

/** What kubectl asks for (the old spelling, which Go's mime parser refuses) and what the server answers with, as kube-openapi does. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'];
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export interface ServedOpenApiV2 {
  contentType: string;
  body: Buffer;
  /** Quoted, as the header carries it. */
  etag: string;
  lastModified: string;
}

interface Forms {
  json: ServedOpenApiV2;
  protobuf: ServedOpenApiV2;
  /** The custom resource versions it was built from (the served table replaces an info when it changes). */
  custom: ResourceInfo[];
}

let forms: Forms | undefined;

const sameInfos = (a: readonly ResourceInfo[], b: readonly ResourceInfo[]) => a.length === b.length && a.every((r, i) => r === b[i]);

function served(contentType: string, body: Buffer, lastModified: string): ServedOpenApiV2 {
  return { contentType, body, etag: `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`, lastModified };
}

/** The form for this Accept header (protobuf when asked for, JSON otherwise) of the document of these resources. */
export function openApiV2(accept: string | undefined, resources: readonly ResourceInfo[] = RESOURCES): ServedOpenApiV2 {
  const custom = resources.filter((r) => r.custom);
  if (!forms || !sameInfos(forms.custom, custom)) {
    const doc = swaggerDocument(resources);
    const now = new Date().toUTCString();
    forms = { json: served('application/json', Buffer.from(JSON.stringify(doc)), now), protobuf: served(OPENAPI_V2_PROTOBUF, gnosticDocument(doc), now), custom };
  }
  return OPENAPI_V2_PROTOBUF_ACCEPT.some((t) => accept?.includes(t)) ? forms.protobuf : forms.json;
}

/** Whether `If-None-Match` names this ETag (or `*`): the client's copy is current. */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
