import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensurePki } from '../apiserver/index.ts';
import { makeCsr, signClientCertificate } from '../machinery/index.ts';
import { credentialState, KUBELET_SERVING_PEM, loadKubeletServingCertificate, loadNodeCredential, signKubeletServingCertificate, signNodeCredential, writeKubeletKubeconfig, writeKubeletServingCertificate } from './node-credentials.ts';

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

test('the server node\'s kubelet serving certificate: signed by the cluster CA for the node\'s names and addresses, for server auth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-node-serving-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(join(dir, 'pki'));
  const cred = await signKubeletServingCertificate(pki.caPem, readFileSync(join(dir, 'pki', 'ca.key'), 'utf8'), 'n1', ['n1', '127.0.0.1', '10.1.2.3', '127.0.0.1']);
  const cert = new X509Certificate(cred.certPem);
  assert.ok(cert.verify(new X509Certificate(pki.caPem).publicKey), 'signed by the cluster CA');
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
  assert.equal(cert.subjectAltName, 'DNS:n1, IP Address:127.0.0.1, IP Address:10.1.2.3');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
  assert.equal(cert.checkHost('n1'), 'n1');
});

test('an agent\'s kept serving certificate is reused only for its node, its exact names, and while fresh', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-node-cred-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(join(dir, 'pki'));
  const caKeyPem = readFileSync(join(dir, 'pki', 'ca.key'), 'utf8');
  const { csrPem, keyPem } = await makeCsr('system:node:n1', ['system:nodes'], ['n1', '10.0.0.5']);
  const start = Date.now();
  const certPem = await signClientCertificate({ caPem: pki.caPem, caKeyPem, csrPem, usages: ['server auth'], seconds: 1000, now: start });
  await writeKubeletServingCertificate(dir, { certPem, keyPem });
  assert.equal(statSync(join(dir, KUBELET_SERVING_PEM)).mode & 0o777, 0o600);
  assert.deepEqual(await loadKubeletServingCertificate(dir, 'n1', ['10.0.0.5', 'n1'], start), { certPem, keyPem });
  assert.equal(await loadKubeletServingCertificate(dir, 'n2', ['n1', '10.0.0.5'], start), undefined, 'another node');
  assert.equal(await loadKubeletServingCertificate(dir, 'n1', ['n1', '10.0.0.6'], start), undefined, 'the node IP changed');
  // 1300 s of life with the backdate: past 80% (1040 s from notBefore, 740 s from now) a new one is asked for.
  assert.ok(await loadKubeletServingCertificate(dir, 'n1', ['n1', '10.0.0.5'], start + 730_000));
  assert.equal(await loadKubeletServingCertificate(dir, 'n1', ['n1', '10.0.0.5'], start + 750_000), undefined, 'near its expiry');
});
