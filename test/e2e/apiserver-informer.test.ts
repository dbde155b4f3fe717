/**
 * The official @kubernetes/client-node informer (list + watch) against `kubeling server`: it sees every
 * change to ConfigMaps in order, and keeps seeing them after the server stops and starts again on the same
 * data dir and port (the informer re-watches from its last resourceVersion, or lists again on 410).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

let dataDir: string;
let server: ServerHandle | undefined;

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kubeling-informer-'));
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  await untilWith(cond, what, { timeoutMs, intervalMs: 50, retryErrors: false });
}

test('a client-node informer sees every change in order, also across a server restart', async () => {
  server = await startServer({ storage: 'sqlite', noAgent: true, dataDir });
  const port = server.port;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = 'default';
  const seen: string[] = [];
  let probeSeen = false;
  const record = (type: string) => (cm: k8s.V1ConfigMap) => {
    if (cm.metadata?.name === 'kube-root-ca.crt') return;
    if (cm.metadata?.name === 'probe') {
      probeSeen = true;
      return;
    }
    seen.push(`${type} ${cm.metadata?.name} v=${cm.data?.v ?? ''}`);
  };
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }));
  informer.on('add', record('add'));
  informer.on('update', record('update'));
  informer.on('delete', record('delete'));
  let stopped = false;
  let errors = 0;
  // What every client-node user does: restart the informer after an error (here: the server was down).
  informer.on('error', () => {
    errors++;
    if (!stopped) setTimeout(() => void informer.start().catch(() => {}), 300);
  });
  await informer.start();
  try {
    const cm = (name: string, v: string): k8s.V1ConfigMap => ({ metadata: { name }, data: { v } });
    await core.createNamespacedConfigMap({ namespace, body: cm('a', '1') });
    const a = await core.readNamespacedConfigMap({ name: 'a', namespace });
    await core.replaceNamespacedConfigMap({ name: 'a', namespace, body: { ...a, data: { v: '2' } } });
    await core.createNamespacedConfigMap({ namespace, body: cm('b', '1') });
    await core.deleteNamespacedConfigMap({ name: 'a', namespace });
    const before = ['add a v=1', 'update a v=2', 'add b v=1', 'delete a v=2'];
    await until('the first four events', () => seen.length >= before.length);
    assert.deepEqual(seen, before);

    // Restart on the same data dir and port; the informer reconnects by itself.
    assert.equal(await server.stop(), 0);
    server = await startServer({ storage: 'sqlite', noAgent: true, dataDir, port });
    await until('the informer to notice the restart', () => errors > 0);
    // Then until it follows the new server: its first watch may resume from its last resourceVersion or, when
    // the new server's cache starts past it (anything written since, as upstream's cache does too), get 410
    // and list again; writes made before that list would reach it as the list's state, not as events.
    await core.createNamespacedConfigMap({ namespace, body: cm('probe', '1') });
    await until('the informer to follow the new server', () => probeSeen);
    const b = await core.readNamespacedConfigMap({ name: 'b', namespace });
    assert.equal(b.data?.v, '1', 'b survived the restart');
    await core.replaceNamespacedConfigMap({ name: 'b', namespace, body: { ...b, data: { v: '2' } } });
    await core.createNamespacedConfigMap({ namespace, body: cm('c', '1') });
    await core.deleteNamespacedConfigMap({ name: 'b', namespace });
    const afterRestart = [...before, 'update b v=2', 'add c v=1', 'delete b v=2'];
    await until('the events after the restart', () => seen.length >= afterRestart.length);
    assert.deepEqual(seen, afterRestart);
    // The informer's cache agrees with the server.
    const names = informer.list(namespace).map((o) => o.metadata?.name).sort();
    assert.deepEqual(names, ['c', 'kube-root-ca.crt', 'probe']);
  } finally {
    stopped = true;
    await informer.stop();
  }
});
