import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject } from '../../api/index.ts';
import type { AdmissionAttributes, Operation } from './chain.ts';
import { admitNodeTokenRequest, forbiddenLabels, NodeRestriction } from './node-restriction.ts';

const NODES = ['system:nodes', 'system:authenticated'];
const objects: Record<string, KubeObject> = {
  'nodes//n1': { metadata: { name: 'n1', uid: 'uid-n1' } },
  'pods/ns/mine': { metadata: { name: 'mine', namespace: 'ns' }, spec: { nodeName: 'n1' } },
  'pods/ns/theirs': { metadata: { name: 'theirs', namespace: 'ns' }, spec: { nodeName: 'n2' } },
};
const plugin = new NodeRestriction({ get: async (r, ns, name) => objects[`${r}/${ns}/${name}`] });

function attrs(op: Operation, gvr: [string, string], o: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: op, resource: findResource(gvr[0], gvr[1])!, subresource: '', namespace: '', name: '', object: undefined, oldObject: undefined,
    dryRun: false, user: 'system:node:n1', groups: NODES, ...o,
  };
}

async function refused(a: AdmissionAttributes): Promise<string> {
  try {
    await plugin.validate(a);
  } catch (err) {
    assert.equal((err as { code?: number }).code, 403);
    return (err as Error).message;
  }
  assert.fail('expected a refusal');
}

const node = (labels: Record<string, string>, taints: unknown[] = []) => ({ metadata: { name: 'n1', labels }, spec: { taints } }) as KubeObject;

test('a node writes only its own Node', async () => {
  await plugin.validate(attrs('UPDATE', ['v1', 'nodes'], { name: 'n1', object: node({ a: 'b' }), oldObject: node({}) }));
  assert.equal(await refused(attrs('UPDATE', ['v1', 'nodes'], { name: 'n2', object: node({}), oldObject: node({}) })),
    'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  assert.equal(await refused(attrs('DELETE', ['v1', 'nodes'], { name: 'n2', oldObject: node({}) })),
    'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
});

test('a node may not change its taints, nor set restricted labels, on create or update', async () => {
  assert.equal(await refused(attrs('UPDATE', ['v1', 'nodes'], { name: 'n1', object: node({}, []), oldObject: node({}, [{ key: 'k', effect: 'NoSchedule' }]) })),
    'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
  assert.equal(await refused(attrs('UPDATE', ['v1', 'nodes'], { name: 'n1', subresource: 'status', object: node({ 'node-restriction.kubernetes.io/x': 'y' }), oldObject: node({}) })),
    'nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x');
  assert.equal(await refused(attrs('CREATE', ['v1', 'nodes'], { name: 'n1', object: node({ 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'n1' }) })),
    'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-role.kubernetes.io/control-plane');
  // The kubelet's own labels, and labels outside kubernetes.io / k8s.io, are fine; an unchanged restricted one too.
  await plugin.validate(attrs('CREATE', ['v1', 'nodes'], { name: 'n1', object: node({ 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/instance-type': 'x', disk: 'ssd' }, [{ key: 'k', effect: 'NoSchedule' }]) }));
  await plugin.validate(attrs('UPDATE', ['v1', 'nodes'], { name: 'n1', object: node({ 'node-role.kubernetes.io/control-plane': '', x: '1' }), oldObject: node({ 'node-role.kubernetes.io/control-plane': '' }) }));
});

test('forbiddenLabels follows upstream: node-restriction labels and non-kubelet kubernetes.io / k8s.io labels', () => {
  assert.deepEqual(forbiddenLabels(['a.node-restriction.kubernetes.io/x', 'example.k8s.io/y', 'kubelet.kubernetes.io/z', 'topology.kubernetes.io/zone', 'plain', 'team.example.com/t']),
    ['a.node-restriction.kubernetes.io/x', 'example.k8s.io/y']);
});

const mirror = (o: Record<string, unknown> = {}) => ({
  metadata: { name: 'static-n1', namespace: 'ns', annotations: { 'kubernetes.io/config.mirror': 'hash' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', controller: true }] },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] }, ...o,
}) as unknown as KubeObject;

test('a node creates only mirror pods bound to and owned by itself, referencing nothing', async () => {
  await plugin.validate(attrs('CREATE', ['v1', 'pods'], { namespace: 'ns', name: 'static-n1', object: mirror() }));
  const m = (f: (p: { metadata: Record<string, unknown>; spec: Record<string, unknown> }) => void) => { const p = mirror() as unknown as { metadata: Record<string, unknown>; spec: Record<string, unknown> }; f(p); return p as unknown as KubeObject; };
  const cases: [KubeObject, string][] = [
    [m((p) => { p.metadata.annotations = {}; }), 'pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods'],
    [m((p) => { p.spec.nodeName = 'n2'; }), 'node "n1" can only create pods with spec.nodeName set to itself'],
    [m((p) => { p.metadata.ownerReferences = []; }), 'node "n1" can only create pods with an owner reference set to itself'],
    [m((p) => { p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1' }]; }), 'node "n1" can only create pods with a controller owner reference set to itself'],
    [m((p) => { p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'other', controller: true }]; }), 'node n1 UID mismatch: expected other got uid-n1'],
    [m((p) => { p.spec.serviceAccountName = 'sa'; }), 'node "n1" can not create pods that reference a service account'],
    [m((p) => { p.spec.volumes = [{ name: 'v', secret: { secretName: 's' } }]; }), 'node "n1" can not create pods that reference secrets'],
    [m((p) => { p.spec.containers = [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'c' } }] }]; }), 'node "n1" can not create pods that reference configmaps'],
    [m((p) => { p.spec.volumes = [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }]; }), 'node "n1" can not create pods that reference persistentvolumeclaims'],
  ];
  for (const [pod, why] of cases) assert.equal(await refused(attrs('CREATE', ['v1', 'pods'], { namespace: 'ns', name: 'static-n1', object: pod })), `pods "static-n1" is forbidden: ${why}`);
});

test('a node deletes, evicts and writes the status of only its own pods', async () => {
  await plugin.validate(attrs('DELETE', ['v1', 'pods'], { namespace: 'ns', name: 'mine', oldObject: objects['pods/ns/mine'] }));
  assert.equal(await refused(attrs('DELETE', ['v1', 'pods'], { namespace: 'ns', name: 'theirs', oldObject: objects['pods/ns/theirs'] })),
    'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
  await plugin.validate(attrs('DELETE', ['v1', 'pods'], { subresource: 'eviction', namespace: 'ns', name: 'mine', oldObject: objects['pods/ns/mine'] }));
  assert.equal(await refused(attrs('DELETE', ['v1', 'pods'], { subresource: 'eviction', namespace: 'ns', name: 'theirs', oldObject: objects['pods/ns/theirs'] })),
    'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
  assert.equal(await refused(attrs('UPDATE', ['v1', 'pods'], { namespace: 'ns', name: 'mine', object: objects['pods/ns/mine'], oldObject: objects['pods/ns/mine'] })),
    'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods');
  const status = (name: string, labels: Record<string, string> = {}) => ({ ...objects[`pods/ns/${name}`]!, metadata: { ...objects[`pods/ns/${name}`]!.metadata, labels } });
  await plugin.validate(attrs('UPDATE', ['v1', 'pods'], { subresource: 'status', namespace: 'ns', name: 'mine', object: status('mine'), oldObject: status('mine') }));
  assert.equal(await refused(attrs('UPDATE', ['v1', 'pods'], { subresource: 'status', namespace: 'ns', name: 'theirs', object: status('theirs'), oldObject: status('theirs') })),
    'pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
  assert.equal(await refused(attrs('UPDATE', ['v1', 'pods'], { subresource: 'status', namespace: 'ns', name: 'mine', object: status('mine', { a: 'b' }), oldObject: status('mine') })),
    'pods "mine" is forbidden: node "n1" cannot update labels through pod status');
  assert.equal(await refused(attrs('UPDATE', ['v1', 'pods'], { subresource: 'ephemeralcontainers', namespace: 'ns', name: 'mine', object: status('mine'), oldObject: status('mine') })),
    'pods "mine" is forbidden: unexpected pod subresource "ephemeralcontainers", only \'status\' and \'eviction\' are allowed');
});

test('leases: only the node\'s own, in kube-node-lease', async () => {
  await plugin.validate(attrs('UPDATE', ['coordination.k8s.io/v1', 'leases'], { namespace: 'kube-node-lease', name: 'n1' }));
  assert.equal(await refused(attrs('CREATE', ['coordination.k8s.io/v1', 'leases'], { namespace: 'kube-node-lease', name: 'n2' })),
    'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
  assert.equal(await refused(attrs('UPDATE', ['coordination.k8s.io/v1', 'leases'], { namespace: 'default', name: 'n1' })),
    'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace');
});

test('anyone who is not a node passes untouched', async () => {
  await plugin.validate(attrs('UPDATE', ['v1', 'nodes'], { user: 'system:admin', groups: ['system:masters'], name: 'n2', object: node({ 'node-restriction.kubernetes.io/x': '' }), oldObject: node({}) }));
  await plugin.validate(attrs('UPDATE', ['v1', 'nodes'], { user: 'system:node:n1', groups: ['system:authenticated'], name: 'n2', object: node({}), oldObject: node({}) }));
});

test('a node\'s token requests must be bound to one of its pods', async () => {
  const pods: Record<string, KubeObject> = {
    mine: { metadata: { name: 'mine', uid: 'u1' }, spec: { nodeName: 'n1' } },
    theirs: { metadata: { name: 'theirs', uid: 'u2' }, spec: { nodeName: 'n2' } },
  };
  const get = async (name: string) => pods[name];
  const n1 = { name: 'system:node:n1', groups: NODES };
  const refusal = async (ref: Parameters<typeof admitNodeTokenRequest>[2]) => {
    try {
      await admitNodeTokenRequest(n1, 'sa', ref, get);
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail('expected a refusal');
  };
  await admitNodeTokenRequest(n1, 'sa', { apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'u1' }, get);
  assert.equal(await refusal(undefined), 'serviceaccounts "sa" is forbidden: node requested token not bound to a pod');
  assert.equal(await refusal({ apiVersion: 'v1', kind: 'Pod', name: 'mine' }), 'serviceaccounts "sa" is forbidden: node requested token with a pod binding without a uid');
  assert.equal(await refusal({ apiVersion: 'v1', kind: 'Pod', name: 'theirs', uid: 'u2' }), 'serviceaccounts "sa" is forbidden: node requested token bound to a pod scheduled on a different node');
  assert.match(await refusal({ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'old' }), /the UID in the bound object reference \(old\) does not match the UID in record/);
  // Anyone else: not this plugin's business.
  await admitNodeTokenRequest({ name: 'alice', groups: [] }, 'sa', undefined, get);
});
