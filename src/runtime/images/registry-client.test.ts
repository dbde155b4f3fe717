import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { parseChallenge, RegistryClient, RegistryError } from './registry-client.ts';

test('parses WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="basic-realm"'), { scheme: 'basic', params: { realm: 'basic-realm' } });
  assert.deepEqual(parseChallenge('Bearer realm="http://x/t",scope="repository:a:pull,push"').params.scope, 'repository:a:pull,push');
});

/** A registry that wants basic auth (docker-registry's htpasswd mode) or a fixed bearer token. */
async function withServer(fn: (host: string, seen: string[]) => Promise<void>) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    if (req.url?.startsWith('/v2/basic/')) {
      if (auth !== `Basic ${Buffer.from('bob:pw').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="basic-realm"', 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    } else if (auth !== 'Bearer given-token') {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end('{"schemaVersion":2}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`127.0.0.1:${(server.address() as { port: number }).port}`, seen);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('answers a Basic challenge with the pull secret, and sends a registry token as bearer', async () => {
  await withServer(async (host, seen) => {
    const basic = new RegistryClient({ domain: host, repository: 'basic/img', auth: { username: 'bob', password: 'pw' } });
    const m = await basic.manifest('v1');
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(seen, ['', `Basic ${Buffer.from('bob:pw').toString('base64')}`]);

    const anonymous = new RegistryClient({ domain: host, repository: 'basic/img' });
    await assert.rejects(anonymous.manifest('v1'), (e) => e instanceof RegistryError && e.status === 401 && e.registryCode === 'UNAUTHORIZED');

    const token = new RegistryClient({ domain: host, repository: 'tok/img', auth: { registryToken: 'given-token' } });
    assert.equal((await token.manifest('v1')).data.toString(), '{"schemaVersion":2}');
    const wrong = new RegistryClient({ domain: host, repository: 'tok/img', auth: { registryToken: 'other' } });
    await assert.rejects(wrong.manifest('v1'), (e) => e instanceof RegistryError && e.registryCode === 'DENIED' && /denied/.test(e.message));
  });
});

test('a blob download that stalls fails after the progress deadline', async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write(Buffer.alloc(10)); // then nothing more
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = new RegistryClient({ domain: host, repository: 'x', progressDeadlineMs: 200 });
    const { stream } = await client.blob(`sha256:${'0'.repeat(64)}`);
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) got += (chunk as Buffer).length;
      })(),
      /cancel pulling image because of no progress in 0.2s/,
    );
    assert.equal(got, 10);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
