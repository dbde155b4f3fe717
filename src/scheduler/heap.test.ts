import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heap } from './heap.ts';

interface Item {
  key: string;
  n: number;
}
const make = () =>
  new Heap<Item>(
    (a, b) => a.n < b.n,
    (i) => i.key,
  );
const drain = (h: Heap<Item>) => {
  const out: string[] = [];
  for (let i = h.pop(); i; i = h.pop()) out.push(i.key);
  return out;
};

test('heap: pops in order whatever the push order; replace and delete by key keep it a heap', () => {
  const cases: { name: string; ops: (h: Heap<Item>) => void; want: string[] }[] = [
    {
      name: 'ascending',
      ops: (h) => [1, 2, 3, 4].forEach((n) => h.push({ key: `k${n}`, n })),
      want: ['k1', 'k2', 'k3', 'k4'],
    },
    {
      name: 'descending',
      ops: (h) => [4, 3, 2, 1].forEach((n) => h.push({ key: `k${n}`, n })),
      want: ['k1', 'k2', 'k3', 'k4'],
    },
    {
      name: 'replace moves an item up and down',
      ops: (h) => {
        [1, 2, 3, 4, 5].forEach((n) => h.push({ key: `k${n}`, n }));
        h.push({ key: 'k5', n: 0 });
        h.push({ key: 'k1', n: 9 });
      },
      want: ['k5', 'k2', 'k3', 'k4', 'k1'],
    },
    {
      name: 'delete from the middle, the root and the end',
      ops: (h) => {
        [5, 1, 4, 2, 3, 6].forEach((n) => h.push({ key: `k${n}`, n }));
        h.delete('k3');
        h.delete('k1');
        h.delete('k6');
        h.delete('nope');
      },
      want: ['k2', 'k4', 'k5'],
    },
  ];
  for (const c of cases) {
    const h = make();
    c.ops(h);
    assert.deepEqual(drain(h), c.want, c.name);
    assert.equal(h.size, 0, c.name);
  }
});

test('heap: a thousand random operations agree with a sorted array', () => {
  const h = make();
  const model = new Map<string, number>();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 1000; i++) {
    const key = `k${Math.floor(rnd() * 50)}`;
    const r = rnd();
    if (r < 0.5) {
      const n = Math.floor(rnd() * 1000);
      h.push({ key, n });
      model.set(key, n);
    } else if (r < 0.7) {
      assert.equal(h.delete(key)?.n, model.get(key));
      model.delete(key);
    } else if (model.size > 0) {
      const min = Math.min(...model.values());
      const got = h.pop()!;
      assert.equal(got.n, min);
      model.delete(got.key);
    }
    assert.equal(h.size, model.size);
  }
});

test('heap: equal items come out first pushed, first out', () => {
  const h = make();
  for (const k of ['x', 'y', 'z', 'w']) h.push({ key: k, n: 1 });
  h.push({ key: 'first', n: 0 });
  assert.deepEqual(drain(h), ['first', 'x', 'y', 'z', 'w']);
});
