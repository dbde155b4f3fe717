/**
 * The watch cache's string interner: short string values of objects (nested, in arrays) go through one table,
 * so each distinct value is kept once; long values stay out; a full table starts over; shared (frozen)
 * objects are left alone. (String identity is not observable from JavaScript; the table is what is checked,
 * and bench/heap-copies.ts shows the effect on a server's heap.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringInterner } from './string-interner.ts';

const pod = (name: string) => JSON.parse(JSON.stringify({
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35', args: ['sleep', 'infinity'] }], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] },
  status: { phase: 'Running', message: 'x'.repeat(100) },
}));

test('each distinct short value enters the table once, from every nesting; long values stay out', () => {
  const interner = new StringInterner();
  const a = interner.values(pod('a'));
  const after = interner.size;
  const b = interner.values(pod('b'));
  // The second pod brings only its own name: everything else it carries is in the table already.
  assert.equal(interner.size, after + 1);
  assert.deepEqual(b, pod('b'), 'values unchanged');
  assert.equal(a.spec.containers[0].args[1], 'infinity');
  assert.equal(interner.string('x'.repeat(100)), 'x'.repeat(100));
  assert.equal(interner.size, after + 1, 'a 100-character value is not kept');
});

test('a full table starts over; frozen objects are not touched', () => {
  const interner = new StringInterner(3);
  for (const s of ['a', 'b', 'c']) interner.string(s);
  assert.equal(interner.size, 3);
  interner.string('d');
  assert.equal(interner.size, 1);
  const frozen = Object.freeze({ v: 'new-value' });
  interner.values(frozen);
  assert.equal(interner.size, 1);
});
