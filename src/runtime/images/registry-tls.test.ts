/**
 * The registry client over https with registries.yaml TLS settings, against an in-process https registry
 * whose certificate a test CA signs (made with the project's PKI helpers): refused without the CA (Go's x509
 * text), accepted with `ca_file`, with `insecure_skip_verify`, and with a client certificate where the
 * registry demands one; a blob redirect keeps the settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensurePki } from '../../apiserver/auth/certs.ts';
import { makeCsr, signClientCertificate } from '../../machinery/x509.ts';
import { RegistryClient, RegistryError } from './registry-client.ts';

let dir: string;
let server: Server;
let mtlsServer: Server;
let endpoint: string;
let mtlsEndpoint: string;
const clientSubjects: string[] = [];

const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  if (req.url === '/v2/app/manifests/v1') {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end('{"schemaVersion":2}');
  } else if (req.url === '/v2/app/blobs/sha256:abc') {
    res.writeHead(307, { location: '/storage/abc' }).end();
  } else if (req.url === '/storage/abc') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('blob-bytes');
  } else {
    res.writeHead(404).end();
  }
};

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeling-registry-tls-'));
  const pki = await ensurePki(join(dir, 'pki'));
  await writeFile(join(dir, 'ca.pem'), pki.caPem);
  const { keyPem, csrPem } = await makeCsr('node-puller', []);
  const caKeyPem = await readFile(join(dir, 'pki', 'ca.key'), 'utf8');
  const certPem = await signClientCertificate({ caPem: pki.caPem, caKeyPem, csrPem, usages: ['digital signature', 'client auth'], seconds: 3600 });
  await writeFile(join(dir, 'client.pem'), certPem);
  await writeFile(join(dir, 'client-key.pem'), keyPem);
  server = createServer({ cert: pki.certPem, key: pki.keyPem }, handler);
  mtlsServer = createServer({ cert: pki.certPem, key: pki.keyPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    clientSubjects.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN));
    handler(req, res);
  });
  for (const s of [server, mtlsServer]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mtlsEndpoint = `https://127.0.0.1:${(mtlsServer.address() as AddressInfo).port}`;
});
test.after(async () => {
  for (const s of [server, mtlsServer]) {
    s?.closeAllConnections();
    await new Promise((resolve) => s?.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

const client = (url: string, tls?: ConstructorParameters<typeof RegistryClient>[0]['tls']) =>
  new RegistryClient({ domain: 'registry.example', repository: 'app', endpoint: url, ...(tls ? { tls } : {}) });

test("without the registry's CA the request fails with Go's x509 error", async () => {
  await assert.rejects(client(endpoint).manifest('v1'), (err: Error) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.registryCode, 'UNREACHABLE');
    assert.equal(err.message, `failed to do request: ${endpoint}/v2/app/manifests/v1: tls: failed to verify certificate: x509: certificate signed by unknown authority`);
    return true;
  });
});

test('ca_file: the CA is trusted beside the system roots; a redirected blob keeps it', async () => {
  const c = client(endpoint, { caFile: join(dir, 'ca.pem') });
  assert.equal((await c.manifest('v1')).data.toString(), '{"schemaVersion":2}');
  const { stream } = await c.blob('sha256:abc');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'blob-bytes');
});

test('insecure_skip_verify: no verification at all', async () => {
  assert.equal((await client(endpoint, { insecureSkipVerify: true }).manifest('v1')).mediaType, 'application/vnd.oci.image.manifest.v1+json');
});

test('cert_file/key_file: the client certificate goes to a registry that demands one', async () => {
  await assert.rejects(client(mtlsEndpoint, { caFile: join(dir, 'ca.pem') }).manifest('v1'), RegistryError, 'no client certificate: refused');
  const c = client(mtlsEndpoint, { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client-key.pem') });
  assert.equal((await c.manifest('v1')).data.toString(), '{"schemaVersion":2}');
  assert.deepEqual(clientSubjects, ['node-puller']);
});

test('a missing CA file fails the request, naming the file', async () => {
  await assert.rejects(client(endpoint, { caFile: join(dir, 'nope.pem') }).manifest('v1'), /failed to read the registry CA file .*nope\.pem/);
});

test('http endpoints ignore TLS settings', async () => {
  const c = client('http://127.0.0.1:1', { caFile: join(dir, 'nope.pem') });
  await assert.rejects(c.manifest('v1'), (err: Error) => !/CA file/.test(err.message) && /ECONNREFUSED|failed to do request/.test(err.message));
});
