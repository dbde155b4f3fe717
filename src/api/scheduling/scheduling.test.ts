import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../types.ts';
import { nodeSelectorRequirementMatches, podMatchesNodeSelectorAndAffinityTerms, toleratesTaint, untoleratedTaint } from './index.ts';

test('toleratesTaint as core/v1 ToleratesTaint', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true, 'empty key with Exists tolerates everything');
  assert.equal(toleratesTaint({ key: 'k', value: 'v' }, taint), true, 'empty operator means Equal');
  assert.equal(toleratesTaint({ key: 'k', operator: 'Equal', value: 'w' }, taint), false);
  assert.equal(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  assert.deepEqual(untoleratedTaint([taint, { key: 'x', effect: 'NoExecute' }], [{ key: 'k', operator: 'Exists' }], ['NoExecute']), { key: 'x', effect: 'NoExecute' });
});

test('node selector requirements: Gt/Lt need integers on both sides (labels.Requirement)', () => {
  const gt = { key: 'n', operator: 'Gt' as const, values: ['5'] };
  assert.equal(nodeSelectorRequirementMatches(gt, '6'), true);
  assert.equal(nodeSelectorRequirementMatches(gt, '6x'), false, 'not an integer: no match (parseInt would say 6)');
  assert.equal(nodeSelectorRequirementMatches({ key: 'n', operator: 'NotIn', values: ['a'] }, undefined), true);
});

test('nodeSelector and required terms (ORed; empty terms match nothing; matchFields metadata.name)', () => {
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { disk: 'ssd' } } };
  const pod = (spec: Partial<Pod['spec']>): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], ...spec } });
  const terms = (...nodeSelectorTerms: object[]) => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: nodeSelectorTerms as never } } } });
  assert.equal(podMatchesNodeSelectorAndAffinityTerms(pod({ nodeSelector: { disk: 'ssd' } }), node), true);
  assert.equal(podMatchesNodeSelectorAndAffinityTerms(pod({ nodeSelector: { disk: 'hdd' } }), node), false);
  assert.equal(podMatchesNodeSelectorAndAffinityTerms(terms({}), node), false);
  assert.equal(podMatchesNodeSelectorAndAffinityTerms(terms({}, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }), node), true);
});
