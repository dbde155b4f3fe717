/**
 * The API holds under abuse (issue 11, "limits"): against the real `kubeling server` (sqlite, no node, no
 * scheduler or controllers: the API server alone), while a probe keeps asking /readyz,
 *   - 1,000 slow-loris connections stay open with unfinished headers,
 *   - 10 MiB bodies (declared and chunked) are refused 413 or cut off,
 *   - 100,000-level JSON is a 400,
 *   - one user's watch flood stops at --max-watches-per-user with 429 + Retry-After,
 *   - 10,000 fuzzed manifests (seeded: test/e2e/helpers/manifest-fuzzer.ts) get no 5xx,
 * and afterwards the process is still up, readyz answered every time it was asked, and nothing the server
 * refused was stored. How fast readyz answered is bench/api-abuse.ts's figure, never asserted here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from './helpers/server.ts';
import {
  ReadyzProbe, createFuzzBases, openSlowLoris, runFuzz, send, sendDeepJson, sendHugeBodies, storedNames, watchFlood, type Endpoint,
} from './helpers/abuse.ts';

const SEED = 20261207;
const FUZZ_CASES = 10_000;
const WATCH_CAP = 50;

let s: ServerHandle;
let e: Endpoint;
let probe: ReadyzProbe;
/** A service account's token, bound to `edit` in the fuzz namespace: not system:masters, so the caps apply to it. */
let userToken: string;

before(async () => {
  s = await startServer({ noAgent: true, args: ['--disable-scheduler', '--disable-controller-manager', '--max-watches-per-user', String(WATCH_CAP)] });
  e = { port: s.port, caPem: s.caPem };
  const post = async (path: string, body: unknown) => send(e, 'POST', path, s.token, JSON.stringify(body), { 'content-type': 'application/json' });
  assert.equal((await post('/api/v1/namespaces', { metadata: { name: 'fuzz' } })).status, 201);
  assert.equal((await post('/api/v1/namespaces/fuzz/serviceaccounts', { metadata: { name: 'fuzzer' } })).status, 201);
  assert.equal((await post('/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/rolebindings', {
    metadata: { name: 'fuzzer-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'ServiceAccount', name: 'fuzzer', namespace: 'fuzz' }],
  })).status, 201);
  const minted = await post('/api/v1/namespaces/fuzz/serviceaccounts/fuzzer/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(minted.status, 201);
  userToken = (JSON.parse(minted.body) as { status: { token: string } }).status.token;
  probe = new ReadyzProbe(e);
  probe.start();
});

after(async () => {
  await probe?.stop();
  await s?.stop();
});

const configmaps = '/api/v1/namespaces/fuzz/configmaps';

test('1,000 slow-loris connections: other clients are still served while they hang', async () => {
  const sockets = await openSlowLoris(e, 1000);
  try {
    assert.equal((await send(e, 'GET', '/readyz', '')).status, 200);
    const created = await send(e, 'POST', configmaps, s.token, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'during-loris' } }), { 'content-type': 'application/json' });
    assert.equal(created.status, 201, created.body);
  } finally {
    for (const socket of sockets) socket.destroy();
  }
});

test('10 MiB bodies are refused with 413 (or the connection is cut mid-upload), never a 5xx; nothing is stored', async () => {
  for (const a of await sendHugeBodies(e, s.token, configmaps)) {
    assert.ok(a.status === 413 || a.status === 0, `${a.status} ${a.body.slice(0, 200)}`);
    if (a.status === 413) assert.match(a.body, /Request entity too large: limit is 3145728/);
  }
  assert.equal((await send(e, 'GET', `${configmaps}/huge`, s.token)).status, 404);
});

test('100,000 levels of nested JSON are a 400, not a crash', async () => {
  for (const a of await sendDeepJson(e, s.token, configmaps, 100_000)) {
    assert.equal(a.status, 400, a.body.slice(0, 200));
    assert.match(a.body, /exceeded max depth/);
  }
  assert.equal((await send(e, 'GET', `${configmaps}/deep`, s.token)).status, 404);
});

test('a watch flood from one user stops at --max-watches-per-user with 429 and Retry-After; others still watch', async () => {
  const flood = await watchFlood(e, userToken, '/api/v1/namespaces/fuzz/configmaps?watch=true', WATCH_CAP + 20);
  try {
    const ok = flood.statuses.filter((c) => c === 200).length;
    const refused = flood.statuses.filter((c) => c === 429).length;
    assert.deepEqual([ok, refused], [WATCH_CAP, 20], `statuses: ${flood.statuses.join(',')}`);
    const more = await send(e, 'GET', '/api/v1/namespaces/fuzz/configmaps?watch=true&timeoutSeconds=1', userToken);
    assert.equal(more.status, 429);
    assert.equal(more.headers['retry-after'], '1');
    assert.equal(JSON.parse(more.body).reason, 'TooManyRequests');
    const admin = await send(e, 'GET', '/api/v1/namespaces/fuzz/configmaps?watch=true&timeoutSeconds=1', s.token);
    assert.equal(admin.status, 200, 'another user is not starved');
    assert.equal((await send(e, 'GET', '/readyz', '')).status, 200);
  } finally {
    flood.close();
  }
});

test(`${FUZZ_CASES} fuzzed manifests (seed ${SEED}): no 5xx, no dropped connection, nothing refused stored`, async () => {
  await createFuzzBases(e, s.token, 'fuzz');
  const result = await runFuzz(e, s.token, 'fuzz', SEED, FUZZ_CASES);
  const described = result.failures.slice(0, 5).map((f) => `#${f.c.index} ${f.c.method} ${f.c.target.kind} [${f.c.mutations.join('; ')}] → ${f.status} ${f.body}`);
  assert.deepEqual(described, [], `codes: ${JSON.stringify(Object.fromEntries(result.codes))}`);
  const total = [...result.codes.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, FUZZ_CASES);
  assert.ok((result.codes.get(400) ?? 0) > 0 && (result.codes.get(201) ?? 0) > 0, 'the fuzzer makes both good and bad manifests');
  // Every stored object is one a create was answered 201 for (or the base, or the server's own CA bundle).
  const stored = await storedNames(e, s.token, 'fuzz');
  for (const [plural, names] of stored) {
    const allowed = new Set([...result.created.get(plural)!, 'base', 'during-loris', 'kube-root-ca.crt']);
    assert.deepEqual(names.filter((n) => !allowed.has(n)), [], `${plural} stored without a 201`);
    assert.deepEqual([...result.created.get(plural)!].filter((n) => !names.includes(n)), [], `${plural} answered 201 but missing`);
  }
});

test('afterwards: the process is up and readyz answered 200 every time the probe asked during all of it', async () => {
  await probe.stop();
  assert.equal(s.process.exitCode, null, 'the server process is still running');
  assert.equal((await send(e, 'GET', '/readyz', '')).status, 200);
  assert.deepEqual([...probe.statuses.keys()], [200], `readyz answers: ${JSON.stringify(Object.fromEntries(probe.statuses))}`);
  assert.ok(probe.statuses.get(200)! > 0);
  assert.doesNotMatch(s.stderr(), /"level":50.*internal error/, 'no internal error was logged');
});
