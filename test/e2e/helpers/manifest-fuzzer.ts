/**
 * A seeded generator of malformed manifests for the API abuse tests: each case starts from a valid Pod,
 * ConfigMap, Deployment, Service or Secret and applies one to three mutations — wrong JSON types, huge
 * strings, odd unicode (lone surrogates, zero-width and right-to-left marks, emoji), missing or extra fields,
 * absurd numbers, duplicate keys, truncation, random bytes — then is sent as a create (JSON or YAML), an update
 * of an existing object, a patch of it or of its status (merge, strategic, JSON patch or server-side apply), or
 * as the DeleteOptions of a delete. The same seed gives the same cases, so a
 * failure names a seed and an index that reproduce it.
 */
import { stringify as toYaml } from 'yaml';

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzTarget {
  /** Collection path under the namespace, e.g. `api/v1/namespaces/NS/pods`. */
  plural: string;
  group: string;
  version: string;
  kind: string;
  valid: (name: string) => Record<string, unknown>;
}

export const TARGETS: FuzzTarget[] = [
  {
    plural: 'pods', group: '', version: 'v1', kind: 'Pod',
    valid: (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'fuzz' }, annotations: { note: 'x' } },
      spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'sleep 1'], ports: [{ containerPort: 80 }],
        env: [{ name: 'A', value: 'b' }], resources: { limits: { cpu: '100m', memory: '64Mi' } } }], restartPolicy: 'Always' } }),
  },
  {
    plural: 'configmaps', group: '', version: 'v1', kind: 'ConfigMap',
    valid: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'fuzz' } }, data: { key: 'value', 'file.txt': 'line\n' } }),
  },
  {
    plural: 'secrets', group: '', version: 'v1', kind: 'Secret',
    valid: (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data: { token: 'c2VjcmV0' }, stringData: { plain: 'text' } }),
  },
  {
    plural: 'services', group: '', version: 'v1', kind: 'Service',
    valid: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'fuzz' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } }),
  },
  {
    plural: 'deployments', group: 'apps', version: 'v1', kind: 'Deployment',
    valid: (name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas: 0, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } } }),
  },
];

export interface FuzzCase {
  index: number;
  target: FuzzTarget;
  /** POST (create), PUT and PATCH (of the target's base object), DELETE (of an absent one, with a body). */
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `status` for a patch of the base object's status, else ''. */
  subresource: string;
  contentType: string;
  body: Buffer;
  /** The name a successful create makes (when the mutations left metadata.name a string). */
  name: string | undefined;
  mutations: string[];
}

const ODD_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\udfff', '\u200b\u200e\u202e', '😀'.repeat(50), 'a\nb\tc', '../../etc/passwd', '%00', '${x}', '{{x}}',
  'NaN', '-0', '1e400', 'true', 'null', '0x1F', 'ǅ', 'İ', 'Ω'.repeat(300), '\\', '"', "'", '<script>', 'a'.repeat(254), 'a'.repeat(64), 'A-B', '-a', 'a-',
];
const ODD_NUMBERS = [0, -1, 1.5, -0.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 1e-308, Number.MAX_SAFE_INTEGER];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class ManifestFuzzer {
  readonly #rand: () => number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.#rand = prng(seed);
  }

  #int(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)]!;
  }

  #randomString(): string {
    const r = this.#rand();
    if (r < 0.4) return this.#pick(ODD_STRINGS);
    if (r < 0.5) return 'x'.repeat(1 + this.#int(this.#rand() < 0.1 ? 2_000_000 : 70_000));
    let s = '';
    const n = 1 + this.#int(40);
    for (let i = 0; i < n; i++) s += String.fromCodePoint(this.#rand() < 0.7 ? 32 + this.#int(95) : this.#int(0x10ffff + 1 - 0x800) + (this.#rand() < 0.5 ? 0 : 0x800));
    return s;
  }

  #randomValue(depth = 0): Json {
    switch (this.#int(depth > 2 ? 5 : 7)) {
      case 0: return null;
      case 1: return this.#rand() < 0.5;
      case 2: return this.#pick(ODD_NUMBERS);
      case 3: return this.#randomString();
      case 4: return this.#int(1000);
      case 5: return Array.from({ length: this.#int(4) }, () => this.#randomValue(depth + 1));
      default: {
        const o: Record<string, Json> = {};
        for (let i = this.#int(4); i > 0; i--) o[this.#randomString().slice(0, 30)] = this.#randomValue(depth + 1);
        return o;
      }
    }
  }

  /** Every (parent, key) pair in `doc`, for mutations to choose from. */
  #slots(doc: Json): { parent: Record<string, Json> | Json[]; key: string | number }[] {
    const out: { parent: Record<string, Json> | Json[]; key: string | number }[] = [];
    const todo: Json[] = [doc];
    while (todo.length > 0 && out.length < 10_000) {
      const v = todo.pop()!;
      if (Array.isArray(v)) v.forEach((c, i) => { out.push({ parent: v, key: i }); todo.push(c); });
      else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) { out.push({ parent: v, key: k }); todo.push(c); }
    }
    return out;
  }

  #mutateTree(doc: Json, mutations: string[]): void {
    const slots = this.#slots(doc);
    if (slots.length === 0) return;
    const slot = this.#pick(slots);
    const set = (v: Json) => ((slot.parent as Record<string, Json>)[slot.key as string] = v);
    switch (this.#int(7)) {
      case 0:
        mutations.push(`wrong type at ${String(slot.key)}`);
        set(this.#randomValue());
        break;
      case 1:
        mutations.push(`odd string at ${String(slot.key)}`);
        set(this.#randomString());
        break;
      case 2:
        mutations.push(`missing ${String(slot.key)}`);
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key as string];
        break;
      case 3:
        mutations.push(`odd number at ${String(slot.key)}`);
        set(this.#pick(ODD_NUMBERS));
        break;
      case 4: {
        mutations.push(`extra field beside ${String(slot.key)}`);
        const target = (slot.parent as Record<string, Json>)[slot.key as string];
        if (target && typeof target === 'object' && !Array.isArray(target)) target[this.#randomString().slice(0, 20)] = this.#randomValue();
        else set(this.#randomValue());
        break;
      }
      case 5: {
        mutations.push(`nested ${String(slot.key)}`);
        let v: Json = this.#randomValue();
        for (let i = this.#int(this.#rand() < 0.1 ? 3000 : 30); i > 0; i--) v = this.#rand() < 0.5 ? [v] : { n: v };
        set(v);
        break;
      }
      default:
        mutations.push(`odd key in ${String(slot.key)}`);
        if (!Array.isArray(slot.parent)) {
          const value = slot.parent[slot.key as string]!;
          delete slot.parent[slot.key as string];
          slot.parent[this.#randomString().slice(0, 300)] = value;
        }
    }
  }

  #mutateText(text: string, mutations: string[]): Buffer {
    const bytes = Buffer.from(text);
    switch (this.#int(5)) {
      case 0: {
        mutations.push('truncated');
        return bytes.subarray(0, this.#int(bytes.length));
      }
      case 1: {
        mutations.push('random bytes');
        const b = Buffer.from(bytes);
        for (let i = 1 + this.#int(8); i > 0 && b.length > 0; i--) b[this.#int(b.length)] = this.#int(256);
        return b;
      }
      case 2: {
        mutations.push('duplicate key');
        const i = text.indexOf('"metadata":');
        if (i < 0) return bytes;
        return Buffer.from(`${text.slice(0, i)}"metadata":{"name":"dup-${this.#int(1e9)}"},${text.slice(i)}`);
      }
      case 3: {
        mutations.push('random body');
        return Buffer.from(Array.from({ length: this.#int(200) }, () => this.#int(256)));
      }
      default: {
        mutations.push('garbage after the document');
        return Buffer.concat([bytes, Buffer.from(this.#pick(['}', ']', ' {}', '\u0000', 'x']))]);
      }
    }
  }

  /** Case `index` (cases are generated in order; call with 0, 1, 2, ...). */
  next(index: number, namePrefix = 'fuzz'): FuzzCase {
    const target = this.#pick(TARGETS);
    const name = `${namePrefix}-${index}`;
    const mutations: string[] = [];
    const r = this.#rand();
    const method: FuzzCase['method'] = r < 0.55 ? 'POST' : r < 0.75 ? 'PATCH' : r < 0.9 ? 'PUT' : 'DELETE';
    const patch = method === 'PATCH';
    const subresource = patch && target.kind !== 'ConfigMap' && target.kind !== 'Secret' && this.#rand() < 0.2 ? 'status' : '';
    let doc: Json = target.valid(method === 'PUT' ? 'base' : name) as Json;
    if (method === 'DELETE') {
      doc = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Background', preconditions: { uid: 'x' }, dryRun: ['All'] };
    }
    if (patch) {
      // A patch of the base object: a mutated fragment of a valid one.
      const full = doc as Record<string, Json>;
      doc = this.#rand() < 0.5 ? { metadata: { labels: { fuzz: String(index) } } } : { spec: full['spec'] ?? null, data: full['data'] ?? null };
    }
    for (let i = 1 + this.#int(3); i > 0; i--) this.#mutateTree(doc, mutations);
    let contentType = 'application/json';
    let text: string | undefined;
    if (patch) {
      const kind = this.#int(4);
      if (kind === 3) {
        contentType = 'application/apply-patch+yaml';
        (doc as Record<string, Json>)['apiVersion'] = target.group ? `${target.group}/${target.version}` : target.version;
        (doc as Record<string, Json>)['kind'] = target.kind;
        try {
          text = toYaml(doc);
        } catch {
          text = JSON.stringify(doc);
        }
      } else if (kind === 0) {
        contentType = 'application/json-patch+json';
        const ops = ['add', 'replace', 'remove', 'test', 'move', 'copy', 'bogus'];
        const paths = ['/metadata/labels/x', '/spec/containers/0/image', '/spec/containers/-', '/data/k', '/metadata', '', '/spec/replicas', '/a/b/c', '/spec/ports/9'];
        doc = Array.from({ length: 1 + this.#int(3) }, () => ({ op: this.#pick(ops), path: this.#pick(paths), from: this.#pick(paths), value: this.#randomValue() }));
        mutations.push('json patch');
      } else {
        contentType = kind === 1 ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json';
      }
      text ??= JSON.stringify(doc);
    } else if (this.#rand() < 0.15) {
      contentType = 'application/yaml';
      try {
        text = toYaml(doc);
      } catch {
        // Too deep for the YAML writer: JSON is YAML too.
        text = JSON.stringify(doc);
      }
    } else {
      text = JSON.stringify(doc);
    }
    const body = this.#rand() < 0.3 ? this.#mutateText(text, mutations) : Buffer.from(text);
    const meta = !Array.isArray(doc) && doc && typeof doc === 'object' ? (doc as Record<string, Json>)['metadata'] : undefined;
    const docName = meta && typeof meta === 'object' && !Array.isArray(meta) ? meta['name'] : undefined;
    return { index, target, method, subresource, contentType, body, name: typeof docName === 'string' ? docName : undefined, mutations };
  }
}

/** The request path of a case in namespace `ns` (updates and patches go to the target's base object `base`). */
export function casePath(c: FuzzCase, ns: string, base: string): string {
  const prefix = c.target.group ? `/apis/${c.target.group}/${c.target.version}` : `/api/${c.target.version}`;
  const collection = `${prefix}/namespaces/${ns}/${c.target.plural}`;
  switch (c.method) {
    case 'POST': return collection;
    case 'DELETE': return `${collection}/${base}-absent-${c.index}`;
    default: return `${collection}/${base}${c.subresource ? `/${c.subresource}` : ''}`;
  }
}
