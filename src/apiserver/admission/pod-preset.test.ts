import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject, type Pod, type PodPreset } from '../../api/index.ts';
import type { AdmissionAttributes } from './chain.ts';
import { applyPodPresets, PodPresetAdmission } from './pod-preset.ts';

const preset = (name: string, spec: PodPreset['spec'], ns = 'team'): PodPreset => ({
  apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name, namespace: ns, resourceVersion: '42' }, spec,
});

const pod = (labels: Record<string, string>, annotations: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'team', labels, annotations },
  spec: {
    containers: [{ name: 'app', image: 'busybox', env: [{ name: 'KEEP', value: '1' }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    initContainers: [{ name: 'init', image: 'busybox' }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

const dbPreset = preset('allow-database', {
  selector: { matchLabels: { role: 'frontend' } },
  env: [{ name: 'DB_PORT', value: '6379' }],
  envFrom: [{ configMapRef: { name: 'etcd-env-config' } }],
  volumeMounts: [{ name: 'cache-volume', mountPath: '/cache' }],
  volumes: [{ name: 'cache-volume', emptyDir: {} }],
});

function attrs(p: Pod, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes {
  return { operation, resource: findResource('v1', 'pods')!, subresource: '', namespace: 'team', name: 'web', object: p as unknown as KubeObject, oldObject: undefined, dryRun: false, user: 'u' };
}

test('a matching preset injects env, envFrom, mounts into every container and init container, volumes into the pod, and the annotation', () => {
  const p = pod({ role: 'frontend' });
  new PodPresetAdmission(() => [dbPreset as KubeObject]).admit(attrs(p));
  const [app] = p.spec!.containers;
  assert.deepEqual(app!.env, [{ name: 'KEEP', value: '1' }, { name: 'DB_PORT', value: '6379' }]);
  assert.deepEqual(app!.envFrom, [{ configMapRef: { name: 'etcd-env-config' } }]);
  assert.deepEqual(app!.volumeMounts, [{ name: 'data', mountPath: '/data' }, { name: 'cache-volume', mountPath: '/cache' }]);
  assert.deepEqual(p.spec!.initContainers![0]!.env, [{ name: 'DB_PORT', value: '6379' }]);
  assert.deepEqual(p.spec!.volumes!.map((v) => v.name), ['data', 'cache-volume']);
  assert.equal(p.metadata!.annotations!['podpreset.admission.kubernetes.io/podpreset-allow-database'], '42');
});

test('no injection: other labels, another namespace, the exclude annotation, updates', () => {
  const cases: [Pod, AdmissionAttributes['operation'], KubeObject[]][] = [
    [pod({ role: 'backend' }), 'CREATE', [dbPreset as KubeObject]],
    [pod({ role: 'frontend' }), 'CREATE', [preset('elsewhere', dbPreset.spec, 'other') as KubeObject]],
    [pod({ role: 'frontend' }, { 'podpreset.admission.kubernetes.io/exclude': 'true' }), 'CREATE', [dbPreset as KubeObject]],
    [pod({ role: 'frontend' }), 'UPDATE', [dbPreset as KubeObject]],
  ];
  for (const [p, op, presets] of cases) {
    const before = structuredClone(p);
    new PodPresetAdmission(() => presets).admit(attrs(p, op));
    assert.deepEqual(p, before);
  }
});

test('a conflict (same env name with another value, same mount path, same volume name) leaves the pod unchanged and is reported', () => {
  const conflicting = [
    preset('env', { selector: {}, env: [{ name: 'KEEP', value: '2' }] }),
    preset('path', { selector: {}, volumeMounts: [{ name: 'other', mountPath: '/data' }] }),
    preset('vol', { selector: {}, volumes: [{ name: 'data', hostPath: { path: '/x' } }] }),
  ];
  for (const pp of conflicting) {
    const p = pod({});
    const before = structuredClone(p);
    const reported: string[][] = [];
    new PodPresetAdmission(() => [pp as KubeObject], (_pod, names, conflicts) => reported.push([...names, ...conflicts])).admit(attrs(p));
    assert.deepEqual(p, before, pp.metadata!.name);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]![0], pp.metadata!.name);
  }
  // Identical items are no conflict.
  const same = applyPodPresets(pod({}), [preset('same', { selector: {}, env: [{ name: 'KEEP', value: '1' }] })]);
  assert.ok('pod' in same);
  assert.deepEqual(same.pod.spec!.containers[0]!.env, [{ name: 'KEEP', value: '1' }]);
});
