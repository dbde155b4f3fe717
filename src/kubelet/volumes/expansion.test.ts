import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, mappingFor } from './expansion.ts';

test('expand follows Kubernetes $(VAR) rules', () => {
  const m = mappingFor(
    new Map([
      ['A', 'a'],
      ['B', 'b'],
      ['EMPTY', ''],
    ]),
  );
  const cases: [string, string][] = [
    ['$(A)', 'a'],
    ['x$(A)y$(B)z', 'xaybz'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$$$$(A)', '$$(A)'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['a$', 'a$'],
    ['$(EMPTY)x', 'x'],
    ['$()', '$()'],
    ['$(A)$(B', 'a$(B'],
    ['', ''],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, m), want, `expand(${JSON.stringify(input)})`);
});

test('mappingFor looks names up in order', () => {
  const m = mappingFor(
    new Map([['X', '1']]),
    new Map([
      ['X', '2'],
      ['Y', '3'],
    ]),
  );
  assert.equal(expand('$(X)$(Y)', m), '13');
});
