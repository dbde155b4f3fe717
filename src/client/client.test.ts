import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod } from '../api/index.ts';
import { Client, isAlreadyExists, isConflict, isGone, isNotFound, ApiError, type WatchEvent } from './index.ts';
import { FakeApiServer } from './testing/fake-apiserver.ts';
import { fakeApiServerForFile } from './testing/fake-api-for-file.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const pod = (name: string, extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...extra,
});

test('create, get, list (with kind filled in), update and its conflict, delete', async () => {
  const pods = client.resource<Pod>('pods', 'default');
  const created = await pods.create(pod('a'));
  assert.equal(created.metadata?.namespace, 'default');
  const req = server.requests.at(-1)!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/api/v1/namespaces/default/pods');
  assert.equal(req.headers.authorization, `Bearer ${server.token}`);
  assert.match(String(req.headers['content-type']), /application\/json/);

  const got = await pods.get('a');
  assert.equal(got.metadata?.uid, created.metadata?.uid);

  const list = await pods.list({ labelSelector: 'app=web' });
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0]!.kind, 'Pod');
  assert.equal(list.items[0]!.apiVersion, 'v1');
  assert.equal(server.requests.at(-1)!.query.get('labelSelector'), 'app=web');
  assert.ok(list.metadata.resourceVersion);

  const updated = await pods.update({ ...got, metadata: { ...got.metadata, labels: { app: 'db' } } });
  assert.deepEqual(updated.metadata?.labels, { app: 'db' });
  await assert.rejects(pods.update(got), (err) => isConflict(err) && (err as ApiError).code === 409);

  const deleted = await pods.delete('a', { gracePeriodSeconds: 0, preconditions: { uid: created.metadata!.uid! }, propagationPolicy: 'Background' });
  assert.equal((deleted as Pod).metadata?.name, 'a');
  assert.deepEqual(server.requests.at(-1)!.body, {
    kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: created.metadata!.uid }, propagationPolicy: 'Background',
  });
  await assert.rejects(pods.get('a'), (err) => isNotFound(err) && (err as ApiError).reason === 'NotFound' && /pods "a" not found/.test((err as Error).message));
});

test('create of an existing object is AlreadyExists; errors keep the Status', async () => {
  const pods = client.resource<Pod>('pods', 'default');
  await pods.create(pod('dup'));
  const err = await pods.create(pod('dup')).catch((e: unknown) => e);
  assert.ok(err instanceof ApiError);
  assert.ok(isAlreadyExists(err));
  assert.equal(err.status.kind, 'Status');
  assert.equal(err.code, 409);
  await pods.delete('dup');
});

test('patch types send their content types; apply needs a fieldManager; status and binding subresources', async () => {
  const pods = client.resource<Pod>('pods', 'default');
  await pods.create(pod('p'));
  const cases = [
    ['merge', 'application/merge-patch+json'],
    ['strategic', 'application/strategic-merge-patch+json'],
    ['json', 'application/json-patch+json'],
  ] as const;
  for (const [type, contentType] of cases) {
    if (type !== 'json') await pods.patch('p', { metadata: { labels: { patched: type } } }, type);
    else {
      // The fake does not implement JSON patch; check only what the client sent.
      await pods.patch('p', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], 'json').catch(() => {});
    }
    const req = server.requests.at(-1)!;
    assert.equal(req.method, 'PATCH');
    assert.equal(req.headers['content-type'], contentType);
  }
  await assert.rejects(pods.patch('p', {}, 'apply'), /fieldManager/);
  await pods.patch('p', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 'apply', { fieldManager: 'me', force: true }).catch(() => {});
  const apply = server.requests.at(-1)!;
  assert.equal(apply.headers['content-type'], 'application/apply-patch+yaml');
  assert.equal(apply.query.get('fieldManager'), 'me');
  assert.equal(apply.query.get('force'), 'true');

  const withStatus = await pods.patchStatus('p', { status: { phase: 'Running' } });
  assert.equal(withStatus.status?.phase, 'Running');
  assert.equal(server.requests.at(-1)!.path, '/api/v1/namespaces/default/pods/p/status');

  await pods.subresource('binding').create('p', {
    apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
  });
  assert.equal(server.requests.at(-1)!.path, '/api/v1/namespaces/default/pods/p/binding');
  assert.equal((await pods.get('p')).spec?.nodeName, 'n1');
  await pods.delete('p');
});

test('cluster-scoped resources and all-namespace lists use the right paths; bad names fail clearly', async () => {
  await client.resource('nodes').list();
  assert.equal(server.requests.at(-1)!.path, '/api/v1/nodes');
  await client.resource('pods').list();
  assert.equal(server.requests.at(-1)!.path, '/api/v1/pods');
  assert.equal(client.resource('deployments').path('x', undefined, 'ns1'), '/apis/apps/v1/namespaces/ns1/deployments/x');
  assert.throws(() => client.resource('widgets'), /doesn't have a resource type "widgets"/);
  assert.throws(() => client.resource('pods').path('x'), /namespace is required/);
});

test('TLS: the CA is checked; insecureSkipTlsVerify skips it; a wrong token is Unauthorized', async () => {
  const noCa = new Client({ server: server.url, token: server.token });
  await assert.rejects(noCa.resource('nodes').list(), /self-signed|certificate/i);
  noCa.close();
  const insecure = new Client({ server: server.url, token: server.token, insecureSkipTlsVerify: true });
  await insecure.resource('nodes').list();
  insecure.close();
  const wrong = new Client({ server: server.url, token: 'nope', caData: server.ca });
  await assert.rejects(wrong.resource('nodes').list(), (err) => err instanceof ApiError && err.code === 401 && err.reason === 'Unauthorized');
  wrong.close();
});

test('fromKubeconfig reads server, CA data, token and namespace of the current context', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeling-kubeconfig-'));
  try {
    const file = path.join(dir, 'kubeconfig.yaml');
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: kubeling',
      'clusters:', '- name: kubeling', '  cluster:', `    server: ${server.url}`,
      `    certificate-authority-data: ${Buffer.from(server.ca).toString('base64')}`,
      'users:', '- name: admin', '  user:', `    token: ${server.token}`,
      'contexts:', '- name: kubeling', '  context:', '    cluster: kubeling', '    user: admin', '    namespace: team',
    ].join('\n'));
    const fromFile = await Client.fromKubeconfig(file);
    assert.equal(fromFile.defaultNamespace, 'team');
    await fromFile.resource('nodes').list();
    fromFile.close();
    await assert.rejects(Client.fromKubeconfig(file, { context: 'other' }), /context "other" not found/);
    await assert.rejects(Client.fromKubeconfig(path.join(dir, 'missing.yaml')), /kubeconfig .*missing\.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch streams events from a resourceVersion and ends when the signal aborts', async () => {
  const pods = client.resource<Pod>('pods', 'w');
  const start = await pods.list();
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const ev of pods.watch({ resourceVersion: start.metadata.resourceVersion }, ac.signal)) {
      seen.push(`${ev.type} ${ev.object.metadata?.name}`);
      if (seen.length === 3) ac.abort();
    }
  })();
  await pods.create(pod('w1'));
  await pods.patch('w1', { metadata: { labels: { x: '1' } } });
  await pods.delete('w1');
  await done;
  assert.deepEqual(seen, ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
  const req = server.requests.find((r) => r.query.get('watch') === 'true')!;
  assert.equal(req.query.get('resourceVersion'), start.metadata.resourceVersion);
});

test('watch ends when the server closes the stream', async () => {
  const events: WatchEvent<Pod>[] = [];
  const done = (async () => {
    for await (const ev of client.resource<Pod>('pods', 'closing').watch({ resourceVersion: String(server.resourceVersion) })) events.push(ev);
  })();
  while (server.watcherCount('pods', 'closing') === 0) await new Promise((r) => setTimeout(r, 5));
  server.closeWatches();
  await done;
  assert.deepEqual(events, []);
});

test('watch from a compacted resourceVersion throws a Gone ApiError', async () => {
  const rv = String(server.resourceVersion);
  await client.resource<Pod>('pods', 'default').create(pod('bump'));
  server.compact();
  const iterate = async () => {
    for await (const _ of client.resource<Pod>('pods', 'default').watch({ resourceVersion: rv })) void _;
  };
  await assert.rejects(iterate(), (err) => isGone(err) && (err as ApiError).code === 410);
  await client.resource<Pod>('pods', 'default').delete('bump');
});

test('text and streamed subresources: pods/log', async () => {
  const pods = client.resource<Pod>('pods', 'logs');
  await pods.create(pod('talker'));
  server.logs.set('logs/talker/c', 'line 1\nline 2\n');
  assert.equal(await pods.subresource('log').getText('talker', { query: { container: 'c' } }), 'line 1\nline 2\n');
  assert.equal(server.requests.at(-1)!.query.get('container'), 'c');
  const res = await pods.subresource('log').stream('talker', { query: { container: 'c', follow: true } });
  let text = '';
  for await (const chunk of res) text += String(chunk);
  assert.equal(text, 'line 1\nline 2\n');
  assert.equal(server.requests.at(-1)!.query.get('follow'), 'true');
  await assert.rejects(pods.subresource('log').getText('nobody'), (err) => isNotFound(err));
});

test('fake API: status patches apply strategically, keep identity, refuse a foreign uid, reject non-objects', async () => {
  const server = await new FakeApiServer().start();
  try {
    const client = new Client({ server: server.url, token: server.token, caData: server.ca });
    const pods = client.resource<{ metadata: { uid?: string; name?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }>('pods', 'fk');
    const created = await pods.create({ metadata: { name: 'p' }, status: { conditions: [{ type: 'PodScheduled', status: 'True' }] } } as never);
    const uid = created.metadata.uid!;
    // No metadata at all (a plain status patch) used to answer 500.
    assert.equal((await pods.patchStatus('p', { status: { phase: 'Running' } }, 'strategic')).status?.phase, 'Running');
    assert.equal((await pods.patchStatus('p', { metadata: null, status: { phase: 'Pending' } })).metadata.uid, uid);
    const merged = await pods.patchStatus('p', { metadata: { uid }, status: { '$setElementOrder/conditions': [{ type: 'PodScheduled' }, { type: 'Ready' }], conditions: [{ type: 'Ready', status: 'True' }] } }, 'strategic');
    assert.deepEqual(merged.status?.conditions, [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }]);
    await assert.rejects(pods.patchStatus('p', { metadata: { uid: 'other' }, status: { phase: 'Failed' } }, 'strategic'), (err: ApiError) => err.code === 422 && /metadata\.uid: Invalid value: "other": field is immutable/.test(err.message));
    await assert.rejects(pods.patchStatus('p', null), (err: ApiError) => err.code === 400);
    assert.equal((await pods.get('p')).metadata.uid, uid);
  } finally {
    await server.stop();
  }
});
