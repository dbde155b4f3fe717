import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodSpec } from '../types.ts';
import { validatePodSpec } from './pod.ts';

const container = { name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' };
const spec = (extra: object, c: object = {}): PodSpec =>
  ({ containers: [{ ...container, ...c }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', ...extra }) as PodSpec;
const lines = (s: PodSpec) => validatePodSpec(s).map((e) => `${e.field}: ${e.message}`);

test('a plain pod spec passes', () => {
  assert.deepEqual(lines(spec({})), []);
});

test('dynamic resource allocation is refused in the pod and its containers', () => {
  assert.deepEqual(lines(spec({ resourceClaims: [{ name: 'gpu', resourceClaimName: 'gpu-claim' }] }, { resources: { claims: [{ name: 'gpu' }] } })), [
    'spec.resourceClaims: Forbidden: kubeling does not support dynamic resource allocation',
    'spec.containers[0].resources.claims: Forbidden: kubeling does not support dynamic resource allocation',
  ]);
});

test('pod-level resources, hostnameOverride and scheduling groups are refused', () => {
  assert.deepEqual(lines(spec({ resources: { limits: { cpu: '1' } }, hostnameOverride: 'h', schedulingGroup: { podGroupName: 'g' } })), [
    'spec.resources: Forbidden: kubeling does not support pod-level resources',
    'spec.hostnameOverride: Forbidden: kubeling does not support hostnameOverride',
    'spec.schedulingGroup: Forbidden: kubeling does not support scheduling groups',
  ]);
});

test('raw block devices, restart rules and stop signals are refused on init containers too', () => {
  const s = spec({
    volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }],
    initContainers: [{
      ...container, name: 'i', restartPolicy: 'Always',
      volumeDevices: [{ name: 'v', devicePath: '/dev/xvda' }],
      restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
      lifecycle: { stopSignal: 'SIGUSR1' },
    }],
  });
  assert.deepEqual(lines(s), [
    'spec.initContainers[0].volumeDevices: Forbidden: kubeling does not support raw block volumes',
    'spec.initContainers[0].restartPolicyRules: Forbidden: kubeling does not support container restart rules',
    'spec.initContainers[0].lifecycle.stopSignal: Forbidden: kubeling does not support container stop signals',
  ]);
});

test('clusterTrustBundle and podCertificate projections are refused, the served sources pass', () => {
  const s = spec({
    volumes: [{
      name: 'p',
      projected: {
        sources: [
          { configMap: { name: 'cm' } },
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          { clusterTrustBundle: { name: 'b', path: 'ca.pem' } },
          { podCertificate: { signerName: 'example.com/s', keyType: 'ED25519', credentialBundlePath: 'c' } },
        ],
      },
    }],
  });
  assert.deepEqual(lines(s), [
    'spec.volumes[0].projected.sources[2].clusterTrustBundle: Forbidden: kubeling does not support clusterTrustBundle projections',
    'spec.volumes[0].projected.sources[3].podCertificate: Forbidden: kubeling does not support podCertificate projections',
  ]);
});

test('volume types the kubelet cannot mount are accepted (the node reports FailedMount)', () => {
  assert.deepEqual(lines(spec({ volumes: [{ name: 'n', nfs: { server: 'nfs.example', path: '/export' } }] })), []);
});

test('recursiveReadOnly: Enabled is refused, IfPossible passes, upstream\'s rules apply to both', () => {
  const s = spec({ volumes: [{ name: 'v', emptyDir: {} }] }, {
    volumeMounts: [
      { name: 'v', mountPath: '/a', readOnly: true, recursiveReadOnly: 'IfPossible' },
      { name: 'v', mountPath: '/b', readOnly: true, recursiveReadOnly: 'Enabled' },
      { name: 'v', mountPath: '/c', recursiveReadOnly: 'IfPossible', mountPropagation: 'HostToContainer' },
      { name: 'v', mountPath: '/d', readOnly: true, recursiveReadOnly: 'Always' },
    ],
  });
  assert.deepEqual(lines(s), [
    'spec.containers[0].volumeMounts[2].recursiveReadOnly: Forbidden: may only be specified when readOnly is true',
    'spec.containers[0].volumeMounts[2].recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified',
    'spec.containers[0].volumeMounts[3].recursiveReadOnly: Unsupported value: "Always": supported values: "Disabled", "Enabled", "IfPossible"',
    'spec.containers[0].volumeMounts[1].recursiveReadOnly: Forbidden: kubeling does not support recursive read-only mounts',
  ]);
});
