import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, QuantityError, Quantity } from './quantity.ts';

test('canonical strings match resource.Quantity.String()', () => {
  const cases: [string | number, string][] = [
    ['0', '0'], ['0m', '0'], ['100m', '100m'], ['0.5', '500m'], [0.5, '500m'], ['1.5', '1500m'], ['1000m', '1'],
    ['1', '1'], [2, '2'], ['1000', '1k'], ['1200000', '1200k'], ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'],
    ['1000Mi', '1000Mi'], ['0.5Gi', '512Mi'], ['512', '512'], ['1Ki', '1Ki'], ['1.5Ki', '1536'], ['100Ki', '100Ki'],
    ['1e3', '1e3'], ['1.5e3', '1500'], ['12e6', '12e6'], ['1E', '1E'], ['128974848', '128974848'], ['129e6', '129e6'],
    ['129M', '129M'], ['123Mi', '123Mi'], ['-1', '-1'], ['-100m', '-100m'], ['+5', '5'], ['0.1n', '1n'], ['1n', '1n'],
    ['10u', '10u'], ['.5', '500m'], ['1e-3', '1e-3'], ['5000k', '5M'], ['2k', '2k'], ['1000E', '1000E'],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input).toString(), want, String(input));
});

test('values and comparisons', () => {
  assert.equal(parseQuantity('100m').milliValue(), 100);
  assert.equal(parseQuantity('1.5').milliValue(), 1500);
  assert.equal(parseQuantity('1Gi').value(), 1073741824);
  assert.equal(parseQuantity('100m').value(), 1); // rounds up
  assert.equal(parseQuantity('1u').milliValue(), 1);
  assert.equal(parseQuantity('1Gi').cmp(parseQuantity('1000Mi')), 1);
  assert.equal(parseQuantity('1').cmp(parseQuantity('1000m')), 0);
  assert.equal(parseQuantity('1').add(parseQuantity('500m')).toString(), '1500m');
  assert.equal(Quantity.fromMilli(250).toString(), '250m');
  assert.equal(JSON.stringify({ cpu: parseQuantity('0.25') }), '{"cpu":"250m"}');
});

test('bad quantities give the Kubernetes errors', () => {
  for (const bad of ['', 'abc', '1..2', '.', '1 Gi', 'Gi', '--1']) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && /must match the regular expression/.test(e.message), bad);
  }
  for (const bad of ['1K', '1Kii', '1mi', '1kk', '1e']) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && e.message === "unable to parse quantity's suffix", bad);
  }
});
