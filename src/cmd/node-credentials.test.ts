import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensurePki } from '../apiserver/index.ts';
import { makeCsr, signClientCertificate } from '../machinery/index.ts';
import { credentialState, loadNodeCredential, signNodeCredential, writeKubeletKubeconfig } from './node-credentials.ts';

test('the node credential is kept in DIR/kubelet.kubeconfig, private, and read back for its node only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-node-cred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(join(dir, 'pki'));
  const cred = await signNodeCredential(pki.caPem, readFileSync(join(dir, 'pki', 'ca.key'), 'utf8'), 'n1');
  const file = await writeKubeletKubeconfig(dir, 'https://127.0.0.1:6443', pki.caPem, 'n1', cred);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const cfg = parse(readFileSync(file, 'utf8')) as { users: { name: string }[]; clusters: { cluster: { server: string } }[] };
  assert.equal(cfg.users[0]!.name, 'system:node:n1');
  assert.equal(cfg.clusters[0]!.cluster.server, 'https://127.0.0.1:6443');
  assert.deepEqual(await loadNodeCredential(dir, 'n1'), cred);
  assert.equal(await loadNodeCredential(dir, 'n2'), undefined, 'another node name: not ours');
  assert.equal(credentialState(cred, Date.now()), 'fresh');
});

test('renewal: fresh until less than 20% of the lifetime is left, then renew, then expired', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-node-cred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(join(dir, 'pki'));
  const { csrPem, keyPem } = await makeCsr('system:node:n1', ['system:nodes']);
  const start = Date.now();
  // 1000 s of life after the 300 s backdate: 1300 s in all, renew in the last 260 s.
  const certPem = await signClientCertificate({ caPem: pki.caPem, caKeyPem: readFileSync(join(dir, 'pki', 'ca.key'), 'utf8'), csrPem, usages: ['client auth'], seconds: 1000, now: start });
  const cred = { certPem, keyPem };
  const at = (s: number) => start + s * 1000;
  assert.equal(credentialState(cred, at(0)), 'fresh');
  assert.equal(credentialState(cred, at(730)), 'fresh');
  assert.equal(credentialState(cred, at(750)), 'renew');
  assert.equal(credentialState(cred, at(999)), 'renew');
  assert.equal(credentialState(cred, at(1001)), 'expired');
  assert.equal(credentialState(cred, at(-400)), 'expired', 'not yet valid');
});
