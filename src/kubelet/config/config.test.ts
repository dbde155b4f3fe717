import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { PodConfig, type PodConfigUpdate } from './pod-config.ts';
import { FileSource, parseManifest, staticPodFromManifest } from './static-pods.ts';
import { MirrorPodClient } from './mirror-pods.ts';
import { poll } from '../../machinery/testing/poll.ts';

function pod(uid: string, over: Partial<NonNullable<IPod['metadata']>> = {}, image = 'busybox:1.35'): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${uid}`, namespace: 'default', uid, ...over },
    spec: { containers: [{ name: 'c', image }] },
  };
}

test('PodConfig turns snapshots and single changes into ADD/UPDATE/DELETE/REMOVE', () => {
  const config = new PodConfig();
  const seen: string[] = [];
  config.subscribe((u: PodConfigUpdate) => seen.push(`${u.op} ${u.source} ${u.pod.metadata!.uid}`));
  config.setPods('file', [pod('a'), pod('b')]);
  config.setPods('file', [pod('a'), pod('b', {}, 'busybox:1.36')]);
  config.setPods('file', [pod('b', {}, 'busybox:1.36')]);
  config.addOrUpdate('api', pod('x'));
  config.addOrUpdate('api', { ...pod('x'), status: { phase: 'Running' } }); // status only: nothing
  config.addOrUpdate('api', pod('x', { resourceVersion: '9' })); // bookkeeping only: nothing
  config.addOrUpdate('api', pod('x', { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 }));
  config.remove('api', pod('x'));
  assert.deepEqual(seen, [
    'ADD file a',
    'ADD file b',
    'UPDATE file b',
    'REMOVE file a',
    'ADD api x',
    'DELETE api x',
    'REMOVE api x',
  ]);
  assert.deepEqual(
    config.pods().map((p) => p.metadata!.uid),
    ['b'],
  );
});

test('static pod defaulting: uid from node, path and content; name suffix; annotations; toleration', () => {
  const [raw] = parseManifest(
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n',
  );
  const a = staticPodFromManifest(raw!, '/etc/m/web.yaml', 'Node-1', '2026-01-01T00:00:00.000000000Z');
  assert.equal(a.metadata!.name, 'web-node-1');
  assert.equal(a.metadata!.namespace, 'default');
  assert.match(a.metadata!.uid!, /^[0-9a-f]{32}$/);
  assert.equal(a.metadata!.annotations!['kubernetes.io/config.hash'], a.metadata!.uid);
  assert.equal(a.metadata!.annotations!['kubernetes.io/config.source'], 'file');
  assert.equal(a.spec!.nodeName, 'Node-1');
  assert.deepEqual(a.spec!.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
  assert.equal(a.spec!.restartPolicy, 'Always', 'API defaults applied');
  assert.equal(a.status!.phase, 'Pending');
  assert.equal(staticPodFromManifest(raw!, '/etc/m/web.yaml', 'Node-1', 'x').metadata!.uid, a.metadata!.uid, 'stable');
  assert.notEqual(staticPodFromManifest(raw!, '/etc/m/other.yaml', 'Node-1', 'x').metadata!.uid, a.metadata!.uid);
  assert.notEqual(staticPodFromManifest(raw!, '/etc/m/web.yaml', 'node-2', 'x').metadata!.uid, a.metadata!.uid);
  assert.throws(() => parseManifest('kind: Service\n'), /must be a Pod or PodList/);
  assert.equal(
    parseManifest(
      '{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"a"}},{"kind":"Pod","metadata":{"name":"b"}}]}',
    ).length,
    2,
  );
});

test('FileSource picks manifests up, changes and removes them while running', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'manifests-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const config = new PodConfig();
  const ops: string[] = [];
  config.subscribe((u) => ops.push(`${u.op} ${u.pod.metadata!.name}`));
  const errors: string[] = [];
  const source = new FileSource({
    dirs: [dir, path.join(dir, 'missing')],
    nodeName: 'n1',
    onPods: (p) => config.setPods('file', p),
    onError: (e) => errors.push(e.message),
    periodMs: 60_000,
  });
  const ac = new AbortController();
  const run = source.run(ac.signal);
  const waitFor = async (want: string) => {
    await poll(() => ops.includes(want), want, { intervalMs: 10, timeoutMs: 3000, detail: () => JSON.stringify(ops) });
  };
  const manifest = (image: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;
  await fs.writeFile(path.join(dir, 'web.yaml'), manifest('busybox:1.35'));
  await waitFor('ADD web-n1');
  const firstUid = config.pods()[0]!.metadata!.uid;
  await fs.writeFile(path.join(dir, '.hidden.yaml'), manifest('ignored'));
  await fs.writeFile(path.join(dir, 'broken.yaml'), 'kind: [');
  await fs.writeFile(path.join(dir, 'web.yaml'), manifest('busybox:1.36'));
  await waitFor('REMOVE web-n1');
  assert.equal(config.pods().length, 1);
  assert.notEqual(config.pods()[0]!.metadata!.uid, firstUid, 'an edit yields a new uid');
  assert.equal(config.pods()[0]!.spec!.containers[0]!.image, 'busybox:1.36');
  assert.equal(errors.length, 1, 'a broken file is reported once');
  await fs.rm(path.join(dir, 'web.yaml'));
  await poll(() => config.pods().length === 0, 'the removed file to remove its pod', { intervalMs: 10, timeoutMs: 3000 });
  ac.abort();
  await run;
});

test('mirror pods: created, recreated after deletion, replaced when stale, removed when orphaned', async (t) => {
  const api = await new FakeApiServer().start();
  t.after(() => api.stop());
  const client = new Client({ server: api.url, token: api.token, caData: api.ca });
  t.after(() => client.close());
  const mirrors = new MirrorPodClient({ client, nodeName: 'n1', nodeUid: () => 'node-uid' });
  const [raw] = parseManifest(
    'kind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n',
  );
  const sp = staticPodFromManifest(raw!, '/m/web.yaml', 'n1', 'now');
  const inApi = () => api.list('pods') as unknown as IPod[];

  assert.deepEqual(await mirrors.reconcile([sp], inApi()), { created: ['default/web-n1'], deleted: [] });
  const m = inApi()[0]!;
  assert.equal(m.metadata!.annotations!['kubernetes.io/config.mirror'], sp.metadata!.uid);
  assert.deepEqual(m.metadata!.labels, { app: 'web' });
  assert.deepEqual(m.metadata!.ownerReferences, [
    { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true },
  ]);
  assert.deepEqual(await mirrors.reconcile([sp], inApi()), { created: [], deleted: [] }, 'nothing to do');

  api.remove('pods', 'default', 'web-n1');
  assert.deepEqual(
    await mirrors.reconcile([sp], inApi()),
    { created: ['default/web-n1'], deleted: [] },
    'deleted mirror comes back',
  );

  const edited = staticPodFromManifest(
    { ...raw!, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    '/m/web.yaml',
    'n1',
    'now',
  );
  assert.deepEqual(await mirrors.reconcile([edited], inApi()), {
    created: ['default/web-n1'],
    deleted: ['default/web-n1'],
  });
  assert.equal(inApi()[0]!.metadata!.annotations!['kubernetes.io/config.mirror'], edited.metadata!.uid);

  assert.deepEqual(await mirrors.reconcile([], inApi()), { created: [], deleted: ['default/web-n1'] });
  assert.equal(inApi().length, 0);
});
