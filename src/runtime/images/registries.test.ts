import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointTls, parseRegistriesYaml, pullEndpoints, RegistriesConfigError } from './registries.ts';

const yaml = `
mirrors:
  docker.io:
    endpoint:
      - "https://mirror.example:5000/v2/"
      - http://127.0.0.1:5001
    rewrite:
      "^library/(.*)": "hub/\${1}"
  example.invalid:5000:
    endpoint: ["http://127.0.0.1:5002"]
  "*":
    endpoint: ["https://everything.example"]
configs:
  "mirror.example:5000":
    auth:
      username: puller
      password: s3cret
  127.0.0.1:5002:
    auth:
      auth: ${Buffer.from('node:np').toString('base64')}
  registry.example:
    auth:
      identity_token: tok
`;

test('parseRegistriesYaml: k3s format, endpoints normalised, rewrites, auth forms', () => {
  const c = parseRegistriesYaml(yaml);
  assert.deepEqual(c.mirrors['docker.io']!.endpoints, ['https://mirror.example:5000', 'http://127.0.0.1:5001']);
  assert.deepEqual(c.mirrors['example.invalid:5000']!.endpoints, ['http://127.0.0.1:5002']);
  assert.deepEqual(c.configs['mirror.example:5000'], { auth: { username: 'puller', password: 's3cret' } });
  assert.deepEqual(c.configs['127.0.0.1:5002']!.auth, { username: 'node', password: 'np', auth: Buffer.from('node:np').toString('base64') });
  assert.deepEqual(c.configs['registry.example']!.auth, { registryToken: 'tok' });
  assert.deepEqual(parseRegistriesYaml(''), { mirrors: {}, configs: {} });
});

test('parseRegistriesYaml: refuses what it cannot honour, naming the file and key', () => {
  for (const [text, want] of [
    ['mirrors: [1]', /mirrors must be a mapping/],
    ['mirors: {}', /unknown key "mirors"/],
    ['mirrors: {docker.io: {endpoint: ["ftp://x"]}}', /must be http or https/],
    ['mirrors: {docker.io: {endpoint: ["https://x/some/path"]}}', /paths other than \/v2/],
    ['mirrors: {docker.io: {rewrite: {"(": "x"}}}', /rewrite/],
    ['configs: {r.example: {tls: {cert_file: /c.pem}}}', /configs\."r\.example"\.tls: cert_file and key_file go together/],
    ['configs: {r.example: {tls: {insecure_skip_verify: "yes"}}}', /tls\.insecure_skip_verify must be true or false/],
    ['configs: {r.example: {tls: {ca: /c.pem}}}', /tls: unknown key "ca"/],
    ['configs: {r.example: {auth: {username: 5}}}', /auth\.username must be a string/],
    ['mirrors: {a: [', /f\.yaml/],
  ] as const) {
    assert.throws(() => parseRegistriesYaml(text, 'f.yaml'), (err: Error) => err instanceof RegistriesConfigError && want.test(err.message) && err.message.startsWith('f.yaml'), text);
  }
});

test('pullEndpoints: mirrors in order with the repository rewritten, then the registry itself; credentials per endpoint', () => {
  const c = parseRegistriesYaml(yaml);
  const pod = { username: 'pod', password: 'pp' };
  assert.deepEqual(pullEndpoints(c, 'docker.io', 'library/busybox', pod), [
    { url: 'https://mirror.example:5000', repository: 'hub/busybox', auth: { username: 'puller', password: 's3cret' } },
    { url: 'http://127.0.0.1:5001', repository: 'hub/busybox' },
    { url: 'https://registry-1.docker.io', repository: 'library/busybox', auth: pod },
  ]);
  assert.deepEqual(pullEndpoints(c, 'docker.io', 'team/app').map((e) => e.repository), ['team/app', 'team/app', 'team/app'], 'no rewrite matches');
  // A mirror for a made-up name: the node's credentials for the mirror host; the name itself is tried last.
  assert.deepEqual(pullEndpoints(c, 'example.invalid:5000', 'library/busybox'), [
    { url: 'http://127.0.0.1:5002', repository: 'library/busybox', auth: c.configs['127.0.0.1:5002']!.auth },
    { url: 'https://example.invalid:5000', repository: 'library/busybox' },
  ]);
  // The "*" mirror for other registries; node credentials for the registry when the pod gives none.
  assert.deepEqual(pullEndpoints(c, 'registry.example', 'app'), [
    { url: 'https://everything.example', repository: 'app' },
    { url: 'https://registry.example', repository: 'app', auth: { registryToken: 'tok' } },
  ]);
  assert.deepEqual(pullEndpoints(c, 'registry.example', 'app', pod).at(-1)!.auth, pod, "the pod's credentials win for the registry");
  assert.deepEqual(pullEndpoints({ mirrors: {}, configs: {} }, '127.0.0.1:5000', 'x'), [{ url: 'http://127.0.0.1:5000', repository: 'x' }]);
});

test('TLS settings: per endpoint host, https endpoints only, the registry itself by its own name too', () => {
  const c = parseRegistriesYaml(`
mirrors:
  docker.io:
    endpoint: ["https://mirror.example:5000", "http://mirror.example:5000", "https://other.example"]
configs:
  mirror.example:5000:
    tls: {ca_file: /etc/ca.pem, cert_file: /etc/c.pem, key_file: /etc/k.pem}
  registry.example:
    tls: {insecure_skip_verify: true}
  plain.example:
    auth: {username: u, password: p}
    tls: {}
`);
  const mirrorTls = { caFile: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/k.pem' };
  assert.deepEqual(c.configs['mirror.example:5000'], { tls: mirrorTls });
  assert.deepEqual(c.configs['plain.example'], { auth: { username: 'u', password: 'p' } }, 'an empty tls is none');
  assert.deepEqual(pullEndpoints(c, 'docker.io', 'library/busybox'), [
    { url: 'https://mirror.example:5000', repository: 'library/busybox', tls: mirrorTls },
    { url: 'http://mirror.example:5000', repository: 'library/busybox' },
    { url: 'https://other.example', repository: 'library/busybox' },
    { url: 'https://registry-1.docker.io', repository: 'library/busybox' },
  ]);
  assert.deepEqual(pullEndpoints(c, 'registry.example', 'app'), [{ url: 'https://registry.example', repository: 'app', tls: { insecureSkipVerify: true } }]);
  assert.equal(endpointTls(c, 'http://registry.example'), undefined, 'plain http stays plain');
  assert.deepEqual(endpointTls(c, 'https://REGISTRY.example'), { insecureSkipVerify: true });
});
