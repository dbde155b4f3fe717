import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from '../../api/index.ts';
import { credentialsFor } from './pull-secrets.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerconfigjson = (name: string, auths: Record<string, object>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
});

test('credentialsFor: host and port match, path prefixes, globs, Docker Hub spellings, order', () => {
  const a = dockerconfigjson('a', {
    '127.0.0.1:5000': { username: 'u1', password: 'p1' },
    '127.0.0.1:5001': { username: 'other-port', password: 'x' },
    'https://registry.example.com/team/': { auth: b64('team:tp') },
    'registry.example.com': { username: 'any', password: 'ap' },
    '*.corp.example': { username: 'glob', password: 'g' },
    'https://index.docker.io/v1/': { username: 'hub', password: 'h', registrytoken: 'tok' },
  });
  const b = dockerconfigjson('b', { '127.0.0.1:5000': { auth: b64('u2:p:with:colons') } });
  assert.deepEqual(credentialsFor('127.0.0.1:5000/library/busybox:1.35', [a, b]), [
    { username: 'u1', password: 'p1' },
    { username: 'u2', password: 'p:with:colons', auth: b64('u2:p:with:colons') },
  ]);
  // The longer path first; another path of the same host only gets the bare-host entry.
  assert.deepEqual(
    credentialsFor('registry.example.com/team/app@sha256:' + '0'.repeat(64), [a]).map((c) => c.username),
    ['team', 'any'],
  );
  assert.deepEqual(credentialsFor('registry.example.com/teams/app', [a]).map((c) => c.username), ['any']);
  assert.deepEqual(credentialsFor('eu.corp.example/app:v1', [a]).map((c) => c.username), ['glob']);
  assert.deepEqual(credentialsFor('a.eu.corp.example/app:v1', [a]), [], '* globs one DNS label');
  assert.deepEqual(credentialsFor('busybox', [a]), [{ username: 'hub', password: 'h', registryToken: 'tok' }]);
  assert.deepEqual(credentialsFor('docker.io/library/busybox:1.35', [a]).length, 1);
  assert.deepEqual(credentialsFor('quay.io/x/y', [a, b]), []);
});

test('credentialsFor: dockercfg secrets; other types and bad JSON give nothing', () => {
  const cfg: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'old' },
    type: 'kubernetes.io/dockercfg',
    data: { '.dockercfg': b64(JSON.stringify({ 'localhost:5000': { username: 'l', password: 'lp' } })) },
  };
  const opaque: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'o' }, type: 'Opaque', data: { x: b64('{}') } };
  const broken: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'b' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64('{not json') },
  };
  assert.deepEqual(credentialsFor('localhost:5000/app', [opaque, broken, cfg]), [{ username: 'l', password: 'lp' }]);
});

test("nodeCredentialsFor: the kubelet's config.json (auths) and legacy .dockercfg, matched like pull secrets", async () => {
  const { nodeCredentialsFor } = await import('./pull-secrets.ts');
  const config = JSON.stringify({
    auths: { 'registry.example:5000': { auth: b64('node:np') }, 'registry.example:5000/team': { username: 'team', password: 'tp' } },
  });
  assert.deepEqual(nodeCredentialsFor('registry.example:5000/team/app:v1', config).map((c) => c.username), ['team', 'node']);
  assert.deepEqual(nodeCredentialsFor('registry.example:5000/app', config), [{ username: 'node', password: 'np', auth: b64('node:np') }]);
  assert.deepEqual(nodeCredentialsFor('registry.example/app', config), [], 'the port is part of the host');
  assert.deepEqual(nodeCredentialsFor('localhost:5000/app', JSON.stringify({ 'localhost:5000': { username: 'l', password: 'lp' } }), true), [
    { username: 'l', password: 'lp' },
  ]);
  assert.deepEqual(nodeCredentialsFor('localhost:5000/app', '{not json'), []);
});
