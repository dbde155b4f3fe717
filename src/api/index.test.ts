import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from './index.ts';

// The names CONTRACTS.md promises other areas; removing or renaming one breaks them.
const CONTRACT = [
  'RESOURCES', 'findResource', 'resolveResource', 'findResourceByKind',
  'validateObject', 'validateObjectUpdate', 'validateStatusUpdate', 'validatePodEphemeralContainersUpdate', 'unknownFields', 'decodeError',
  'applyDefaults', 'defaultPod',
  'applyJsonPatch', 'applyMergePatch', 'applyStrategicMergePatch',
  'parseLabelSelector', 'labelSelectorMatches', 'labelSelectorFromObject', 'parseFieldSelector', 'fieldSelectorMatches',
  'printTable', 'podStatusText',
  'parseQuantity', 'tryParseQuantity', 'podQOSClass', 'podRequests',
  'invalidMessage', 'groupDiscovery', 'apiResourceList', 'apiGroups',
];

test('index exports the contract', () => {
  for (const name of CONTRACT) assert.equal(typeof (api as Record<string, unknown>)[name], name === 'RESOURCES' ? 'object' : 'function', name);
});

test('the pieces work together the way the apiserver uses them', () => {
  const pod = api.applyDefaults('pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'sidecar', image: 'busybox:1.35' }] },
  } as api.Pod);
  assert.deepEqual(api.unknownFields('Pod', pod), []);
  assert.equal(api.decodeError('Pod', pod), undefined);
  assert.deepEqual(api.validateObject('pods', pod), []);
  const patched = api.applyStrategicMergePatch(pod, {
    spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.28', name: 'web' }] },
  }, 'Pod');
  api.applyDefaults('pods', patched);
  patched.metadata!.resourceVersion = pod.metadata!.resourceVersion = '7';
  assert.deepEqual(api.validateObjectUpdate('pods', patched, pod), []);
  const table = api.printTable('pods', [patched], { now: Date.parse('2026-01-01T00:00:30Z') });
  assert.deepEqual(table.rows[0]!.cells.slice(0, 5), ['nginx', '0/2', '', '0', '30s']);
  assert.equal(api.labelSelectorMatches(api.parseLabelSelector('app in (web)'), { app: 'web' }), true);
  assert.equal(api.fieldSelectorMatches('pods', patched, 'metadata.name=nginx'), true);
});
