import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unknownFields, strictDecodingError, hasSchema } from './unknown-fields.ts';

test('unknownFields finds misspelled fields with Kubernetes paths', () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { anything: 'goes' }, nme: 'x' },
    spec: {
      containers: [
        { name: 'ok', image: 'x', resources: { limits: { cpu: '1' } }, ports: [{ containerPort: 80 }] },
        { name: 'bad', imagee: 'x', livenessProbe: { httpGet: { port: 80, pth: '/' } }, env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'x', extra: 1 } } }] },
      ],
      volumes: [{ name: 'v', emptyDir: { medium: 'Memory', sizelimit: '1Gi' } }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    },
    statuss: {},
  };
  assert.deepEqual(unknownFields('Pod', pod), [
    'metadata.nme',
    'spec.containers[1].imagee',
    'spec.containers[1].livenessProbe.httpGet.pth',
    'spec.containers[1].env[0].valueFrom.fieldRef.extra',
    'spec.volumes[0].emptyDir.sizelimit',
    'statuss',
  ]);
  assert.equal(strictDecodingError(['spec.containers[0].imagee']), 'strict decoding error: unknown field "spec.containers[0].imagee"');
});

test('known objects of every served kind pass', () => {
  const cases: [string, object][] = [
    ['Node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '2' }, nodeInfo: { kubeletVersion: 'v1.32.0' }, daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } }],
    ['Event', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod' }, source: { component: 'kubelet' }, count: 1 }],
    ['Event', { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, regarding: { kind: 'Pod' }, note: 'x', eventTime: '2026-01-01T00:00:00.000000Z' }],
    ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } }, strategy: { rollingUpdate: { maxSurge: '25%' } } } }],
    ['Lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'n', renewTime: '2026-01-01T00:00:00.000000Z' } }],
    ['Secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'b' }, type: 'Opaque' }],
  ];
  for (const [kind, obj] of cases) assert.deepEqual(unknownFields(kind, obj), [], kind);
  assert.deepEqual(unknownFields('Event', { apiVersion: 'v1', kind: 'Event', regarding: {} }), ['regarding']);
  assert.deepEqual(unknownFields('Nope', { a: 1 }), []);
  assert.equal(hasSchema('Pod'), true);
  assert.equal(hasSchema('Nope'), false);
});
