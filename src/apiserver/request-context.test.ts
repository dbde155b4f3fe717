/** The Warning header: upstream's `299 - "text"` form, safe for any text a client can put in a field name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { warningHeader } from './request-context.ts';

test('warningHeader quotes, escapes control characters and lone surrogates, sends UTF-8, and stops at 4 KiB', () => {
  assert.deepEqual(warningHeader(['unknown field "spec.x"']), ['299 - "unknown field \\"spec.x\\""']);
  const odd = warningHeader(['unknown field "\u0000\u007f\ud800\u202eΩ😀"'])[0]!;
  assert.doesNotThrow(() => validateHeaderValue('Warning', odd));
  assert.equal(Buffer.from(odd, 'latin1').toString('utf8'), '299 - "unknown field \\"\\u0000\\u007f\\ud800\u202eΩ😀\\""');
  const many = warningHeader(Array.from({ length: 100 }, (_, i) => `unknown field "${'x'.repeat(100)}${i}"`));
  assert.ok(many.length > 10 && many.length < 100);
  assert.ok(many.reduce((n, w) => n + w.length, 0) <= 4096);
});
