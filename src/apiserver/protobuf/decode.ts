/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the JSON objects the
 * rest of the server handles. kubectl's typed clients send them (`kubectl create namespace|configmap|secret`
 * and friends), and client-go has no fallback to JSON for request bodies, so the server has to read them.
 *
 * The body is the 4-byte magic `k8s\0` and a `runtime.Unknown` envelope (typeMeta, raw); `raw` is the object's
 * message. Field tables come from Kubernetes' generated.proto files (schema.generated.json, made by
 * generate.ts). Go's encoder writes non-pointer fields even when empty, so empty strings and zero Times are
 * dropped, matching the `omitempty` JSON the same objects would have been sent as. Responses stay JSON.
 */
import schemaJson from './schema.generated.json' with { type: 'json' };

type Field = [name: string, type: string, label: string, mapValue?: string];
const SCHEMA = schemaJson as unknown as Record<string, Record<string, Field>>;

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function scalar(type: string, wire: number, r: Reader): unknown {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32':
    case 'uint64':
      return Number(r.varint());
    case 'sint32':
    case 'sint64': {
      const v = r.varint();
      return Number((v >> 1n) ^ -(v & 1n));
    }
    case 'double': {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'float': {
      const v = r.buf.readFloatLE(r.pos);
      r.pos += 4;
      return v;
    }
    default:
      r.skip(wire);
      return undefined;
  }
}

/**
 * Pointer fields (`*int32`, `*bool` in Go) where 0 or false means something other than "unset"; every other
 * zero scalar is a non-pointer field's empty value, which JSON would have omitted.
 */
const KEEP_ZERO = new Set([
  'replicas', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds',
  'automountServiceAccountToken', 'enableServiceLinks', 'runAsUser', 'runAsGroup', 'fsGroup', 'runAsNonRoot',
  'allowPrivilegeEscalation', 'privileged', 'readOnlyRootFilesystem', 'tolerationSeconds', 'priority', 'hostUsers',
  'gracePeriodSeconds', 'expirationSeconds', 'defaultMode', 'mode', 'optional', 'immutable', 'parallelism',
  'completions', 'backoffLimit', 'setHostnameAsFQDN', 'shareProcessNamespace',
]);

const SCALAR_TYPES = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'double', 'float']);

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** The JSON form of messages whose JSON is not an object of their fields. */
function special(type: string, msg: Record<string, unknown>): unknown {
  switch (type) {
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Time':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': {
      const s = Number(msg.seconds ?? 0);
      const n = Number(msg.nanos ?? 0);
      if (s === 0 && n === 0) return undefined;
      return rfc3339(s, n, type.endsWith('MicroTime'));
    }
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration':
      return `${Number(msg.duration ?? 0) / 1e9}s`;
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return msg.string ?? '0';
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return Number(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : Number(msg.intVal ?? 0);
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': {
      const raw = msg.raw ?? msg.Raw;
      return typeof raw === 'string' && raw !== '' ? JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) : {};
    }
    default:
      return msg;
  }
}

function value(type: string, wire: number, r: Reader): unknown {
  if (SCALAR_TYPES.has(type)) return scalar(type, wire, r);
  if (wire !== 2) {
    r.skip(wire);
    return undefined;
  }
  return special(type, message(type, r.bytes()));
}

/**
 * Message fields Go embeds with `json:",inline"` (a proto field of its own, no JSON key): a Volume's
 * volumeSource (kubectl debug node/X sends a hostPath volume), a PersistentVolumeSpec's source, a Probe's
 * handler, an EphemeralContainer's common part, and the LocalObjectReference (`name`) of the config map and
 * secret references and projections (kubectl debug --copy-to sends the service-account token volume).
 */
const INLINE = new Set([
  'k8s.io.api.core.v1.Volume.volumeSource',
  'k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource',
  'k8s.io.api.core.v1.Probe.handler',
  'k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon',
  ...['ConfigMapEnvSource', 'ConfigMapKeySelector', 'ConfigMapProjection', 'ConfigMapVolumeSource'].map((t) => `k8s.io.api.core.v1.${t}.localObjectReference`),
  ...['SecretEnvSource', 'SecretKeySelector', 'SecretProjection'].map((t) => `k8s.io.api.core.v1.${t}.localObjectReference`),
]);

function message(type: string, buf: Buffer): Record<string, unknown> {
  const fields = SCHEMA[type];
  if (!fields) throw new Error(`no protobuf schema for ${type}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const key = Number(r.varint());
    const num = key >>> 3;
    const wire = key & 7;
    const f = fields[String(num)];
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [name, ftype, label, mapValue] = f;
    if (label === 'map') {
      const entry = new Reader(r.bytes());
      let k: unknown = '';
      let v: unknown;
      while (!entry.done) {
        const ek = Number(entry.varint());
        if (ek >>> 3 === 1) k = value(ftype, ek & 7, entry);
        else if (ek >>> 3 === 2) v = value(mapValue!, ek & 7, entry);
        else entry.skip(ek & 7);
      }
      const map = (out[name] ??= {}) as Record<string, unknown>;
      map[String(k)] = v ?? (mapValue === 'string' || mapValue === 'bytes' ? '' : v);
    } else if (label === 'repeated') {
      const list = (out[name] ??= []) as unknown[];
      if (wire === 2 && SCALAR_TYPES.has(ftype) && ftype !== 'string' && ftype !== 'bytes') {
        const packed = new Reader(r.bytes());
        while (!packed.done) list.push(scalar(ftype, ftype === 'double' ? 1 : ftype === 'float' ? 5 : 0, packed));
      } else {
        const v = value(ftype, wire, r);
        if (v !== undefined) list.push(v);
      }
    } else if (INLINE.has(`${type}.${name}`)) {
      // Embedded in Go with `json:",inline"`: its fields are the parent's in JSON.
      const v = value(ftype, wire, r);
      if (v && typeof v === 'object') Object.assign(out, v);
    } else {
      const v = value(ftype, wire, r);
      if (v === undefined || v === '' || ((v === 0 || v === false) && !KEEP_ZERO.has(name))) delete out[name];
      else out[name] = v;
    }
  }
  return out;
}

function packageOf(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
  if (group === '') return `k8s.io.api.core.${version}`;
  if (group === 'meta.k8s.io') return `k8s.io.apimachinery.pkg.apis.meta.${version}`;
  return `k8s.io.api.${group.replace(/\.k8s\.io$/, '').split('.')[0]}.${version}`;
}

/** Decodes a `k8s\0`-prefixed protobuf body into a JSON object (with apiVersion and kind). */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new Error('missing the k8s protobuf magic prefix');
  const unknown = message('k8s.io.apimachinery.pkg.runtime.Unknown', body.subarray(4));
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  if (!typeMeta.apiVersion || !typeMeta.kind) throw new Error('the protobuf envelope names no apiVersion and kind');
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  const obj = message(`${packageOf(typeMeta.apiVersion)}.${typeMeta.kind}`, raw);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...obj };
}
