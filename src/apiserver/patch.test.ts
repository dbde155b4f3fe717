/** Patch results that are not objects, and patch documents nested too deep: the client's fault (4xx), never a 500. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, parsePatch } from './patch.ts';
import { ApiError } from './status.ts';

test('a JSON patch that replaces the whole document with a non-object is 422, not a crash later', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
  for (const value of [null, 1, 'x', [1]]) {
    assert.throws(() => applyPatch('json', structuredClone(cm), [{ op: 'replace', path: '', value }], 'ConfigMap'), (err) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 422);
      assert.match(err.message, /the patched document is not an object/);
      return true;
    });
  }
  assert.deepEqual(applyPatch('json', structuredClone(cm), [{ op: 'add', path: '/data', value: { a: 'b' } }], 'ConfigMap').data, { a: 'b' });
});

test('a patch document nested beyond the limit is a 400', () => {
  const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  assert.throws(() => parsePatch('merge', Buffer.from(deep)), (err) => err instanceof ApiError && err.code === 400 && /exceeded max depth/.test(err.message));
});
