import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/index.ts';
import type { Attributes } from './authorizer.ts';
import { NodeAuthorizer } from './node.ts';
import { NodeGraph } from './node-graph.ts';

const node = (name: string) => ({ name: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });

function req(user: Attributes['user'], verb: string, resource: string, o: Partial<Attributes> = {}): Attributes {
  const [res, sub = ''] = resource.split('/');
  return { user, verb, resourceRequest: true, namespace: '', apiGroup: '', apiVersion: 'v1', resource: res!, subresource: sub, name: '', path: '', ...o };
}

function pod(name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'i' }], ...spec } };
}

function setup(...pods: KubeObject[]): { graph: NodeGraph; authz: NodeAuthorizer } {
  const graph = new NodeGraph();
  for (const p of pods) graph.onPodEvent('ADDED', p);
  return { graph, authz: new NodeAuthorizer(graph) };
}

const decision = (authz: NodeAuthorizer, a: Attributes) => authz.authorize(a);

test('a node reads a secret only while a pod bound to it references it', () => {
  const { graph, authz } = setup(pod('p', 'n1', { volumes: [{ name: 'v', secret: { secretName: 's' } }] }));
  assert.deepEqual(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 's' })), { decision: 'Allow', reason: '' });
  assert.deepEqual(decision(authz, req(node('n2'), 'get', 'secrets', { namespace: 'ns', name: 's' })),
    { decision: 'NoOpinion', reason: "no relationship found between node 'n2' and this object" });
  assert.equal(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 'other' })).decision, 'NoOpinion');
  assert.equal(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'other', name: 's' })).decision, 'NoOpinion');
  // Writes and listing across namespaces are never allowed.
  assert.deepEqual(decision(authz, req(node('n1'), 'update', 'secrets', { namespace: 'ns', name: 's' })), { decision: 'NoOpinion', reason: 'can only read resources of this type' });
  assert.deepEqual(decision(authz, req(node('n1'), 'list', 'secrets')), { decision: 'NoOpinion', reason: 'can only read namespaced object of this type' });
  // The pod leaves: so does the access.
  graph.onPodEvent('DELETED', pod('p', 'n1'));
  assert.equal(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 's' })).decision, 'NoOpinion');
});

test('every way a pod names a secret or configmap counts; an unbound pod counts for no node', () => {
  const { graph, authz } = setup(pod('p', 'n1', {
    imagePullSecrets: [{ name: 'pull' }],
    containers: [{ name: 'c', image: 'i', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'env-s', key: 'k' } } }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'from-cm' } }] }],
    initContainers: [{ name: 'i', image: 'i', envFrom: [{ secretRef: { name: 'init-s' } }] }],
    volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'proj-s' } }] } }],
  }));
  for (const s of ['pull', 'env-s', 'init-s', 'proj-s']) assert.equal(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'ns', name: s })).decision, 'Allow', s);
  for (const c of ['env-cm', 'from-cm', 'kube-root-ca.crt']) assert.equal(decision(authz, req(node('n1'), 'watch', 'configmaps', { namespace: 'ns', name: c })).decision, 'Allow', c);
  graph.onPodEvent('MODIFIED', pod('p', undefined, { volumes: [{ name: 'v', secret: { secretName: 'pull' } }] }));
  assert.equal(decision(authz, req(node('n1'), 'get', 'secrets', { namespace: 'ns', name: 'pull' })).decision, 'NoOpinion');
});

test('claims and their volumes are readable through a pod on the node; claims only by get', () => {
  const { graph, authz } = setup(pod('p', 'n1', { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }] }));
  graph.onClaimEvent('ADDED', { metadata: { name: 'c', namespace: 'ns' }, spec: { volumeName: 'pv1' } });
  assert.equal(decision(authz, req(node('n1'), 'get', 'persistentvolumeclaims', { namespace: 'ns', name: 'c' })).decision, 'Allow');
  assert.equal(decision(authz, req(node('n1'), 'get', 'persistentvolumes', { name: 'pv1' })).decision, 'Allow');
  assert.equal(decision(authz, req(node('n2'), 'get', 'persistentvolumes', { name: 'pv1' })).decision, 'NoOpinion');
  assert.deepEqual(decision(authz, req(node('n1'), 'list', 'persistentvolumeclaims', { namespace: 'ns' })), { decision: 'NoOpinion', reason: 'can only get individual resources of this type' });
  assert.equal(decision(authz, req(node('n1'), 'patch', 'persistentvolumeclaims/status', { namespace: 'ns', name: 'c' })).decision, 'Allow');
  graph.onClaimEvent('DELETED', { metadata: { name: 'c', namespace: 'ns' } });
  assert.equal(decision(authz, req(node('n1'), 'get', 'persistentvolumes', { name: 'pv1' })).decision, 'NoOpinion');
});

test('service account tokens only for the service accounts of the node\'s pods', () => {
  const { authz } = setup(pod('p', 'n1', { serviceAccountName: 'builder' }), pod('q', 'n1'));
  assert.equal(decision(authz, req(node('n1'), 'create', 'serviceaccounts/token', { namespace: 'ns', name: 'builder' })).decision, 'Allow');
  assert.equal(decision(authz, req(node('n1'), 'create', 'serviceaccounts/token', { namespace: 'ns', name: 'default' })).decision, 'Allow');
  assert.equal(decision(authz, req(node('n2'), 'create', 'serviceaccounts/token', { namespace: 'ns', name: 'builder' })).decision, 'NoOpinion');
  assert.deepEqual(decision(authz, req(node('n1'), 'get', 'serviceaccounts', { namespace: 'ns', name: 'builder' })), { decision: 'NoOpinion', reason: 'can only create tokens for individual service accounts' });
});

test('a node\'s own Lease in kube-node-lease only', () => {
  const { authz } = setup();
  assert.equal(decision(authz, req(node('n1'), 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n1' })).decision, 'Allow');
  assert.equal(decision(authz, req(node('n1'), 'create', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' })).decision, 'Allow');
  assert.deepEqual(decision(authz, req(node('n1'), 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' })),
    { decision: 'NoOpinion', reason: 'can only access node lease with the same name as the requesting node' });
  assert.deepEqual(decision(authz, req(node('n1'), 'get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-system', name: 'n1' })),
    { decision: 'NoOpinion', reason: 'can only access leases in the "kube-node-lease" system namespace' });
  assert.equal(decision(authz, req(node('n1'), 'list', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease' })).decision, 'NoOpinion');
});

test('the static node rules: nodes, pods, services, events, status, evictions, CSRs; nothing else', () => {
  const { authz } = setup();
  const allowed: [string, string, Partial<Attributes>?][] = [
    ['list', 'nodes'], ['watch', 'nodes'], ['create', 'nodes'], ['patch', 'nodes/status'], ['list', 'pods'], ['get', 'pods', { namespace: 'ns', name: 'p' }],
    ['create', 'pods', { namespace: 'ns' }], ['delete', 'pods', { namespace: 'ns', name: 'p' }], ['update', 'pods/status', { namespace: 'ns', name: 'p' }],
    ['create', 'pods/eviction', { namespace: 'ns', name: 'p' }], ['watch', 'services'], ['create', 'events', { namespace: 'ns' }],
    ['create', 'certificatesigningrequests', { apiGroup: 'certificates.k8s.io' }], ['list', 'endpointslices', { apiGroup: 'discovery.k8s.io' }],
    ['get', 'configmaps', { namespace: 'kube-system', name: 'kubeling-pod-network' }],
  ];
  for (const [verb, res, o] of allowed) assert.equal(decision(authz, req(node('n1'), verb, res, o)).decision, 'Allow', `${verb} ${res}`);
  const refused: [string, string, Partial<Attributes>?][] = [
    ['update', 'pods', { namespace: 'ns', name: 'p' }], ['delete', 'nodes', { name: 'n1' }], ['create', 'services', { namespace: 'ns' }],
    ['list', 'deployments', { apiGroup: 'apps' }], ['update', 'certificatesigningrequests/approval', { apiGroup: 'certificates.k8s.io', name: 'c' }],
    ['get', 'configmaps', { namespace: 'kube-system', name: 'other' }],
  ];
  for (const [verb, res, o] of refused) assert.equal(decision(authz, req(node('n1'), verb, res, o)).decision, 'NoOpinion', `${verb} ${res}`);
});

test('no opinion on anyone but a node; a node user without a node name is an unknown node', () => {
  const { authz } = setup(pod('p', 'n1', { volumes: [{ name: 'v', secret: { secretName: 's' } }] }));
  assert.deepEqual(decision(authz, req({ name: 'alice', groups: ['system:authenticated'] }, 'get', 'secrets', { namespace: 'ns', name: 's' })), { decision: 'NoOpinion', reason: '' });
  assert.deepEqual(decision(authz, req({ name: 'system:node:n1', groups: ['system:authenticated'] }, 'get', 'secrets', { namespace: 'ns', name: 's' })), { decision: 'NoOpinion', reason: '' });
  assert.deepEqual(decision(authz, req({ name: 'system:node:', groups: ['system:nodes'] }, 'list', 'pods')), { decision: 'NoOpinion', reason: 'unknown node for user "system:node:"' });
  assert.deepEqual(decision(authz, req({ name: 'kubelet', groups: ['system:nodes'] }, 'list', 'pods')), { decision: 'NoOpinion', reason: '' });
});
