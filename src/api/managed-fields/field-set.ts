/**
 * Field sets (structured-merge-diff's `fieldpath.Set`): which fields of an object a manager owns. A path is a
 * list of path elements, each spelled as the FieldsV1 encoding spells it: `f:<name>` a field or map key,
 * `k:{"name":"x"}` an associative-list item by its keys, `v:<json>` a set-list value, `i:<n>` an index. A set
 * holds members (owned paths) and children (sets below a path element); FieldsV1 writes a member that also
 * has children as a `".": {}` entry.
 */

export class FieldSet {
  readonly members = new Set<string>();
  readonly children = new Map<string, FieldSet>();

  static fromPaths(paths: readonly (readonly string[])[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: readonly string[]): void {
    if (path.length === 0) return;
    parentOf(this, path, true)!.members.add(path[path.length - 1]!);
  }

  /** The child set under `pe`, made when absent. */
  child(pe: string): FieldSet {
    let c = this.children.get(pe);
    if (!c) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  has(path: readonly string[]): boolean {
    return path.length > 0 && Boolean(parentOf(this, path, false)?.members.has(path[path.length - 1]!));
  }

  isEmpty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of o.members) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      out.children.set(pe, oc ? c.union(oc) : c.clone());
    }
    for (const [pe, c] of o.children) if (!this.children.has(pe)) out.children.set(pe, c.clone());
    return out;
  }

  /** Adds every path of `o` to this set, in place (`o` must not be used afterwards); returns this set. */
  addAll(o: FieldSet): this {
    for (const m of o.members) this.members.add(m);
    for (const [pe, c] of o.children) {
      const mine = this.children.get(pe);
      if (mine) mine.addAll(c);
      else this.children.set(pe, c);
    }
    return this;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      const d = oc ? c.difference(oc) : c.clone();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Removes, in place, every path that starts with one of `prefixes` (the prefix itself included); returns this set. */
  removePrefixes(prefixes: readonly (readonly string[])[]): this {
    for (const p of prefixes) {
      const s = p.length ? parentOf(this, p, false) : undefined;
      if (!s) continue;
      s.members.delete(p[p.length - 1]!);
      s.children.delete(p[p.length - 1]!);
    }
    return this;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.clone());
    return out;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  /** Every member path, in the order FieldsV1 and upstream's iteration use. */
  paths(): string[][] {
    const out: string[][] = [];
    const walk = (s: FieldSet, prefix: string[]): void => {
      const pes = [...new Set([...s.members, ...s.children.keys()])].sort(comparePathElements);
      for (const pe of pes) {
        if (s.members.has(pe)) out.push([...prefix, pe]);
        const c = s.children.get(pe);
        if (c) walk(c, [...prefix, pe]);
      }
    };
    walk(this, []);
    return out;
  }

  /** The FieldsV1 JSON object (keys in upstream's order). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const pes = this.children.size === 0 ? [...this.members] : [...new Set([...this.members, ...this.children.keys()])];
    pes.sort(comparePathElements);
    for (const pe of pes) {
      const c = this.children.get(pe);
      const inner = c ? c.toFieldsV1() : undefined;
      let any = false;
      for (const _ in inner) {
        any = true;
        break;
      }
      if (inner && any) out[pe] = this.members.has(pe) ? { '.': {}, ...inner } : inner;
      else if (this.members.has(pe)) out[pe] = {};
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!isObject(v)) throw new Error('FieldsV1 must be a JSON object');
    for (const [pe, inner] of Object.entries(v)) {
      if (pe === '.') continue;
      checkPathElement(pe);
      if (!isObject(inner)) throw new Error(`FieldsV1 value of ${JSON.stringify(pe)} must be an object`);
      const keys = Object.keys(inner);
      if (keys.length === 0 || keys.includes('.')) s.members.add(pe);
      if (keys.some((k) => k !== '.')) s.children.set(pe, FieldSet.fromFieldsV1(inner));
    }
    return s;
  }
}

/** The set holding the last element of `path` (made on the way when `create`). */
function parentOf(root: FieldSet, path: readonly string[], create: boolean): FieldSet | undefined {
  let s: FieldSet | undefined = root;
  for (let i = 0; i < path.length - 1 && s; i++) s = create ? s.child(path[i]!) : s.children.get(path[i]!);
  return s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkPathElement(pe: string): void {
  const t = pe.slice(0, 2);
  if (t === 'f:') return;
  // Key and value elements are parsed only when sorted or printed; a write decodes every entry, so this stays cheap.
  if ((t === 'k:' && pe[2] === '{' && pe.endsWith('}')) || (t === 'v:' && pe.length > 2)) return;
  if (t === 'i:' && /^i:\d+$/.test(pe)) return;
  throw new Error(`unknown path element ${JSON.stringify(pe)}`);
}

/** `f:name`. */
export const fieldPE = (name: string): string => `f:${name}`;

/** `k:{"containerPort":80,"protocol":"TCP"}`: the key fields sorted by name, as upstream's FieldList. */
export function keyPE(key: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(key).sort()) sorted[k] = key[k];
  return `k:${JSON.stringify(sorted)}`;
}

export const valuePE = (v: unknown): string => `v:${JSON.stringify(v)}`;

const TYPE_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** PathElement.Compare: fields, then keys, then values, then indexes; each by its content. */
export function comparePathElements(a: string, b: string): number {
  const ta = TYPE_ORDER[a[0]!] ?? 4;
  const tb = TYPE_ORDER[b[0]!] ?? 4;
  if (ta !== tb) return ta - tb;
  const ca = a.slice(2);
  const cb = b.slice(2);
  if (a[0] === 'f') return ca < cb ? -1 : ca > cb ? 1 : 0;
  if (a[0] === 'i') return Number(ca) - Number(cb);
  if (a[0] === 'v') return compareValues(parsed(ca), parsed(cb));
  const ka = Object.entries(parsed(ca) as Record<string, unknown>);
  const kb = Object.entries(parsed(cb) as Record<string, unknown>);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i]![0] !== kb[i]![0]) return ka[i]![0] < kb[i]![0] ? -1 : 1;
    const c = compareValues(ka[i]![1], kb[i]![1]);
    if (c) return c;
  }
  return ka.length - kb.length;
}

/** Parsed key and value path elements, kept while they are sorted again and again (bounded). */
const PARSED = new Map<string, unknown>();

function parsed(json: string): unknown {
  let v = PARSED.get(json);
  if (v === undefined) {
    if (PARSED.size > 10_000) PARSED.clear();
    v = JSON.parse(json) as unknown;
    PARSED.set(json, v);
  }
  return v;
}

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 3;
  return 4;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** fieldpath.Path.String(): `.spec.containers[name="web"].image`, `[=value]`, `[0]`. */
export function pathString(path: readonly string[]): string {
  return path.map((pe) => {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f':
        return `.${body}`;
      case 'k':
        return `[${Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
      case 'v':
        return `[=${valueString(JSON.parse(body))}]`;
      default:
        return `[${body}]`;
    }
  }).join('');
}

function valueString(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
}
