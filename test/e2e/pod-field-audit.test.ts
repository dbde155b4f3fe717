/**
 * Pod fields kubeling cannot honour fail visibly, end to end with the real kubectl on `kubeling server --runtime
 * fake`: a dynamic-resource-allocation claim is refused by the API with a Forbidden cause, an nfs volume keeps
 * its pod ContainerCreating with FailedMount events naming the volume type, and a Windows pod is refused by the
 * node's admission (Failed, reason PodOSNotSupported).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';

let server: ServerHandle;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server } = s));

const pod = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${spec}`;

const CLAIM = pod('claim', `  resourceClaims:
  - name: gpu
    resourceClaimName: gpu-claim
  containers:
  - name: c
    image: busybox:1.35
    resources:
      claims:
      - name: gpu
`);

const NFS = pod('nfs', `  volumes:
  - name: share
    nfs: {server: nfs.example, path: /export}
  containers:
  - name: c
    image: busybox:1.35
    volumeMounts:
    - {name: share, mountPath: /share}
`);

const WINDOWS = pod('windows', `  os: {name: windows}
  containers:
  - name: c
    image: busybox:1.35
`);

test('unsupported pod fields: refused by the API, FailedMount for an nfs volume, PodOSNotSupported for Windows', async () => {
  const refused = await server.kubectl(['apply', '-f', '-'], { input: CLAIM });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /The Pod "claim" is invalid: \n\* spec\.resourceClaims: Forbidden: kubeling does not support dynamic resource allocation\n\* spec\.containers\[0\]\.resources\.claims: Forbidden: kubeling does not support dynamic resource allocation/);

  for (const manifest of [NFS, WINDOWS]) {
    const r = await server.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  }

  await until(async () => {
    const r = await server.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=nfs,reason=FailedMount', '-o', 'jsonpath={.items[*].message}']);
    return r.stdout.includes('MountVolume.SetUp failed for volume "share" : no volume plugin matched: kubeling does not mount nfs volumes');
  }, 'a FailedMount event for the nfs volume');
  const nfs = await server.kubectl(['get', 'pod', 'nfs', '-o', 'jsonpath={.status.phase} {.status.containerStatuses[0].state.waiting.reason}']);
  assert.equal(nfs.stdout, 'Pending ContainerCreating');

  const windows = await until(async () => {
    const r = await server.kubectl(['get', 'pod', 'windows', '-o', 'jsonpath={.status.phase}|{.status.reason}|{.status.message}']);
    return r.stdout.startsWith('Failed|') ? r.stdout : undefined;
  }, 'the Windows pod refused by the node');
  assert.equal(windows, "Failed|PodOSNotSupported|Pod was rejected: Failed to admit pod as the OS field doesn't match node OS");
});
