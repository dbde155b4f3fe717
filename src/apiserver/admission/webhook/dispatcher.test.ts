import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource, type KubeObject } from '../../../api/index.ts';
import { ApiError } from '../../status.ts';
import type { AdmissionAttributes } from '../chain.ts';
import { AdmissionWebhooks } from './dispatcher.ts';
import { patchResponse, startWebhookServer, type WebhookServer } from './testing.ts';

const pods = findResource('v1', 'pods')!;

function podAttrs(labels: Record<string, string> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE', resource: pods, subresource: '', namespace: 'team', name: 'web',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'team', labels }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } as KubeObject,
    oldObject: undefined, dryRun: false, user: 'alice', groups: ['devs', 'system:authenticated'],
    userInfo: { name: 'alice', groups: ['devs', 'system:authenticated'] }, warnings: [], auditAnnotations: {},
  };
}

function config(kind: 'mutating' | 'validating', name: string, server: WebhookServer, extra: Record<string, unknown> = {}, path = '/'): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: kind === 'mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [{
      name: `${name}.example.com`, sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', timeoutSeconds: 10,
      clientConfig: { url: server.url + path, caBundle: server.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
      ...extra,
    }],
  } as unknown as KubeObject;
}

const noLookup = { get: async () => undefined };

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected the request to be refused');
}

describe('admission webhooks', () => {
  let server: WebhookServer;
  before(async () => {
    server = await startWebhookServer((req, path) => {
      if (path === '/sidecar') return patchResponse([{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox' } }]);
      if (path === '/deny') return { allowed: false, status: { message: 'label team is required' } };
      if (path === '/deny403') return { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' } };
      if (path === '/warn') return { allowed: true, warnings: ['be careful'], auditAnnotations: { seen: 'yes' } };
      if (path === '/hang') return 'hang';
      if (path === '/mergepatch') return { allowed: true, patchType: 'MergePatch', patch: Buffer.from('{}').toString('base64') };
      return { allowed: req.operation === 'CREATE' };
    });
  });
  after(() => server.close());

  test('a mutating webhook gets an AdmissionReview v1 and its JSONPatch adds a container', async () => {
    const hooks = new AdmissionWebhooks({ mutating: () => [config('mutating', 'inject', server, {}, '/sidecar')], validating: () => [] }, noLookup);
    const a = podAttrs();
    const obj = a.object!;
    server.requests.length = 0;
    await hooks.admit(a);
    assert.equal(a.object, obj, 'the object is changed in place');
    assert.deepEqual((obj.spec as { containers: { name: string }[] }).containers.map((c) => c.name), ['app', 'sidecar']);
    const r = server.requests[0]!.request;
    assert.equal(r.operation, 'CREATE');
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(r.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(r.namespace, 'team');
    assert.equal(r.name, 'web');
    assert.equal(r.userInfo.username, 'alice');
    assert.deepEqual(r.userInfo.groups, ['devs', 'system:authenticated']);
    assert.equal(r.oldObject, null);
    assert.equal(r.dryRun, false);
    assert.deepEqual(r.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' });
    assert.match(r.uid, /^[0-9a-f-]{36}$/);
  });

  test('a refusal carries the webhook message with code 400, or the code the webhook gave', async () => {
    const deny = new AdmissionWebhooks({ mutating: () => [], validating: () => [config('validating', 'policy', server, {}, '/deny')] }, noLookup);
    const e = await refusal(deny.validate(podAttrs()));
    assert.equal(e.code, 400);
    assert.equal(e.message, 'admission webhook "policy.example.com" denied the request: label team is required');
    const deny403 = new AdmissionWebhooks({ mutating: () => [], validating: () => [config('validating', 'policy', server, {}, '/deny403')] }, noLookup);
    const f = await refusal(deny403.validate(podAttrs()));
    assert.equal(f.code, 403);
    assert.equal(f.reason, 'Forbidden');
  });

  test('warnings become Warning headers and audit annotations are prefixed with the webhook name', async () => {
    const hooks = new AdmissionWebhooks({ mutating: () => [], validating: () => [config('validating', 'w', server, {}, '/warn')] }, noLookup);
    const a = podAttrs();
    await hooks.validate(a);
    assert.deepEqual(a.warnings, ['be careful']);
    assert.deepEqual(a.auditAnnotations, { 'w.example.com/seen': 'yes' });
  });

  test('a webhook that does not answer in timeoutSeconds: Ignore lets the request through, Fail refuses it', async () => {
    const ignore = new AdmissionWebhooks({ mutating: () => [], validating: () => [config('validating', 'slow', server, { timeoutSeconds: 1, failurePolicy: 'Ignore' }, '/hang')] }, noLookup);
    await ignore.validate(podAttrs());
    const fail = new AdmissionWebhooks({ mutating: () => [], validating: () => [config('validating', 'slow', server, { timeoutSeconds: 1 }, '/hang')] }, noLookup);
    const e = await refusal(fail.validate(podAttrs()));
    assert.equal(e.code, 500);
    assert.equal(e.reason, 'InternalError');
    assert.equal(e.message, `Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "${server.url}/hang?timeout=1s": context deadline exceeded`);
  });

  test('a server the caBundle does not vouch for is a failed call', async () => {
    const other = await startWebhookServer(() => ({ allowed: true }));
    try {
      const cfg = config('validating', 'tls', server, { clientConfig: { url: server.url, caBundle: other.caBundle } });
      const hooks = new AdmissionWebhooks({ mutating: () => [], validating: () => [cfg] }, noLookup);
      const e = await refusal(hooks.validate(podAttrs()));
      assert.match(e.message, /^Internal error occurred: failed calling webhook "tls.example.com": failed to call webhook: Post ".*": tls: failed to verify certificate: x509: certificate signed by unknown authority$/);
    } finally {
      await other.close();
    }
  });

  test('only JSONPatch patches are applied; another patch type fails the call', async () => {
    const hooks = new AdmissionWebhooks({ mutating: () => [config('mutating', 'm', server, {}, '/mergepatch')], validating: () => [] }, noLookup);
    const e = await refusal(hooks.admit(podAttrs()));
    assert.equal(e.message, 'Internal error occurred: failed calling webhook "m.example.com": unsupported patch type "MergePatch"');
  });

  test('objectSelector, namespaceSelector and matchConditions decide whether the webhook is called', async () => {
    const lookup = { get: async (_r: string, _ns: string, name: string) => ({ metadata: { name, labels: { env: name === 'team' ? 'prod' : 'dev' } } }) as KubeObject };
    const cases: [Record<string, unknown>, Record<string, string>, boolean][] = [
      [{ objectSelector: { matchLabels: { inject: 'true' } } }, {}, false],
      [{ objectSelector: { matchLabels: { inject: 'true' } } }, { inject: 'true' }, true],
      [{ namespaceSelector: { matchLabels: { env: 'dev' } } }, {}, false],
      [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } }, {}, true],
      [{ matchConditions: [{ name: 'not-web', expression: "object.metadata.name != 'web'" }] }, {}, false],
      [{ matchConditions: [{ name: 'is-web', expression: "object.metadata.name == 'web' && request.userInfo.username == 'alice'" }] }, {}, true],
    ];
    for (const [extra, labels, called] of cases) {
      const hooks = new AdmissionWebhooks({ mutating: () => [config('mutating', 'sel', server, extra, '/sidecar')], validating: () => [] }, lookup);
      const a = podAttrs(labels);
      await hooks.admit(a);
      assert.equal((a.object!.spec as { containers: unknown[] }).containers.length, called ? 2 : 1, JSON.stringify(extra));
    }
  });

  test('reinvocationPolicy IfNeeded calls a webhook again after a later one changed the object', async () => {
    const first = config('mutating', 'a-first', server, { reinvocationPolicy: 'IfNeeded' }, '/allow');
    const second = config('mutating', 'b-second', server, {}, '/sidecar');
    const hooks = new AdmissionWebhooks({ mutating: () => [second, first], validating: () => [] }, noLookup);
    server.requests.length = 0;
    await hooks.admit(podAttrs());
    assert.deepEqual(server.requests.map((r) => r.path), ['/allow', '/sidecar', '/allow']);
    const last = server.requests[2]!.request.object as { spec: { containers: unknown[] } };
    assert.equal(last.spec.containers.length, 2);
  });

  test('webhook configurations themselves are never sent to webhooks', async () => {
    const all = config('validating', 'all', server, { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }, '/deny');
    const hooks = new AdmissionWebhooks({ mutating: () => [], validating: () => [all] }, noLookup);
    const a = { ...podAttrs(), resource: findResource('admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations')!, namespace: '' };
    await hooks.validate(a);
    await refusal(hooks.validate(podAttrs()));
  });

  test('clientConfig.service: the call goes to a ready endpoint of the Service, verified as <name>.<namespace>.svc', async () => {
    const svcHook = await startWebhookServer(() => ({ allowed: false, status: { message: 'via service' } }), ['hook.webhooks.svc']);
    try {
      const objects: Record<string, unknown> = {
        'services/webhooks/hook': { metadata: { name: 'hook', namespace: 'webhooks' }, spec: { ports: [{ name: 'https', port: 443, targetPort: svcHook.port }] } },
        'endpoints/webhooks/hook': { subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: svcHook.port }] }] },
      };
      const lookup = { get: async (r: string, ns: string, n: string) => objects[`${r}/${ns}/${n}`] as KubeObject | undefined };
      const cfg = config('validating', 'svc', server, { clientConfig: { service: { name: 'hook', namespace: 'webhooks', port: 443, path: '/check' }, caBundle: svcHook.caBundle } });
      const hooks = new AdmissionWebhooks({ mutating: () => [], validating: () => [cfg] }, lookup);
      const e = await refusal(hooks.validate(podAttrs()));
      assert.equal(e.message, 'admission webhook "svc.example.com" denied the request: via service');
      assert.equal(svcHook.requests[0]!.path, '/check');
      delete objects['endpoints/webhooks/hook'];
      const down = await refusal(hooks.validate(podAttrs()));
      assert.equal(down.message, 'Internal error occurred: failed calling webhook "svc.example.com": no endpoints available for service "hook"');
    } finally {
      await svcHook.close();
    }
  });
});
