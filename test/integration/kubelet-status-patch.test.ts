/**
 * The kubelet's pods/status writes against the real (in-process) API server: the strategic merge patch the
 * status manager computes (podStatusPatch) lands as intended, keeps what another writer put there after the
 * kubelet's read, and carries the pod's uid as a precondition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.ts';
import { Client } from '../../src/client/index.ts';
import { podStatusPatch } from '../../src/kubelet/index.ts';

let api: TestServer;
let client: Client;

test.before(async () => {
  api = await startTestServer();
  client = new Client({ server: api.url, token: api.token, caData: api.caPem });
});
test.after(async () => {
  await api?.stop();
});

const podManifest = (name: string): IPod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    serviceAccountName: 'default',
    automountServiceAccountToken: false,
    containers: [{ name: 'c', image: 'busybox:1.35' }],
  },
});

test('a status patch from the kubelet keeps what another writer set after the kubelet read the pod', async () => {
  const pods = client.resource<IPod>('pods', 'default');
  const created = await pods.create(podManifest('patched'));
  const read = await pods.get('patched');
  // Another writer (a controller) adds a condition after the kubelet's GET.
  await pods.patchStatus(
    'patched',
    { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'Test' }] } },
    'strategic',
  );
  const ours: NonNullable<IPod['status']> = {
    ...read.status,
    phase: 'Running',
    podIP: '10.42.0.9',
    podIPs: [{ ip: '10.42.0.9' }],
    conditions: [...(read.status?.conditions ?? []), { type: 'Ready', status: 'True' }],
  };
  const after = await pods.patchStatus(
    'patched',
    podStatusPatch(created.metadata!.uid!, read.status, ours),
    'strategic',
  );
  assert.equal(after.status?.phase, 'Running');
  assert.deepEqual(after.status?.podIPs, [{ ip: '10.42.0.9' }]);
  assert.deepEqual(
    after.status?.conditions?.map((c) => c.type).sort(),
    [...(read.status?.conditions ?? []).map((c) => c.type), 'DisruptionTarget', 'Ready'].sort(),
  );
  assert.equal(after.metadata?.uid, created.metadata?.uid);
});

test('a status patch with another uid is refused (uid is immutable: 422), not applied to the pod of that name', async () => {
  const pods = client.resource<IPod>('pods', 'default');
  await pods.create(podManifest('replaced'));
  const stale = podStatusPatch('uid-of-a-deleted-pod', {}, { phase: 'Failed' });
  await assert.rejects(pods.patchStatus('replaced', stale, 'strategic'), (err: { code?: number; reason?: string; message?: string }) => {
    assert.equal(err.code, 422);
    assert.equal(err.reason, 'Invalid');
    assert.match(err.message ?? '', /metadata\.uid: Invalid value: "uid-of-a-deleted-pod": field is immutable/);
    return true;
  });
  assert.notEqual((await pods.get('replaced')).status?.phase, 'Failed');
});
