import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unknownFields, strictDecodingError, hasSchema, decodeError, base64ErrorOffset } from './unknown-fields.ts';
import { duplicateFields } from './duplicate-fields.ts';

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
  assert.equal(strictDecodingError(['a', 'b'], ['metadata.name']), 'strict decoding error: duplicate field "metadata.name", unknown field "a", unknown field "b"');
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

test('decodeError reports what the Go JSON decoder refuses', () => {
  const pod = (containers: unknown[], extra: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: null }, spec: { containers, ...extra }, status: {} });
  const cases: [unknown, string | undefined][] = [
    [pod([{ name: 'c', image: 'x', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 'http' } }, resources: { limits: { cpu: 0.5, memory: '1Gi' } } }]), undefined],
    [pod([{ name: 'c', ports: [{ containerPort: '80' }] }]), 'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32'],
    [pod([{ name: 'c', ports: [{ containerPort: 1.5 }] }]), 'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32'],
    [pod([{ name: 'c' }], { terminationGracePeriodSeconds: 'x' }), 'json: cannot unmarshal string into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64'],
    [pod([{ name: 5 }]), 'json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string'],
    [pod({ name: 'c' } as unknown as unknown[]), 'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container'],
    [pod([{ name: 'c', command: 'sleep 1' }]), 'json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string'],
    [pod([{ name: 'c', resources: { limits: { cpu: 'lots' } } }]), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    [pod([{ name: 'c', stdin: 'yes' }]), 'json: cannot unmarshal string into Go struct field Container.spec.containers.stdin of type bool'],
  ];
  for (const [obj, want] of cases) assert.equal(decodeError('Pod', obj), want, JSON.stringify(obj));
});

test('base64 data in secrets and configmap binaryData', () => {
  const cases: [string, number][] = [['', -1], ['aGVsbG8=', -1], ['aGVsbG8', 4], ['aGV*bG8=', 3], ['aGVsbG8==', 8], ['YQ==', -1], ['Y===', 1], ['aGVs\nbG8=', -1]];
  for (const [text, want] of cases) assert.equal(base64ErrorOffset(text), want, text);
  assert.equal(decodeError('Secret', { apiVersion: 'v1', kind: 'Secret', data: { a: 'aGV*bG8=' } }), 'illegal base64 data at input byte 3');
  assert.equal(decodeError('Secret', { apiVersion: 'v1', kind: 'Secret', data: { a: 'aGVsbG8=' } }), undefined);
  assert.equal(decodeError('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'not base64 and fine' }, binaryData: { b: '%%' } }), 'illegal base64 data at input byte 0');
});

test('duplicateFields finds repeated keys in the raw body', () => {
  assert.deepEqual(duplicateFields('{"metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"c","image":"x","image":"y"},{"name":"d"}]}}'),
    ['metadata.name', 'spec.containers[0].image']);
  assert.deepEqual(duplicateFields('{"a":"x\\"y","b":[1,2,{"c":true}],"d":{}}'), []);
  assert.deepEqual(duplicateFields('not json'), []);
  // A key spelled with an escape is the same key; keys in nested objects and lists are their own.
  assert.deepEqual(duplicateFields('{"metadata":{"name":"a","n\\u0061me":"b"}}'), ['metadata.name']);
  assert.deepEqual(duplicateFields('{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}], "d" : [ ] , "e":null,"f":-1.5e3}'), []);
  assert.deepEqual(duplicateFields('{"a":[1,{"b":[{"c":1, "c":2}]}]}'), ['a[1].b[0].c']);
});

test('decodeError turns null list items and map values into Go zero values, as Go\'s decoder does (defaulting never sees null)', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: null } }, spec: { containers: [null, { name: 'c', image: 'i', ports: [null], args: [null] }] } };
  assert.equal(decodeError('Pod', pod), undefined);
  assert.deepEqual(pod.spec.containers, [{}, { name: 'c', image: 'i', ports: [{}], args: [''] }]);
  assert.deepEqual(pod.metadata.labels, { a: '' });
});
