/**
 * `Heap<T>`: a binary min-heap with an index by key, kube-scheduler's `internal/heap` (a heap plus a map from
 * key to position). The scheduling queue keeps activeQ and backoffQ in it: push, peek and pop are O(log n) and
 * O(1), and a pod can be found, replaced or removed by its uid in O(log n) when an informer event names it.
 * `less(a, b)` says whether `a` comes out before `b`; it must not change for an item while the item is in the
 * heap (replace it with `push` instead). Items neither less than the other come out in the order they were
 * first pushed (pods created in the same millisecond are scheduled first come, first served).
 */
export class Heap<T> {
  readonly #less: (a: T, b: T) => boolean;
  readonly #keyOf: (item: T) => string;
  readonly #items: { item: T; seq: number }[] = [];
  #seq = 0;
  readonly #index = new Map<string, number>();

  constructor(less: (a: T, b: T) => boolean, keyOf: (item: T) => string) {
    this.#less = less;
    this.#keyOf = keyOf;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i]!.item;
  }

  /** Adds `item`, or replaces the item with the same key (and moves it to where it now belongs). */
  push(item: T): void {
    const key = this.#keyOf(item);
    const at = this.#index.get(key);
    if (at !== undefined) {
      this.#items[at]!.item = item;
      this.#fix(at);
      return;
    }
    this.#items.push({ item, seq: this.#seq++ });
    this.#index.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  /** The first item without removing it. */
  peek(): T | undefined {
    return this.#items[0]?.item;
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    return this.#removeAt(0);
  }

  /** Removes the item with `key`; returns it, or undefined when there was none. */
  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#removeAt(i);
  }

  /** Every item, in no particular order. */
  values(): T[] {
    return this.#items.map((e) => e.item);
  }

  clear(): void {
    this.#items.length = 0;
    this.#index.clear();
  }

  #removeAt(i: number): T {
    const items = this.#items;
    const entry = items[i]!;
    const last = items.pop()!;
    this.#index.delete(this.#keyOf(entry.item));
    if (i < items.length) {
      items[i] = last;
      this.#index.set(this.#keyOf(last.item), i);
      this.#fix(i);
    }
    return entry.item;
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  /** Moves item i towards the root while it beats its parent; says whether it moved. */
  #up(i: number): boolean {
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i !== start;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }

  #before(i: number, j: number): boolean {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    return this.#less(a.item, b.item) || (!this.#less(b.item, a.item) && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    this.#index.set(this.#keyOf(b.item), i);
    this.#index.set(this.#keyOf(a.item), j);
  }
}
