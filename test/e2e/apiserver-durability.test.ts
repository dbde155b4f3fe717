/**
 * Durability: objects created through the API survive `kill -9` of the server. A restart on the same data dir
 * serves every object with its uid and resourceVersion, and the generated PKI and tokens are reused (the old
 * kubeconfig still works).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerHandle } from './helpers/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-durability-'));
let server: ServerHandle | undefined;
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('objects created through the API survive kill -9 and a restart', async () => {
  server = await startServer({ storage: 'sqlite', noAgent: true, dataDir });
  const manifest = join(dataDir, 'objects.yaml');
  const docs = [];
  for (let i = 0; i < 20; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  i: "${i}"\n`);
  docs.push('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n');
  docs.push('apiVersion: v1\nkind: Pod\nmetadata:\n  name: durable\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n');
  writeFileSync(manifest, docs.join('---\n'));
  const applied = await server.kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
  const snapshot = async (s: ServerHandle) => {
    const out = await s.kubectl(['get', 'configmaps,pods', '-n', 'default', '-o', 'json']);
    assert.equal(out.code, 0, out.stderr);
    return (JSON.parse(out.stdout).items as { kind: string; metadata: { name: string; uid: string; resourceVersion: string } }[])
      // kube-root-ca.crt is the server's own (made by a controller, maybe later than our snapshot).
      .filter((o) => o.metadata.name !== 'kube-root-ca.crt')
      .map((o) => `${o.kind}/${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion}`)
      .sort();
  };
  const before = await snapshot(server);
  assert.equal(before.length, 21); // 20 config maps + the pod
  const kubeconfigBefore = readFileSync(server.kubeconfig, 'utf8');

  await server.kill();
  server = await startServer({ storage: 'sqlite', noAgent: true, dataDir });
  assert.deepEqual(await snapshot(server), before);
  const ns = await server.kubectl(['get', 'namespace', 'team-a', '-o', 'jsonpath={.status.phase}']);
  assert.equal(ns.stdout, 'Active');
  // Same CA and token: only the port in the kubeconfig may change.
  const strip = (k: string) => k.replace(/https:\/\/127\.0\.0\.1:\d+/, 'URL');
  assert.equal(strip(readFileSync(server.kubeconfig, 'utf8')), strip(kubeconfigBefore));
});
