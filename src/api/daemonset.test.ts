import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './defaults.ts';
import { validateObject, validateObjectUpdate } from './validation/index.ts';
import { printTable } from './printers/table.ts';
import { resolveResource, resourcesInCategory } from './resources.ts';
import type { DaemonSet, ReplicationController } from './types.ts';

const template = { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } };

test('resources: ds, rc and controllerrevisions resolve; ds and rc are in `all`', () => {
  assert.equal(resolveResource('ds')?.plural, 'daemonsets');
  assert.equal(resolveResource('rc')?.plural, 'replicationcontrollers');
  assert.equal(resolveResource('controllerrevisions')?.groupVersion, 'apps/v1');
  assert.deepEqual(resolveResource('rc')?.subresources.map((s) => s.name), ['scale', 'status']);
  const all = resourcesInCategory('all').map((r) => r.plural);
  assert.ok(all.includes('daemonsets') && all.includes('replicationcontrollers'));
});

test('DaemonSet defaults and validation', () => {
  const ds = applyDefaults('daemonsets', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: structuredClone(template) } } as DaemonSet);
  assert.deepEqual(ds.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec?.revisionHistoryLimit, 10);
  assert.deepEqual(validateObject('daemonsets', ds), []);

  const mismatched = structuredClone(ds);
  mismatched.spec!.selector = { matchLabels: { app: 'other' } };
  assert.deepEqual(validateObject('daemonsets', mismatched).map((e) => `${e.field}: ${e.message}`), ['spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`']);
  const zero = structuredClone(ds);
  zero.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } };
  assert.deepEqual(validateObject('daemonsets', zero).map((e) => e.field), ['spec.updateStrategy.rollingUpdate.maxUnavailable']);
  const strategy = structuredClone(ds);
  strategy.spec!.updateStrategy = { type: 'Sometimes' as 'OnDelete' };
  assert.deepEqual(validateObject('daemonsets', strategy).map((e) => e.field), ['spec.updateStrategy.type']);
  const changed = structuredClone(ds);
  changed.spec!.selector = { matchLabels: { app: 'agent', tier: 'x' } };
  changed.spec!.template.metadata!.labels!.tier = 'x';
  assert.ok(validateObjectUpdate('daemonsets', changed, ds).some((e) => e.field === 'spec.selector' && e.message.endsWith('field is immutable')));
});

test('ReplicationController defaults (replicas 1, selector and labels from the template) and validation', () => {
  const rc = applyDefaults('replicationcontrollers', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec: { template: structuredClone(template) } } as ReplicationController);
  assert.equal(rc.spec?.replicas, 1);
  assert.deepEqual(rc.spec?.selector, { app: 'agent' });
  assert.deepEqual(rc.metadata?.labels, { app: 'agent' });
  assert.deepEqual(validateObject('replicationcontrollers', rc), []);
  const bad = structuredClone(rc);
  bad.spec!.selector = { app: 'other' };
  assert.deepEqual(validateObject('replicationcontrollers', bad).map((e) => e.field), ['spec.template.metadata.labels']);
  const none = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec: { template: { spec: template.spec } } } as ReplicationController;
  assert.ok(validateObject('replicationcontrollers', none).some((e) => e.field === 'spec.selector' && e.type === 'FieldValueRequired'));
});

test('Table printers: get ds, get rc, get controllerrevisions as kubectl 1.32 shows them', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const creationTimestamp = '2026-01-01T00:00:00Z';
  const ds = printTable('daemonsets', [{
    metadata: { name: 'agent', creationTimestamp },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { ...template, spec: { ...template.spec, nodeSelector: { disk: 'ssd', zone: 'a' } } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2, numberMisscheduled: 0 },
  }], { now });
  assert.deepEqual(ds.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age']);
  assert.deepEqual(ds.rows[0]!.cells, ['agent', 3, 3, 2, 1, 2, 'disk=ssd,zone=a', '10m', 'c', 'busybox:1.35', 'app=agent']);
  const rc = printTable('replicationcontrollers', [{ metadata: { name: 'web', creationTimestamp }, spec: { replicas: 3, selector: { app: 'web' } }, status: { replicas: 2, readyReplicas: 1 } }], { now });
  assert.deepEqual(rc.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Age']);
  assert.deepEqual(rc.rows[0]!.cells, ['web', 3, 2, 1, '10m', '', '', 'app=web']);
  const cr = printTable('controllerrevisions', [{ metadata: { name: 'agent-abc', creationTimestamp, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true }] }, revision: 2 }], { now });
  assert.deepEqual(cr.rows[0]!.cells, ['agent-abc', 'daemonset.apps/agent', 2, '10m']);
});
