/**
 * The kubelet's pods/status writes against the real (in-process) API server: the strategic merge patch the
 * status manager computes (podStatusPatch) lands as intended, keeps what another writer put there after the
 * kubelet's read, carries the pod's uid as a precondition, and orders conditions as its `$setElementOrder`
 * says; once the server has the kubelet's status, the periodic pass sends nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { startTestServer, type TestServer } from '../../src/apiserver/testing.ts';
import { Client } from '../../src/client/index.ts';
import { podStatusPatch, StatusManager, type Pod, type PodStatusPatch } from '../../src/kubelet/index.ts';

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
  await assert.rejects(
    pods.patchStatus('replaced', stale, 'strategic'),
    (err: { code?: number; reason?: string; message?: string }) => {
      assert.equal(err.code, 422);
      assert.equal(err.reason, 'Invalid');
      assert.match(err.message ?? '', /metadata\.uid: Invalid value: "uid-of-a-deleted-pod": field is immutable/);
      return true;
    },
  );
  assert.notEqual((await pods.get('replaced')).status?.phase, 'Failed');
});

type Condition = NonNullable<NonNullable<IPod['status']>['conditions']>[number];
const types = (pod: IPod) => pod.status?.conditions?.map((c) => c.type);

test("the server orders conditions as a status patch's $setElementOrder says, and a GET reads that order back", async () => {
  const pods = client.resource<IPod>('pods', 'default');
  const uid = (await pods.create(podManifest('ordered'))).metadata!.uid!;
  const patch = async (status: Record<string, unknown>) => {
    const patched = await pods.patchStatus('ordered', { metadata: { uid }, status }, 'strategic');
    const read = await pods.get('ordered');
    assert.deepEqual(types(read), types(patched), 'a GET reads what the PATCH answered');
    return types(read);
  };
  const named = (...t: string[]) => t.map((type) => ({ type }));
  const cond = (type: string, status: string): Condition => ({ type, status });
  await patch({ conditions: [cond('PodScheduled', 'True'), cond('Ready', 'False')] });
  // A changed element, a new one, and another order for the element the patch leaves as it is.
  assert.deepEqual(
    await patch({
      '$setElementOrder/conditions': named('Ready', 'Initialized', 'PodScheduled'),
      conditions: [cond('Ready', 'True'), cond('Initialized', 'True')],
    }),
    ['Ready', 'Initialized', 'PodScheduled'],
  );
  // The directive alone reorders (upstream's CreateTwoWayMergePatch sends this when only the order differs).
  assert.deepEqual(await patch({ '$setElementOrder/conditions': named('PodScheduled', 'Initialized', 'Ready') }), [
    'PodScheduled',
    'Initialized',
    'Ready',
  ]);
  // A condition the directive does not name (another writer's, added after the kubelet read) keeps its place
  // relative to the named ones as upstream's mergeSortedSlice puts it: before a named element that came after
  // it on the server. Here DisruptionTarget is first, so it stays first; the named ones follow in order.
  await patch({
    '$setElementOrder/conditions': named('DisruptionTarget', 'PodScheduled', 'Initialized', 'Ready'),
    conditions: [cond('DisruptionTarget', 'True')],
  });
  assert.deepEqual(
    await patch({
      '$setElementOrder/conditions': named('Ready', 'PodScheduled'),
      conditions: [cond('Ready', 'False'), { $patch: 'delete', type: 'Initialized' }],
    }),
    ['DisruptionTarget', 'Ready', 'PodScheduled'],
  );
});

test("once the server has the kubelet's status, the periodic pass sends no patch (the server keeps the order, and zero times as null)", async () => {
  const pods = client.resource<IPod>('pods', 'default');
  await pods.create(podManifest('steady'));
  // The scheduler's binding writes PodScheduled first (with lastProbeTime: null, as upstream's does).
  await pods.subresource('binding').create('steady', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'steady' },
    target: { kind: 'Node', name: 'n1' },
  });
  const pod = await pods.get('steady');
  const sent: PodStatusPatch[] = [];
  const sm = new StatusManager({
    writer: {
      getPod: async (ns, name) => (await client.resource<IPod>('pods', ns).get(name)) as Pod,
      patchPodStatus: async (ns, name, patch) => {
        sent.push(patch);
        return (await client.resource<IPod>('pods', ns).patchStatus(name, patch, 'strategic')) as Pod;
      },
    },
  });
  // The kubelet's conditions in its own order (generate.ts), each with lastProbeTime: null as upstream's kubelet
  // serializes a zero time. A patch's null deletes the field; the server stores the zero time as null again.
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const c = (type: string): Condition => ({
    type,
    status: 'True',
    lastProbeTime: null as unknown as string,
    lastTransitionTime: at,
  });
  const scheduled = pod.status!.conditions!.find((x) => x.type === 'PodScheduled')!;
  const status: NonNullable<IPod['status']> = {
    phase: 'Running',
    conditions: [c('PodReadyToStartContainers'), c('Initialized'), c('Ready'), c('ContainersReady'), scheduled],
    // A container that never started, as generate.ts reports it: no startedAt, no message (undefined).
    containerStatuses: [{
      name: 'c', image: 'busybox:1.35', imageID: '', ready: false, restartCount: 0,
      state: { terminated: { exitCode: 128, reason: 'StartError', message: undefined, startedAt: undefined, finishedAt: at } },
    }],
  };
  sm.setPodStatus(pod as Pod, status);
  await sm.syncBatch(false);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.status?.['$setElementOrder/conditions'], order(status.conditions!));
  const written = await pods.get('steady');
  assert.deepEqual(types(written), [
    'PodReadyToStartContainers',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
  ]);
  // The server keeps the zero times as null, as upstream's does.
  assert.ok(written.status!.conditions!.every((x) => x.lastProbeTime === null));
  assert.equal(written.status!.containerStatuses![0]!.state!.terminated!.startedAt, null);
  // Periodic passes: a fresh GET each; null and absent are the same zero time, so nothing is sent.
  await sm.syncBatch(true);
  await sm.syncBatch(true);
  assert.deepEqual(sent.slice(1), [], 'no patch once the server has the status');
  assert.equal((await pods.get('steady')).metadata?.resourceVersion, written.metadata?.resourceVersion);
});

function order(conditions: Condition[]): { type: string }[] {
  return conditions.map((c) => ({ type: c.type }));
}
