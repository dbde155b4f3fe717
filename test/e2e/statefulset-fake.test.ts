/**
 * StatefulSets in `kubeling server` (fake runtime, local node), driven by the real kubectl: a set of 3 makes
 * web-0, web-1 and web-2 each only after the one before is Ready (the order of pod creations and Ready
 * transitions seen through a watch), `kubectl get sts` reads 3/3, and `kubectl delete sts` takes the pods.
 * Claims from volumeClaimTemplates: one per pod, named <template>-<set>-<ordinal>; whenDeleted Delete removes
 * them with the set, Retain keeps them. Each claim gets the default class `local-path` and binds to a volume
 * its provisioner made on the pod's node; a deleted claim's volume goes too (reclaim policy Delete).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../src/api/index.ts';
import { Client, Informer } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { nodeName } from './pod-helpers.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

const set = (name: string, extra: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  serviceName: ${name}
  replicas: 3
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "sleep 3600"]
${extra}`;

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

test('OrderedReady: web-0, web-1, web-2 each after the one before is Ready; delete sts takes the pods', async () => {
  const seen: string[] = [];
  const informer = new Informer<Pod>(client.resource<Pod>('pods', 'default'));
  const ready = new Set<string>();
  informer.onAdd((p) => {
    if (p.metadata?.labels?.app === 'web') seen.push(`created ${p.metadata.name}`);
  }).onUpdate((_o, p) => {
    const name = p.metadata!.name!;
    if (p.metadata?.labels?.app === 'web' && isReady(p) && !ready.has(name)) {
      ready.add(name);
      seen.push(`ready ${name}`);
    }
  });
  const ac = new AbortController();
  const watching = informer.run(ac.signal);
  try {
    const applied = await server.kubectl(['apply', '-f', '-'], { input: set('web', '') });
    assert.equal(applied.code, 0, applied.stderr);
    await until(async () => ready.size === 3, 'three ready pods');
    assert.deepEqual(seen, ['created web-0', 'ready web-0', 'created web-1', 'ready web-1', 'created web-2', 'ready web-2']);
    const pod = informer.get('default/web-1')!;
    assert.equal(pod.spec?.hostname, 'web-1');
    assert.equal(pod.spec?.subdomain, 'web');
    assert.equal(pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
    const got = await until(async () => {
      const r = await server.kubectl(['get', 'sts', 'web']);
      return /^web\s+3\/3\s+\S+$/m.test(r.stdout) ? r.stdout : undefined;
    }, 'kubectl get sts: 3/3');
    assert.match(got, /^NAME\s+READY\s+AGE$/m);
    const deleted = await server.kubectl(['delete', 'sts', 'web']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await until(async () => (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=web' })).items.length === 0, 'the pods to go with the set');
  } finally {
    ac.abort();
    await watching;
  }
});

test('volumeClaimTemplates: one claim per pod; kubectl delete sts removes them with whenDeleted Delete, keeps them with Retain', async () => {
  const claims = (extra: string) => `  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: ${extra}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;
  for (const [name, policy] of [['gone', 'Delete'], ['kept', 'Retain']] as const) {
    const applied = await server.kubectl(['apply', '-f', '-'], { input: set(name, claims(policy)) });
    assert.equal(applied.code, 0, applied.stderr);
  }
  const pvcs = client.resource<PersistentVolumeClaim>('persistentvolumeclaims', 'default');
  const names = async () => (await pvcs.list()).items.map((c) => c.metadata!.name!).sort();
  await until(async () => (await names()).length === 6, 'six claims');
  assert.deepEqual(await names(), ['data-gone-0', 'data-gone-1', 'data-gone-2', 'data-kept-0', 'data-kept-1', 'data-kept-2']);
  // The default class (local-path) provisions each claim on the pod's node once the pod is scheduled.
  const got = await until(async () => {
    const r = await server.kubectl(['get', 'pvc', 'data-kept-0']);
    return /\sBound\s/.test(r.stdout) ? r.stdout : undefined;
  }, 'data-kept-0 Bound');
  assert.match(got, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/m);
  assert.match(got, /^data-kept-0\s+Bound\s+pvc-[0-9a-f-]{36}\s+1Gi\s+RWO\s+local-path\s+<unset>\s+\S+$/m);
  const volumes = client.resource<PersistentVolume>('persistentvolumes');
  const volumeClaims = async () => (await volumes.list()).items.map((v) => v.spec?.claimRef?.name).sort();
  await until(async () => (await volumeClaims()).length === 6, 'six volumes');
  for (const name of ['gone', 'kept']) {
    const deleted = await server.kubectl(['delete', 'sts', name]);
    assert.equal(deleted.code, 0, deleted.stderr);
  }
  await until(async () => (await names()).length === 3, 'the Delete set\'s claims to go');
  assert.deepEqual(await names(), ['data-kept-0', 'data-kept-1', 'data-kept-2']);
  // Reclaim policy Delete (the class's): the gone claims' volumes go with them; the kept claims keep theirs.
  await until(async () => (await volumeClaims()).length === 3, 'the Delete set\'s volumes to go');
  assert.deepEqual(await volumeClaims(), ['data-kept-0', 'data-kept-1', 'data-kept-2']);
});

test('ControllerRevisions: kubectl set image rolls the set, rollout history lists both revisions, rollout undo brings the first template back', async () => {
  const applied = await server.kubectl(['apply', '-f', '-'], { input: set('hist', '') });
  assert.equal(applied.code, 0, applied.stderr);
  const status = await server.kubectl(['rollout', 'status', 'sts/hist', '--timeout=120s'], { timeoutMs: 130_000 });
  assert.equal(status.code, 0, status.stderr);
  const changed = await server.kubectl(['set', 'image', 'sts/hist', 'c=busybox:1.36']);
  assert.equal(changed.code, 0, changed.stderr);
  const rolled = await server.kubectl(['rollout', 'status', 'sts/hist', '--timeout=120s'], { timeoutMs: 130_000 });
  assert.equal(rolled.code, 0, rolled.stderr);
  const images = async () => (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=hist' })).items.map((p) => p.spec!.containers[0]!.image).sort();
  await until(async () => (await images()).every((i) => i === 'busybox:1.36'), 'every pod on the new image');
  const history = await server.kubectl(['rollout', 'history', 'sts/hist']);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^REVISION\s+CHANGE-CAUSE$/m);
  assert.match(history.stdout, /^1\s+<none>$/m);
  assert.match(history.stdout, /^2\s+<none>$/m);
  const undone = await server.kubectl(['rollout', 'undo', 'sts/hist']);
  assert.equal(undone.code, 0, undone.stderr);
  assert.match(undone.stdout, /statefulset.apps\/hist rolled back/);
  await until(async () => (await images()).length === 3 && (await images()).every((i) => i === 'busybox:1.35'), 'every pod back on the first image', 120_000);
  const after = await server.kubectl(['rollout', 'history', 'sts/hist']);
  assert.match(after.stdout, /^2\s+<none>$/m);
  assert.match(after.stdout, /^3\s+<none>$/m);
  assert.doesNotMatch(after.stdout, /^1\s/m);
  const deleted = await server.kubectl(['delete', 'sts', 'hist']);
  assert.equal(deleted.code, 0, deleted.stderr);
});

test('a pod whose claim does not exist stays Pending with upstream\'s message, and runs once the claim is made', async () => {
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: needs-claim}
spec:
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: later}
`;
  const applied = await server.kubectl(['apply', '-f', '-'], { input: pod });
  assert.equal(applied.code, 0, applied.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  const message = await until(async () => (await pods.get('needs-claim')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message, 'PodScheduled=False');
  assert.match(message, /^0\/1 nodes are available: persistentvolumeclaim "later" not found\./);
  const claim = await server.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: later}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
` });
  assert.equal(claim.code, 0, claim.stderr);
  await until(async () => (await pods.get('needs-claim')).status?.phase === 'Running', 'the pod Running on its provisioned claim');
  const bound = await client.resource<PersistentVolumeClaim>('persistentvolumeclaims', 'default').get('later');
  assert.equal(bound.status?.phase, 'Bound');
  assert.equal(bound.metadata?.annotations?.['volume.kubernetes.io/selected-node'], (await pods.get('needs-claim')).spec?.nodeName);
  const deleted = await server.kubectl(['delete', 'pod/needs-claim', 'pvc/later']);
  assert.equal(deleted.code, 0, deleted.stderr);
});

test('a class without a provisioner: the scheduler binds the claim to a local volume on the node it picks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-local-pv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const node = await nodeName(server);
  const applied = await server.kubectl(['apply', '-f', '-'], { input: `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: manual}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-1}
spec:
  storageClassName: manual
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  local: {path: ${dir}}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${node}]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-static}
spec:
  containers:
  - name: c
    image: busybox:1.35
    command: ["sh", "-c", "sleep 3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: static}
` });
  assert.equal(applied.code, 0, applied.stderr);
  const pods = client.resource<Pod>('pods', 'default');
  await until(async () => (await pods.get('uses-static')).status?.phase === 'Running', 'the pod Running on the local volume');
  const claim = await client.resource<PersistentVolumeClaim>('persistentvolumeclaims', 'default').get('static');
  assert.equal(claim.status?.phase, 'Bound');
  assert.equal(claim.spec?.volumeName, 'local-1');
  const deleted = await server.kubectl(['delete', 'pod/uses-static', 'pvc/static', 'pv/local-1', 'sc/manual']);
  assert.equal(deleted.code, 0, deleted.stderr);
});
