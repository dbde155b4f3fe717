import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Attributes } from '../authz/authorizer.ts';
import { readBody, sendJson } from '../http.ts';
import { poll } from '../../machinery/testing/poll.ts';
import { Auditor, beginAudit, type RequestAudit } from './auditor.ts';
import type { AuditEvent } from './event.ts';
import type { AuditSink } from './log-file.ts';
import { parsePolicy } from './policy.ts';

const POLICY = parsePolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [Panic]
rules:
- level: None
  resources: [{group: "", resources: [events]}]
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
- level: RequestResponse
  verbs: [create]
  omitManagedFields: true
  resources: [{group: "", resources: [pods]}]
- level: Metadata
  omitStages: [RequestReceived]
  resources: [{group: "", resources: [configmaps]}]
- level: Request
`, 'policy.yaml');

const admin = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

class RecordingSink implements AuditSink {
  events: AuditEvent[] = [];
  write(e: AuditEvent): void {
    this.events.push(e);
  }
  async stop(): Promise<void> {}
  of(id: string): AuditEvent[] {
    return this.events.filter((e) => e.auditID === id);
  }
}

function attrsFor(req: IncomingMessage): Attributes {
  const url = new URL(req.url!, 'http://x');
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname)!;
  const verb = req.method === 'POST' ? 'create' : url.searchParams.get('watch') ? 'watch' : m[3] ? 'get' : 'list';
  return { user: admin, verb, resourceRequest: true, namespace: m[1]!, apiGroup: '', apiVersion: 'v1', resource: m[2]!, subresource: '', name: m[3] ?? '', path: url.pathname };
}

type Handler = (req: IncomingMessage, res: ServerResponse, audit: RequestAudit) => Promise<void>;

describe('auditing requests', () => {
  const sink = new RecordingSink();
  const auditor = new Auditor({ policy: POLICY, sink });
  let server: http.Server;
  let base = '';
  let handler: Handler = async () => {};

  before(async () => {
    server = http.createServer((req, res) => {
      const audit = beginAudit(auditor, req, res)!;
      const run = async () => {
        if (!req.headers.authorization) return sendJson(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
        audit.authorized(attrsFor(req), { decision: 'Allow', reason: 'test says yes' });
        await handler(req, res, audit);
      };
      run().catch((err) => {
        audit.panic(err);
        sendJson(res, 500, {});
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const auth = { authorization: 'Bearer t', 'user-agent': 'kubectl/v1.32.0 (test)' };

  test('a create at RequestResponse: both stages, the objects, the objectRef from the body, the Audit-Id header', async () => {
    handler = async (req, res) => {
      const body = JSON.parse((await readBody(req)).toString()) as { metadata: Record<string, unknown> };
      sendJson(res, 201, { ...body, metadata: { ...body.metadata, uid: 'u-1', resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] } });
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', managedFields: [{ manager: 'kubectl' }] }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const r = await fetch(`${base}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(pod) });
    assert.equal(r.status, 201);
    const id = r.headers.get('audit-id')!;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await poll(() => sink.of(id).length === 2, 'audit events', { intervalMs: 5 });
    const [received, complete] = sink.of(id);
    assert.equal(received!.stage, 'RequestReceived');
    assert.equal(received!.requestObject, undefined);
    assert.equal(received!.annotations, undefined);
    assert.equal(complete!.stage, 'ResponseComplete');
    assert.equal(complete!.level, 'RequestResponse');
    assert.equal(complete!.verb, 'create');
    assert.equal(complete!.requestURI, '/api/v1/namespaces/default/pods');
    assert.deepEqual(complete!.user, { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
    assert.deepEqual(complete!.sourceIPs, ['127.0.0.1']);
    assert.equal(complete!.userAgent, 'kubectl/v1.32.0 (test)');
    assert.deepEqual(complete!.objectRef, { resource: 'pods', namespace: 'default', name: 'web', apiVersion: 'v1' });
    assert.deepEqual(complete!.responseStatus, { metadata: {}, code: 201 });
    // omitManagedFields: the objects are logged without them.
    assert.deepEqual(complete!.requestObject, { ...pod, metadata: { name: 'web' } });
    assert.deepEqual((complete!.responseObject as { metadata: unknown }).metadata, { name: 'web', uid: 'u-1', resourceVersion: '7' });
    assert.deepEqual(complete!.annotations, { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'test says yes' });
    assert.match(complete!.stageTimestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    assert.deepEqual(Object.keys(complete!), [
      'kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'sourceIPs', 'userAgent', 'objectRef', 'responseStatus',
      'requestObject', 'responseObject', 'requestReceivedTimestamp', 'stageTimestamp', 'annotations',
    ]);
  });

  test('Metadata (secrets) logs no objects but names the object; the client may choose the Audit-ID', async () => {
    handler = async (req, res) => {
      await readBody(req);
      sendJson(res, 201, { kind: 'Secret', metadata: { name: 's' }, data: { password: 'aHVudGVyMg==' } });
    };
    const r = await fetch(`${base}/api/v1/namespaces/default/secrets`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'audit-id': 'my-own-id' }, body: JSON.stringify({ kind: 'Secret', metadata: { name: 's' }, data: { password: 'aHVudGVyMg==' } }),
    });
    assert.equal(r.headers.get('audit-id'), 'my-own-id');
    await poll(() => sink.of('my-own-id').length === 2, 'audit events', { intervalMs: 5 });
    const complete = sink.of('my-own-id')[1]!;
    assert.equal(complete.level, 'Metadata');
    assert.equal(complete.objectRef?.name, 's');
    assert.equal(complete.requestObject, undefined);
    assert.equal(complete.responseObject, undefined);
    assert.ok(!JSON.stringify(sink.of('my-own-id')).includes('aHVudGVyMg'));
  });

  test('a failure is logged with its Status fields; Request level keeps the request but not the response', async () => {
    handler = async (_req, res) => {
      sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'services "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'services' }, code: 404 });
    };
    const r = await fetch(`${base}/api/v1/namespaces/default/services/x`, { headers: auth });
    assert.equal(r.status, 404);
    const id = r.headers.get('audit-id')!;
    await poll(() => sink.of(id).length === 2, 'audit events', { intervalMs: 5 });
    const complete = sink.of(id)[1]!;
    assert.equal(complete.level, 'Request');
    assert.deepEqual(complete.responseStatus, { metadata: {}, status: 'Failure', message: 'services "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'services' }, code: 404 });
    assert.equal(complete.responseObject, undefined);
  });

  test('a watch logs ResponseStarted when its headers go out and ResponseComplete when the client leaves', async () => {
    let opened!: () => void;
    const wait = new Promise<void>((resolve) => (opened = resolve));
    handler = async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
      opened();
    };
    const abort = new AbortController();
    const r = await fetch(`${base}/api/v1/namespaces/default/pods?watch=true`, { headers: auth, signal: abort.signal });
    const id = r.headers.get('audit-id')!;
    await wait;
    await poll(() => sink.of(id).length === 2, 'audit events', { intervalMs: 5 });
    assert.deepEqual(sink.of(id).map((e) => e.stage), ['RequestReceived', 'ResponseStarted']);
    assert.deepEqual(sink.of(id)[1]!.responseStatus, { metadata: {}, code: 200 });
    abort.abort();
    await poll(() => sink.of(id).length === 3, 'audit events', { intervalMs: 5 });
    const complete = sink.of(id)[2]!;
    assert.equal(complete.stage, 'ResponseComplete');
    assert.equal(complete.verb, 'watch');
    assert.equal(complete.responseObject, undefined);
  });

  test('omitStages drops a stage; None logs nothing', async () => {
    handler = async (_req, res) => sendJson(res, 200, { kind: 'ConfigMap' });
    const cm = await fetch(`${base}/api/v1/namespaces/default/configmaps/c`, { headers: auth });
    const ev = await fetch(`${base}/api/v1/namespaces/default/events/e`, { headers: auth });
    const cmId = cm.headers.get('audit-id')!;
    await poll(() => sink.of(cmId).length === 1, 'audit events', { intervalMs: 5 });
    assert.equal(sink.of(cmId)[0]!.stage, 'ResponseComplete');
    // Events are logged in request order: once a later request's event is there, the events request had its chance.
    const later = await fetch(`${base}/api/v1/namespaces/default/configmaps/d`, { headers: auth });
    await poll(() => sink.of(later.headers.get('audit-id')!).length === 1, 'audit events', { intervalMs: 5 });
    assert.ok(ev.headers.get('audit-id'), 'the Audit-Id header is sent even when nothing is logged');
    assert.equal(sink.of(ev.headers.get('audit-id')!).length, 0);
  });

  test('a request that fails authentication is logged without a user', async () => {
    const r = await fetch(`${base}/api/v1/namespaces/default/pods`);
    assert.equal(r.status, 401);
    const id = r.headers.get('audit-id')!;
    await poll(() => sink.of(id).length === 1, 'audit events', { intervalMs: 5 });
    const e = sink.of(id)[0]!;
    assert.equal(e.stage, 'ResponseStarted');
    assert.deepEqual(e.user, { username: '' });
    assert.deepEqual(e.responseStatus, { metadata: {}, message: 'Authentication failed, no credentials provided', code: 401 });
  });

  test('a handler that throws is a Panic event (unless omitted) and no ResponseComplete', async () => {
    handler = async () => {
      throw new Error('boom');
    };
    const r = await fetch(`${base}/api/v1/namespaces/default/services/p`, { headers: auth });
    assert.equal(r.status, 500);
    const id = r.headers.get('audit-id')!;
    // The policy omits Panic for every rule: only RequestReceived (a later request's event shows it is all).
    handler = async (_req, res) => sendJson(res, 200, { kind: 'ConfigMap' });
    const after = await fetch(`${base}/api/v1/namespaces/default/configmaps/z`, { headers: auth });
    await poll(() => sink.of(after.headers.get('audit-id')!).length === 1, 'audit events', { intervalMs: 5 });
    assert.deepEqual(sink.of(id).map((e) => e.stage), ['RequestReceived']);

    const panics = new RecordingSink();
    const other = new Auditor({ policy: parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n', 'p'), sink: panics });
    const fake = http.createServer((req, res) => {
      const a = beginAudit(other, req, res)!;
      a.authorized(attrsFor(req), { decision: 'Allow', reason: '' });
      a.panic(new Error('boom'));
      sendJson(res, 500, {});
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const p = await fetch(`http://127.0.0.1:${(fake.address() as AddressInfo).port}/api/v1/namespaces/default/pods/x`, { headers: auth });
      await p.text();
      await poll(() => panics.events.length === 2, 'audit events', { intervalMs: 5 });
      assert.deepEqual(panics.events.map((e) => e.stage), ['RequestReceived', 'Panic']);
      assert.deepEqual(panics.events[1]!.responseStatus, { metadata: {}, status: 'Failure', message: "APIServer panic'd: Error: boom", reason: 'InternalError', code: 500 });
    } finally {
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  test('an upgrade (exec): ResponseStarted with the 101, ResponseComplete when the stream ends; a refused one with its Status', async () => {
    const sink2 = new RecordingSink();
    const upgrades = new Auditor({ policy: POLICY, sink: sink2 });
    const srv = http.createServer();
    srv.on('upgrade', (req: IncomingMessage, socket) => {
      const a = upgrades.beginUpgrade(req, socket);
      const attrs = { ...attrsFor(req), verb: 'create', subresource: 'exec' };
      a.authorized(attrs, { decision: 'Allow', reason: '' });
      if (req.url!.includes('/refused/')) {
        const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "refused" not found', reason: 'NotFound', code: 404 });
        socket.end(`HTTP/1.1 404 Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', () => socket.end());
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as AddressInfo).port;
    const upgrade = (path: string, id: string) => new Promise<string>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nAudit-ID: ${id}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`));
      let got = '';
      c.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n') && got.startsWith('HTTP/1.1 101')) c.write('bye');
      });
      c.on('close', () => resolve(got));
    });
    try {
      await upgrade('/api/v1/namespaces/default/pods/p', 'exec-1');
      await poll(() => sink2.of('exec-1').length === 3, 'audit events', { intervalMs: 5 });
      assert.deepEqual(sink2.of('exec-1').map((e) => e.stage), ['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
      assert.deepEqual(sink2.of('exec-1')[1]!.responseStatus, { metadata: {}, code: 101 });
      assert.deepEqual(sink2.of('exec-1')[2]!.objectRef, { resource: 'pods', namespace: 'default', name: 'p', apiVersion: 'v1', subresource: 'exec' });
      await upgrade('/api/v1/namespaces/default/refused/p', 'exec-2');
      await poll(() => sink2.of('exec-2').length === 3, 'audit events', { intervalMs: 5 });
      assert.deepEqual(sink2.of('exec-2')[2]!.responseStatus, { metadata: {}, status: 'Failure', message: 'pods "refused" not found', reason: 'NotFound', code: 404 });
    } finally {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});
