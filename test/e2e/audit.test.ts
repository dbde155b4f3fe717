/**
 * The audit log with the real kubectl: `kubeling server --audit-policy-file P --audit-log-path L` with a
 * policy that logs pods at RequestResponse and secrets at Metadata. A created secret is logged with its
 * reference and never its data; an applied pod with the request and response objects; a 404 with its
 * Status; `get pods -w` with ResponseStarted and, once kubectl leaves, ResponseComplete; the `Audit-Id`
 * header kubectl sees names an event in the log. The log is read as the JSON lines it is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KUBELING_BIN, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
# Secrets (and config maps) only at Metadata: their contents never reach the log.
- level: Metadata
  resources:
  - group: ""
    resources: [secrets, configmaps]
- level: RequestResponse
  resources:
  - group: ""
    resources: [pods, pods/log]
- level: Metadata
`;

interface Event {
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; apiVersion?: string };
  responseStatus?: { code: number; status?: string; reason?: string; message?: string };
  requestObject?: { metadata?: { name?: string }; spec?: { containers?: { image?: string }[] } };
  responseObject?: { metadata?: { uid?: string } };
  annotations?: Record<string, string>;
}

describe('audit log', () => {
  let s: ServerHandle;
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-audit-e2e-'));
  const logPath = join(dir, 'audit.log');
  const text = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const events = () => text().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event);
  const fromKubectl = (e: Event) => (e.userAgent ?? '').startsWith('kubectl');
  const find = (what: string, match: (e: Event) => boolean) => untilWith(() => events().find(match), what, { timeoutMs: 30_000, detail: () => text().slice(-4000) });
  const ok = async (args: string[], input?: string) => {
    const r = await s.kubectl(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
    return r;
  };

  before(async () => {
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, POLICY);
    s = await startServer({ storage: 'memory', noAgent: true, args: ['--audit-policy-file', policyFile, '--audit-log-path', logPath, '--audit-log-maxbackup', '2'] });
  });
  after(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a secret is logged at Metadata: who, what, the reference, and never its data', async () => {
    await ok(['create', 'secret', 'generic', 'db-pass', '--from-literal=password=hunter2']);
    const e = await find('the secret create event', (e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.objectRef?.resource === 'secrets' && fromKubectl(e));
    assert.equal(e.level, 'Metadata');
    assert.equal(e.user.username, 'system:admin');
    assert.deepEqual(e.user.groups, ['system:masters', 'system:authenticated']);
    assert.deepEqual(e.objectRef, { resource: 'secrets', namespace: 'default', name: 'db-pass', apiVersion: 'v1' });
    assert.equal(e.responseStatus?.code, 201);
    assert.equal(e.requestObject, undefined);
    assert.equal(e.responseObject, undefined);
    assert.equal(e.annotations?.['authorization.k8s.io/decision'], 'allow');
    assert.ok(!text().includes('hunter2') && !text().includes(Buffer.from('hunter2').toString('base64')), 'the secret data is in the log');
    // RequestReceived is omitted by the policy.
    assert.equal(events().filter((x) => x.auditID === e.auditID).map((x) => x.stage).join(), 'ResponseComplete');
  });

  test('an applied pod is logged at RequestResponse with its objects; the 404 before it with its Status', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: audited\nspec:\n  containers:\n  - name: c\n    image: busybox:1.35\n');
    const create = await find('the pod create event', (e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.name === 'audited');
    assert.equal(create.level, 'RequestResponse');
    assert.equal(create.user.username, 'system:admin');
    assert.equal(create.objectRef?.namespace, 'default');
    assert.equal(create.requestObject?.metadata?.name, 'audited');
    assert.equal(create.requestObject?.spec?.containers?.[0]?.image, 'busybox:1.35');
    assert.equal(create.responseStatus?.code, 201);
    const uid = (await ok(['get', 'pod', 'audited', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    assert.equal(create.responseObject?.metadata?.uid, uid);

    // Client-side apply first asks for the pod: a 404, logged before the create with its Status.
    const notFound = events().find((e) => e.verb === 'get' && e.objectRef?.name === 'audited' && e.responseStatus?.code === 404);
    assert.ok(notFound, 'no 404 event for the get before the create');
    assert.deepEqual(
      { status: notFound.responseStatus?.status, reason: notFound.responseStatus?.reason, message: notFound.responseStatus?.message },
      { status: 'Failure', reason: 'NotFound', message: 'pods "audited" not found' },
    );
    const all = events();
    assert.ok(all.indexOf(notFound) < all.indexOf(all.find((e) => e.auditID === create.auditID)!));

    const missing = await s.kubectl(['get', 'configmap', 'nope']);
    assert.notEqual(missing.code, 0);
    const e = await find('the configmap 404', (e) => e.verb === 'get' && e.objectRef?.resource === 'configmaps' && e.objectRef.name === 'nope');
    assert.equal(e.responseStatus?.code, 404);
    assert.equal(e.responseStatus?.reason, 'NotFound');
  });

  test('get pods -w: ResponseStarted while it watches, ResponseComplete once kubectl is gone', async () => {
    const watch = s.spawnKubectl(['get', 'pods', '-w']);
    let started: Event;
    try {
      await waitForOutput(watch.stdout!, /audited/);
      started = await find('the watch ResponseStarted', (e) => e.stage === 'ResponseStarted' && e.verb === 'watch' && e.objectRef?.resource === 'pods' && fromKubectl(e));
      assert.equal(started.responseStatus?.code, 200);
      assert.ok(!events().some((e) => e.auditID === started.auditID && e.stage === 'ResponseComplete'), 'complete while kubectl still watches');
    } finally {
      watch.kill();
    }
    const complete = await find('the watch ResponseComplete', (e) => e.auditID === started.auditID && e.stage === 'ResponseComplete');
    assert.equal(complete.verb, 'watch');
    assert.equal(complete.responseObject, undefined);
    const stages = events().filter((e) => e.auditID === started.auditID).map((e) => e.stage);
    assert.deepEqual(stages, ['ResponseStarted', 'ResponseComplete']);
  });

  test('the Audit-Id header kubectl receives is the auditID of the request in the log', async () => {
    const r = await ok(['get', 'namespace', 'kube-public', '-v=8']);
    const m = /Audit-Id: ([0-9a-f-]{36})/.exec(r.stderr);
    assert.ok(m, `no Audit-Id in kubectl's response headers:\n${r.stderr.slice(0, 3000)}`);
    const e = await find('the event of that request', (e) => e.auditID === m[1]);
    assert.equal(e.verb, 'get');
    assert.deepEqual(e.objectRef, { resource: 'namespaces', name: 'kube-public', apiVersion: 'v1' });
    assert.equal(e.level, 'Metadata');
  });

  test('a bad policy file stops the server at start with upstream\'s message', () => {
    const bad = join(dir, 'bad-policy.yaml');
    writeFileSync(bad, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n');
    const r = spawnSync(process.execPath, [KUBELING_BIN, 'server', '--data-dir', join(dir, 'bad-data'), '--storage', 'memory', '--no-agent', '--listen', '127.0.0.1:0',
      '--audit-policy-file', bad, '--audit-log-path', join(dir, 'bad.log')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `kubeling server: rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse": from file ${bad}\n`);
    assert.ok(!existsSync(join(dir, 'bad.log')));
  });
});
