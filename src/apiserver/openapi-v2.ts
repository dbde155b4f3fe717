/**
 * `/openapi/v2`: a Swagger 2.0 document with no paths or definitions. kubectl checks a `v1` `List` (what
 * `kubectl get -o json` prints and `kubectl replace -f -` reads back, as in upstream's key-rotation recipe)
 * against OpenAPI v2 on the client side, because no v3 operation declares `fieldValidation` for `List`; with
 * no v2 document at all it refuses the input ("the server could not find the requested resource"). With this
 * one it finds no schema for the items, leaves them to the server's own validation (each item is sent on its
 * own, which the v3 documents cover), and goes on. kubectl asks for gnostic's protobuf form; other clients get
 * the JSON form.
 */
import { VERSION_INFO } from './discovery.ts';

/** What kubectl asks for (the old spelling, which Go's mime parser refuses) and what the server answers with, as kube-openapi does. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'];
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited protobuf field (strings and embedded messages). */
function field(number: number, value: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

const TITLE = 'Kubernetes';
const VERSION = VERSION_INFO.gitVersion;

/** gnostic openapi_v2.Document { swagger = 1; info = 2 { title = 1; version = 2 } }. */
export const openApiV2Protobuf: Buffer = Buffer.concat([field(1, '2.0'), field(2, Buffer.concat([field(1, TITLE), field(2, VERSION)]))]);

export const openApiV2Json = { swagger: '2.0', info: { title: TITLE, version: VERSION }, paths: {}, definitions: {} };
