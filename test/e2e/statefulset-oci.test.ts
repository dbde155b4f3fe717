/**
 * StatefulSets that keep their data, on real containers (`kubeling server --runtime oci`, busybox): a set of 3
 * with a volumeClaimTemplate and no storage class starts web-0, web-1 and web-2 in order (each created only
 * after the one before is Ready, seen through a watch), each with its own claim that the default class
 * `local-path` provisions on the node (a Bound PersistentVolume whose directory is under DIR/storage). A file
 * written into web-1's volume is read back by the web-1 that replaces it after `kubectl delete pod web-1`.
 * `kubectl delete sts` with whenDeleted Delete takes the pods, then the claims, their volumes and directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../src/api/index.ts';
import { Client, Informer } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { apply, ociServerForFile, ready } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };

const MANIFEST = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: web}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 16Mi}}
`;

test('a StatefulSet of 3 on local-path volumes: ordered start, data survives a pod\'s deletion, delete sts removes claims, volumes and directories', skip, async () => {
  const client = await Client.fromKubeconfig(server.kubeconfig);
  const seen: string[] = [];
  const readySeen = new Set<string>();
  const pods = new Informer<Pod>(client.resource<Pod>('pods', 'default'));
  pods.onAdd((p) => {
    if (p.metadata?.labels?.app === 'web') seen.push(`created ${p.metadata.name}`);
  }).onUpdate((_o, p) => {
    const key = `${p.metadata!.name}/${p.metadata!.uid}`;
    if (p.metadata?.labels?.app === 'web' && ready(p as never) && !readySeen.has(key)) {
      readySeen.add(key);
      seen.push(`ready ${p.metadata!.name}`);
    }
  });
  const ac = new AbortController();
  const watching = pods.run(ac.signal);
  try {
    await apply(server, MANIFEST);
    await until(async () => readySeen.size === 3, 'web-0, web-1 and web-2 Ready', 180_000);
    assert.deepEqual(seen, ['created web-0', 'ready web-0', 'created web-1', 'ready web-1', 'created web-2', 'ready web-2']);

    // Each pod has its own Bound claim on a local-path volume whose directory is on this node.
    const claims = client.resource<PersistentVolumeClaim>('persistentvolumeclaims', 'default');
    const volumes = client.resource<PersistentVolume>('persistentvolumes');
    const dirs: string[] = [];
    for (const i of [0, 1, 2]) {
      const c = await claims.get(`data-web-${i}`);
      assert.equal(c.status?.phase, 'Bound');
      assert.equal(c.spec?.storageClassName, 'local-path');
      assert.equal(c.spec?.volumeName, `pvc-${c.metadata!.uid}`);
      const pv = await volumes.get(c.spec!.volumeName!);
      assert.equal(pv.status?.phase, 'Bound');
      assert.equal(pv.spec?.hostPath?.path, join(server.dataDir, 'storage', `pvc-${c.metadata!.uid}_default_data-web-${i}`));
      assert.ok(existsSync(pv.spec!.hostPath!.path));
      dirs.push(pv.spec!.hostPath!.path);
    }
    const got = await server.kubectl(['get', 'pvc', 'data-web-1', '--no-headers']);
    assert.match(got.stdout, /^data-web-1\s+Bound\s+pvc-\S+\s+16Mi\s+RWO\s+local-path\s/);

    // Data written by web-1 is on its volume, and the web-1 that replaces it reads it back.
    const wrote = await server.kubectl(['exec', 'web-1', '--', 'sh', '-c', 'echo kept-by-web-1 > /data/note']);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(readFileSync(join(dirs[1]!, 'note'), 'utf8'), 'kept-by-web-1\n');
    const oldUid = pods.get('default/web-1')!.metadata!.uid;
    const deleted = await server.kubectl(['delete', 'pod', 'web-1']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await until(async () => {
      const p = pods.get('default/web-1');
      return p && p.metadata?.uid !== oldUid && ready(p as never);
    }, 'a new web-1 Ready', 120_000);
    const read = await server.kubectl(['exec', 'web-1', '--', 'cat', '/data/note']);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'kept-by-web-1\n');

    // whenDeleted Delete: the claims go with the set (after its pods), their volumes and directories with them.
    const gone = await server.kubectl(['delete', 'sts', 'web']);
    assert.equal(gone.code, 0, gone.stderr);
    await until(async () => pods.list().filter((p) => p.metadata?.labels?.app === 'web').length === 0, 'the pods gone', 120_000);
    await until(async () => (await claims.list()).items.length === 0, 'the claims gone', 60_000);
    await until(async () => (await volumes.list()).items.length === 0, 'the volumes gone', 60_000);
    assert.deepEqual(dirs.filter((d) => existsSync(d)), [], 'the directories removed');
  } finally {
    ac.abort();
    await watching;
    client.close();
  }
});
