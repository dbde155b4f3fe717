/**
 * A persistent allocator of numbered items (service IPs, node ports) in the Store: each allocation is one key
 * `<prefix><item>` made with create-if-absent, holding who owns it, as Kubernetes 1.31's IPAddress objects do.
 * The store's transaction is the only arbiter, so two creates racing in one API server, or in several on one
 * etcd, never get the same item, and nothing is lost on a restart. `release` deletes a key only while the
 * same owner (by uid) holds it. Keys whose owner is gone are freed by the repair pass (repair.ts).
 *
 * Items are offsets `first..last` of a range; `name`/`offset` map them to their text. Dynamic picks start at a
 * random offset above the static band and take the low band only when the rest is full; reserved offsets (the
 * kubernetes and DNS Service addresses) are handed out only when asked for by name.
 */
import type { Store } from '../../storage/index.ts';

export interface AllocationOwner {
  namespace: string;
  name: string;
  uid: string;
}

export interface Allocation {
  item: string;
  owner: AllocationOwner;
  /** When the key was written (ms since epoch), for the repair pass's grace period. */
  at: number;
  modRevision: number;
}

export type AllocationErrorCode = 'NotInRange' | 'Allocated' | 'Full';

export class AllocationError extends Error {
  readonly code: AllocationErrorCode;
  constructor(code: AllocationErrorCode, message: string) {
    super(message);
    this.name = 'AllocationError';
    this.code = code;
  }
}

export interface StoreAllocatorConfig {
  store: Store;
  /** Key prefix ending in '/'. */
  prefix: string;
  first: number;
  last: number;
  /** Offsets at or below this are the static band. */
  staticEnd: number;
  /** Offsets handed out only when asked for by name. */
  reserved?: readonly number[];
  name(offset: number): string;
  /** The offset of an item's text, undefined when it is not in the range. */
  offset(item: string): number | undefined;
  notInRange(item: string): string;
  now?: () => number;
  random?: () => number;
}

/** Random creates tried before listing the range. */
const RANDOM_TRIES = 4;

function encodeOwner(owner: AllocationOwner, at: number): Uint8Array {
  return Buffer.from(JSON.stringify({ namespace: owner.namespace, name: owner.name, uid: owner.uid, at }));
}

function decode(item: string, value: Uint8Array, modRevision: number): Allocation {
  const v = JSON.parse(Buffer.from(value).toString('utf8')) as AllocationOwner & { at?: number };
  return { item, owner: { namespace: v.namespace, name: v.name, uid: v.uid }, at: v.at ?? 0, modRevision };
}

export class StoreAllocator {
  readonly #c: StoreAllocatorConfig;
  readonly #reserved: Set<number>;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(config: StoreAllocatorConfig) {
    this.#c = config;
    this.#reserved = new Set(config.reserved ?? []);
    this.#now = config.now ?? Date.now;
    this.#random = config.random ?? Math.random;
  }

  get prefix(): string {
    return this.#c.prefix;
  }

  contains(item: string): boolean {
    return this.#c.offset(item) !== undefined;
  }

  /** Takes `item` for `owner`. Already held by the same owner counts as success (a retried write). */
  async allocate(item: string, owner: AllocationOwner, dryRun = false): Promise<void> {
    const offset = this.#c.offset(item);
    if (offset === undefined) throw new AllocationError('NotInRange', this.#c.notInRange(item));
    const key = this.#c.prefix + this.#c.name(offset);
    if (dryRun) {
      const kv = await this.#c.store.get(key);
      if (kv && decode(item, kv.value, kv.modRevision).owner.uid !== owner.uid) throw new AllocationError('Allocated', 'already allocated');
      return;
    }
    const r = await this.#c.store.create(key, encodeOwner(owner, this.#now()));
    if (r.ok) return;
    if (r.current && decode(item, r.current.value, r.current.modRevision).owner.uid === owner.uid) return;
    throw new AllocationError('Allocated', 'already allocated');
  }

  /** Takes any free item for `owner` and returns it; throws 'Full' when none is left. */
  async allocateNext(owner: AllocationOwner, dryRun = false): Promise<string> {
    const { first, last, staticEnd } = this.#c;
    const bands: [number, number][] = staticEnd < last ? [[Math.max(first, staticEnd + 1), last], [first, staticEnd]] : [[first, last]];
    // A few random tries in the dynamic band first: in a sparse range one create does it, without listing
    // every allocation. Only when they collide is the whole range listed and scanned.
    if (!dryRun) {
      const [lo, hi] = bands[0]!;
      for (let i = 0; i < RANDOM_TRIES; i++) {
        const off = lo + Math.floor(this.#random() * (hi - lo + 1));
        if (this.#reserved.has(off)) continue;
        const item = this.#c.name(off);
        if ((await this.#c.store.create(this.#c.prefix + item, encodeOwner(owner, this.#now()))).ok) return item;
      }
    }
    const taken = new Set((await this.list()).map((a) => this.#c.offset(a.item)));
    for (const [lo, hi] of bands) {
      const n = hi - lo + 1;
      const start = Math.floor(this.#random() * n);
      for (let i = 0; i < n; i++) {
        const off = lo + ((start + i) % n);
        if (taken.has(off) || this.#reserved.has(off)) continue;
        const item = this.#c.name(off);
        if (dryRun) return item;
        const r = await this.#c.store.create(this.#c.prefix + item, encodeOwner(owner, this.#now()));
        if (r.ok) return item;
        taken.add(off);
      }
    }
    throw new AllocationError('Full', 'range is full');
  }

  /** Frees `item` if `owner` still holds it (by uid; any owner when uid is ''). */
  async release(item: string, owner: AllocationOwner): Promise<boolean> {
    const offset = this.#c.offset(item);
    if (offset === undefined) return false;
    const key = this.#c.prefix + this.#c.name(offset);
    for (let attempt = 0; attempt < 5; attempt++) {
      const kv = await this.#c.store.get(key);
      if (!kv) return false;
      if (owner.uid && decode(item, kv.value, kv.modRevision).owner.uid !== owner.uid) return false;
      const r = await this.#c.store.delete(key, kv.modRevision);
      if (r.ok) return true;
    }
    return false;
  }

  /** Frees an allocation exactly as it was read (the repair pass): nothing happens if it changed since. */
  async releaseIfUnchanged(a: Allocation): Promise<boolean> {
    const offset = this.#c.offset(a.item);
    if (offset === undefined) return false;
    return (await this.#c.store.delete(this.#c.prefix + this.#c.name(offset), a.modRevision)).ok;
  }

  /** Every allocation held now. */
  async list(): Promise<Allocation[]> {
    const { kvs } = await this.#c.store.list(this.#c.prefix);
    return kvs.map((kv) => decode(kv.key.slice(this.#c.prefix.length), kv.value, kv.modRevision));
  }
}
