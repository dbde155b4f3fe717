/** DeleteOptions bodies of the wrong JSON types: 400 in Go's decoder words, never a 500 in a handler. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeleteOptions } from './delete-options.ts';
import { ApiError } from './status.ts';

test('checkDeleteOptions refuses wrongly typed fields as Go\'s decoder does and lets good ones and nulls through', () => {
  checkDeleteOptions({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Background', dryRun: ['All'], preconditions: { uid: 'u' } });
  checkDeleteOptions({ dryRun: null, preconditions: null, orphanDependents: null });
  const cases: [Record<string, unknown>, string][] = [
    [{ dryRun: 5 }, 'json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type []string'],
    [{ dryRun: [1] }, 'json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string'],
    [{ gracePeriodSeconds: '5' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64'],
    [{ gracePeriodSeconds: 1.5 }, 'json: cannot unmarshal number into Go struct field DeleteOptions.gracePeriodSeconds of type int64'],
    [{ orphanDependents: 'true' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.orphanDependents of type bool'],
    [{ preconditions: 'x' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.preconditions of type v1.Preconditions'],
    [{ preconditions: { uid: 7 } }, 'json: cannot unmarshal number into Go struct field DeleteOptions.preconditions.uid of type string'],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => checkDeleteOptions(options), (err) => err instanceof ApiError && err.code === 400 && err.message === message, JSON.stringify(options));
  }
});
