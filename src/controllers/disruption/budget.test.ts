import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet, ReplicationController, StatefulSet } from '../../api/index.ts';
import { budgetStatus, DELETION_TIMEOUT_MS, expectedScale } from './budget.ts';

const now = Date.parse('2026-01-01T00:10:00Z');
const rs: ReplicaSet = { metadata: { name: 'web-x', namespace: 'd', uid: 'rs1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] }, spec: { replicas: 4, selector: {}, template: {} } } as ReplicaSet;
const deploy = { metadata: { name: 'web', namespace: 'd', uid: 'd1' }, spec: { replicas: 5 } } as Deployment;
const rc = { metadata: { name: 'old', namespace: 'd', uid: 'rc1' }, spec: { replicas: 2 } } as ReplicationController;
const sts = { metadata: { name: 'db', namespace: 'd', uid: 'ss1' }, spec: { replicas: 3 } } as StatefulSet;
const owners = {
  replicaSet: (_: string, n: string) => (n === 'web-x' ? rs : undefined),
  deployment: (_: string, n: string) => (n === 'web' ? deploy : undefined),
  replicationController: (_: string, n: string) => (n === 'old' ? rc : undefined),
  statefulSet: (_: string, n: string) => (n === 'db' ? sts : undefined),
};
const pod = (name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'd', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-x', uid: 'rs1', controller: true }], ...extra },
  spec: { containers: [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget =>
  ({ metadata: { name: 'b', namespace: 'd', generation: 2 }, spec, ...(status ? { status } : {}) }) as PodDisruptionBudget;

test('budget status: minAvailable count and percent, maxUnavailable from the Deployment scale, conditions', () => {
  const pods = [pod('a', true), pod('b', true), pod('c', true), pod('d', false)];
  assert.equal(expectedScale(pods, owners), 5, "the Deployment's replicas, not its ReplicaSet's");
  const n = budgetStatus(pdb({ minAvailable: 2 }), pods, owners, now).status;
  assert.deepEqual([n.expectedPods, n.desiredHealthy, n.currentHealthy, n.disruptionsAllowed, n.observedGeneration], [4, 2, 3, 1, 2]);
  assert.deepEqual([n.conditions![0]!.type, n.conditions![0]!.status, n.conditions![0]!.reason], ['DisruptionAllowed', 'True', 'SufficientPods']);
  const p = budgetStatus(pdb({ minAvailable: '50%' }), pods, owners, now).status;
  assert.deepEqual([p.expectedPods, p.desiredHealthy, p.disruptionsAllowed], [5, 3, 0]);
  assert.deepEqual([p.conditions![0]!.status, p.conditions![0]!.reason], ['False', 'InsufficientPods']);
  const m = budgetStatus(pdb({ maxUnavailable: 1 }), pods, owners, now).status;
  assert.deepEqual([m.expectedPods, m.desiredHealthy, m.disruptionsAllowed], [5, 4, 0]);
});

test('budget status: an evicted pod counts as gone until deleting or two minutes old', () => {
  const at = new Date(now - 30_000).toISOString();
  const pods = [pod('a', true), pod('b', true), pod('c', true)];
  const r = budgetStatus(pdb({ minAvailable: 1 }, { currentHealthy: 3, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 3, disruptedPods: { a: at, gone: at } }), pods, owners, now);
  assert.deepEqual(r.status.disruptedPods, { a: at });
  assert.equal(r.status.currentHealthy, 2);
  assert.equal(r.requeueAfterMs, DELETION_TIMEOUT_MS - 30_000 + 1000);
  const later = budgetStatus(pdb({ minAvailable: 1 }, { ...r.status }), pods, owners, now + DELETION_TIMEOUT_MS);
  assert.equal(later.status.disruptedPods, undefined);
  assert.equal(later.status.currentHealthy, 3);
  const deleting = budgetStatus(pdb({ minAvailable: 1 }, { ...r.status }), [pod('a', true, { deletionTimestamp: at }), pod('b', true)], owners, now);
  assert.equal(deleting.status.disruptedPods, undefined);
  assert.equal(deleting.status.currentHealthy, 1);
});

test('budget status: the scale of StatefulSet and ReplicationController pods, each controller once, owners matched by uid', () => {
  const owned = (name: string, kind: string, owner: string, uid: string, ready = true) =>
    pod(name, ready, { ownerReferences: [{ apiVersion: kind === 'StatefulSet' ? 'apps/v1' : 'v1', kind, name: owner, uid, controller: true }] });
  const db = [owned('db-0', 'StatefulSet', 'db', 'ss1'), owned('db-1', 'StatefulSet', 'db', 'ss1'), owned('db-2', 'StatefulSet', 'db', 'ss1', false)];
  assert.equal(expectedScale(db, owners), 3);
  const m = budgetStatus(pdb({ maxUnavailable: 1 }), db, owners, now).status;
  assert.deepEqual([m.expectedPods, m.desiredHealthy, m.currentHealthy, m.disruptionsAllowed], [3, 2, 2, 0]);
  const p = budgetStatus(pdb({ minAvailable: '50%' }), db, owners, now).status;
  assert.deepEqual([p.expectedPods, p.desiredHealthy, p.disruptionsAllowed], [3, 2, 0]);
  const pu = budgetStatus(pdb({ maxUnavailable: '34%' }), db.slice(0, 2), owners, now).status;
  assert.deepEqual([pu.expectedPods, pu.desiredHealthy, pu.disruptionsAllowed], [3, 1, 1], 'replicas count, not the pods there are');
  const old = [owned('old-a', 'ReplicationController', 'old', 'rc1'), owned('old-b', 'ReplicationController', 'old', 'rc1')];
  assert.equal(expectedScale([...old, ...db], owners), 5);
  const r = budgetStatus(pdb({ maxUnavailable: 1 }), old, owners, now).status;
  assert.deepEqual([r.expectedPods, r.desiredHealthy, r.disruptionsAllowed], [2, 1, 1]);
  // A pod of an earlier StatefulSet of the same name (other uid), or of a controller kind with no finder, adds nothing.
  assert.equal(expectedScale([owned('db-0', 'StatefulSet', 'db', 'ss-old'), owned('x', 'DaemonSet', 'ds', 'ds1')], owners), 0);
});
