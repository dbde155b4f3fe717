/**
 * The pod tier once on etcd: every test of pod-real.test.ts (the seeds' two-containers pod, volumes, init
 * containers, probes, hooks, sidecars, restart policies, logs, exec, attach, host network, graceful delete,
 * static pods) again, on a `kubeling server --runtime oci --storage etcd://` whose etcd (Debian's
 * etcd-server on loopback, test/fixtures/etcd.ts) is started for this file and stopped after it.
 *
 * It sets KUBELING_E2E_STORAGE=etcd, which ociServerForFile (pod-helpers.ts) reads when its hooks run, then
 * imports pod-real.test.ts: node:test registers the imported file's tests and hooks under this file, and
 * `node --test` runs each file in a process of its own, so the variable reaches only this run. A last test
 * checks that the server really kept its objects in that etcd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { missingEtcd, missingRealContainers } from '../prerequisites.ts';
import { E2E_STORAGE_ENV, etcdOfFile } from './pod-helpers.ts';

const why = missingRealContainers() ?? missingEtcd();
if (why) {
  test('pod-real.test.ts on --storage etcd://', { skip: why }, () => {});
} else {
  process.env[E2E_STORAGE_ENV] = 'etcd';
  await import('./pod-real.test.ts');

  test('the server of these tests kept its objects in the etcd started for this file', async (t) => {
    const etcd = etcdOfFile();
    assert.ok(etcd, 'ociServerForFile started an etcd');
    const store = new EtcdStore({ endpoints: [etcd.url] });
    t.after(() => store.close());
    assert.ok(await store.get('/registry/namespaces/default'), 'the default namespace is in etcd');
    const nodes = await store.list('/registry/nodes/');
    assert.ok(nodes.kvs.length >= 1, 'the node is in etcd');
  });
}
