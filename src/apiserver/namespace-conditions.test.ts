import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextConditions, type ContentTotals } from './namespace-conditions.ts';

const empty = (): ContentTotals => ({ remaining: new Map(), finalizers: new Map(), deleteErrors: [] });

test('an emptied namespace gets the five conditions False with upstream\'s ok reasons', () => {
  const got = nextConditions(undefined, empty(), 'T1')!;
  assert.deepEqual(got.map((c) => [c.type, c.status, c.reason]), [
    ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
    ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
    ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
    ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
    ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers'],
  ]);
  assert.equal(got[4]!.message, 'All content-preserving finalizers finished');
  // Nothing changed: no write.
  assert.equal(nextConditions(got, empty(), 'T2'), undefined);
});

test('objects held by finalizers make ContentRemaining and FinalizersRemaining True with counts, sorted', () => {
  const totals = empty();
  totals.remaining.set('configmaps.', 2).set('deployments.apps', 1);
  totals.finalizers.set('example.com/b', 1).set('example.com/a', 2);
  const first = nextConditions(undefined, empty(), 'T1')!;
  const got = nextConditions(first, totals, 'T2')!;
  const remaining = got.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.deepEqual(remaining, {
    type: 'NamespaceContentRemaining', status: 'True', lastTransitionTime: 'T2', reason: 'SomeResourcesRemain',
    message: 'Some resources are remaining: configmaps. has 2 resource instances, deployments.apps has 1 resource instances',
  });
  const fin = got.find((c) => c.type === 'NamespaceFinalizersRemaining')!;
  assert.equal(fin.reason, 'SomeFinalizersRemain');
  assert.equal(fin.message, 'Some content in the namespace has finalizers remaining: example.com/a in 2 resource instances, example.com/b in 1 resource instances');
  // Unchanged conditions keep their transition time.
  assert.equal(got.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure')!.lastTransitionTime, 'T1');
});

test('a failed delete is NamespaceDeletionContentFailure with every message', () => {
  const totals = empty();
  totals.deleteErrors.push('unexpected items still remain in namespace: ns for gvr: /v1, Resource=secrets');
  const c = nextConditions(undefined, totals, 'T')!.find((x) => x.type === 'NamespaceDeletionContentFailure')!;
  assert.equal(c.status, 'True');
  assert.equal(c.reason, 'ContentDeletionFailed');
  assert.equal(c.message, 'Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: ns for gvr: /v1, Resource=secrets');
});
