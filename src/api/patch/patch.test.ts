import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, PatchError } from './json-patch.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

function livePod() {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'nginx', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old' }, finalizers: ['a/b'] },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }], imagePullPolicy: 'IfNotPresent' },
        { name: 'sidecar', image: 'busybox:1.35', command: ['sleep', '3600'] },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
  };
}

test('strategic merge: the patch kubectl sends on a second apply keeps the sidecar', () => {
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'new' } },
    spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.28', name: 'web' }] },
  };
  const out = applyStrategicMergePatch(livePod(), patch, 'Pod');
  assert.deepEqual(out.spec.containers.map((c) => [c.name, c.image]), [['web', 'nginx:1.28'], ['sidecar', 'busybox:1.35']]);
  assert.deepEqual(out.spec.containers[0]!.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], 'new');
  // A JSON merge patch, by contrast, replaces the list and loses the sidecar.
  assert.deepEqual(applyMergePatch(livePod(), patch).spec.containers.map((c) => c.name), ['web']);
});

test('strategic merge: list merge keys, directives and ordering', () => {
  const cases: { name: string; patch: object; check: (o: ReturnType<typeof livePod>) => void }[] = [
    {
      name: 'add a container in the middle via $setElementOrder',
      patch: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'new' }, { name: 'sidecar' }], containers: [{ name: 'new', image: 'x:1' }] } },
      check: (o) => assert.deepEqual(o.spec.containers.map((c) => c.name), ['web', 'new', 'sidecar']),
    },
    {
      name: 'delete a container with $patch: delete',
      patch: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      check: (o) => assert.deepEqual(o.spec.containers.map((c) => c.name), ['web']),
    },
    {
      name: 'ports merge by containerPort, env by name, null deletes a field',
      patch: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443 }], env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }], imagePullPolicy: null }] } },
      check: (o) => {
        const web = o.spec.containers[0]!;
        // Without $setElementOrder, normalizeElementOrder puts patch-only items before server-only ones.
        assert.deepEqual(web.ports, [{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP' }]);
        assert.deepEqual(web.env, [{ name: 'A', value: '2' }, { name: 'B', value: '3' }]);
        assert.equal('imagePullPolicy' in web, false);
        assert.equal(o.spec.containers[1]!.name, 'sidecar');
      },
    },
    {
      name: 'tolerations and command are replaced, not merged',
      patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'sidecar', command: ['sh'] }] } },
      check: (o) => {
        assert.deepEqual(o.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
        assert.deepEqual(o.spec.containers[1]!.command, ['sh']);
      },
    },
    {
      name: 'list-level $patch: replace',
      patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x:1' }] } },
      check: (o) => assert.deepEqual(o.spec.containers, [{ name: 'only', image: 'x:1' }]),
    },
    {
      name: 'map $patch: replace and $patch: delete',
      patch: { metadata: { annotations: { $patch: 'replace', z: '1' } }, status: { $patch: 'delete' } },
      check: (o) => {
        assert.deepEqual(o.metadata.annotations, { z: '1' });
        assert.equal('status' in o, false);
      },
    },
    {
      name: '$retainKeys on a volume switches its source',
      patch: { spec: { '$setElementOrder/volumes': [{ name: 'data' }], volumes: [{ name: 'data', hostPath: { path: '/tmp' }, emptyDir: null, $retainKeys: ['hostPath', 'name'] }] } },
      check: (o) => assert.deepEqual(o.spec.volumes, [{ name: 'data', hostPath: { path: '/tmp' } }]),
    },
    {
      name: 'finalizers merge as a set; $deleteFromPrimitiveList removes',
      patch: { metadata: { finalizers: ['c/d', 'a/b'] } },
      check: (o) => assert.deepEqual(o.metadata.finalizers, ['c/d', 'a/b']),
    },
    {
      name: '$deleteFromPrimitiveList removes scalars',
      patch: { metadata: { finalizers: ['c/d'], '$deleteFromPrimitiveList/finalizers': ['a/b'] } },
      check: (o) => assert.deepEqual(o.metadata.finalizers, ['c/d']),
    },
    {
      name: 'status conditions merge by type',
      patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      check: (o) => assert.deepEqual(o.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]),
    },
    {
      name: 'ephemeral containers added (kubectl debug)',
      patch: { spec: { ephemeralContainers: [{ name: 'debugger-x', image: 'busybox:1.36', targetContainerName: 'web', stdin: true, tty: true }] } },
      check: (o) => assert.equal((o.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers?.[0]?.name, 'debugger-x'),
    },
  ];
  for (const c of cases) c.check(applyStrategicMergePatch(livePod(), c.patch, 'Pod'));
  const deleteThenKeep = applyStrategicMergePatch(livePod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/b'] } }, 'Pod');
  assert.deepEqual(deleteThenKeep.metadata.finalizers, []);
});

test('strategic merge errors', () => {
  assert.throws(() => applyStrategicMergePatch(livePod(), { spec: { containers: [{ image: 'x' }] } }, 'Pod'), (e: unknown) => e instanceof PatchError && e.message === 'map: map[image:x] does not contain declared merge key: name');
  assert.throws(() => applyStrategicMergePatch(livePod(), { spec: { $patch: 'bogus' } }, 'Pod'), /unknown patch type: bogus/);
  assert.throws(() => applyStrategicMergePatch(livePod(), [], 'Pod'), PatchError);
  // A patch list that disagrees with its $setElementOrder (another order, or an item the directive leaves out)
  // is refused as validatePatchWithSetOrderList refuses it; deletions are not counted.
  const reordered = { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ name: 'sidecar', image: 'b' }, { name: 'web', image: 'a', ports: [{ containerPort: 8080 }] }] } };
  assert.throws(() => applyStrategicMergePatch(livePod(), reordered, 'Pod'), (e: unknown) => e instanceof PatchError && e.message ===
    "The order in patch list:\n[map[image:b name:sidecar] map[image:a name:web ports:[map[containerPort:8080]]]]\n doesn't match $setElementOrder list:\n[map[name:web] map[name:sidecar]]\n");
  const unnamed = { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'web', image: 'a' }, { name: 'extra', image: 'x' }] } };
  assert.throws(() => applyStrategicMergePatch(livePod(), unnamed, 'Pod'), /doesn't match \$setElementOrder list/);
  const scalars = { metadata: { '$setElementOrder/finalizers': ['a', 'b'], finalizers: ['b', 'a'] } };
  assert.throws(() => applyStrategicMergePatch(livePod(), scalars, 'Pod'), /The order in patch list:\n\[b a\]\n/);
  const withDeletion = { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'web', image: 'a' }] } };
  assert.deepEqual(applyStrategicMergePatch(livePod(), withDeletion, 'Pod').spec.containers.map((c) => c.name), ['web']);
  // The original is never mutated.
  const live = livePod();
  applyStrategicMergePatch(live, { spec: { containers: [{ name: 'web', image: 'changed' }] } });
  assert.equal(live.spec.containers[0]!.image, 'nginx:1.27');
});

test('merge patch (RFC 7386)', () => {
  assert.deepEqual(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }), { a: 'z', c: { d: 'e' } });
  assert.deepEqual(applyMergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] });
  assert.deepEqual(applyMergePatch({ a: 1 }, 'x'), 'x');
  assert.deepEqual(applyMergePatch({ a: { b: 1 } }, { a: { c: { d: null } } }), { a: { b: 1, c: {} } });
});

test('json patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web', image: 'x' }] } };
  const out = applyJsonPatch(doc, [
    { op: 'replace', path: '/spec/containers/0/image', value: 'y' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'side' } },
    { op: 'add', path: '/metadata/labels/a~1b', value: 'c' },
    { op: 'remove', path: '/metadata/labels/a' },
    { op: 'copy', from: '/spec/containers/0/name', path: '/metadata/name' },
    { op: 'move', from: '/metadata/name', path: '/metadata/generateName' },
    { op: 'test', path: '/spec/containers/1/name', value: 'side' },
  ]);
  assert.deepEqual(out, { metadata: { labels: { 'a/b': 'c' }, generateName: 'web' }, spec: { containers: [{ name: 'web', image: 'y' }, { name: 'side' }] } });
  assert.equal(doc.spec.containers[0]!.image, 'x');
  assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/labels/a', value: 'nope' }]), { message: 'testing value /metadata/labels/a failed: test failed' });
  assert.throws(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/nope', value: 1 }]), { message: 'replace operation does not apply: doc is missing key: /spec/nope: missing value' });
  assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/metadata/nope' }]), { message: 'Unable to remove nonexistent key: nope: missing value' });
  assert.throws(() => applyJsonPatch(doc, [{ op: 'add', path: '/spec/containers/5', value: 1 }]), PatchError);
  assert.throws(() => applyJsonPatch(doc, { op: 'add' }), PatchError);
});
