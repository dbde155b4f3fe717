/**
 * CustomResourceDefinitions through the real kubectl: the `CronTab` CRD of Kubernetes' documentation ("Extend
 * the Kubernetes API with CustomResourceDefinitions", with its validation, printer columns, a CEL rule and the
 * status and scale subresources added) is served as soon as it is Established: `kubectl get crontabs` and
 * `kubectl get ct` print its columns, `kubectl get all` includes it (category `all`), schema and CEL violations
 * are refused with upstream's messages, unknown fields are pruned (or refused under strict field validation),
 * `kubectl explain crontab.spec` reads its OpenAPI schema, scale and status work, strategic merge is refused,
 * `@kubernetes/client-node`'s informer watches it, and `kubectl delete crd` deletes the objects and the resource.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';

let server: ServerHandle;

before(async () => {
  server = await startServer({ runtime: 'fake', storage: 'memory', noAgent: true });
});
after(async () => {
  await server?.stop();
});

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
              - rule: "!has(self.image) || !self.image.startsWith('bad/')"
                message: images from bad/ are not allowed
              properties:
                cronSpec:
                  type: string
                  pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                image:
                  type: string
                replicas:
                  type: integer
                  minimum: 1
                  maximum: 10
                  default: 1
            status:
              type: object
              properties:
                replicas:
                  type: integer
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.replicas
      additionalPrinterColumns:
      - name: Spec
        type: string
        description: The cron spec defining the interval a CronJob is run
        jsonPath: .spec.cronSpec
      - name: Replicas
        type: integer
        description: The number of jobs launched by the CronJob
        jsonPath: .spec.replicas
      - name: Age
        type: date
        jsonPath: .metadata.creationTimestamp
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
    categories:
    - all
`;

const crontab = (name: string, spec: string) => `apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: ${name}
spec:
${spec}`;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('the CronTab CRD is created, Established, and its objects are served, validated, pruned and printed', async () => {
  await ok(['apply', '-f', '-'], CRD);
  await ok(['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=30s']);
  const crd = JSON.parse(await ok(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
  assert.deepEqual(crd.status.acceptedNames.shortNames, ['ct']);
  assert.deepEqual(crd.status.storedVersions, ['v1']);
  assert.ok(crd.metadata.finalizers.includes('customresourcecleanup.apiextensions.k8s.io'));
  assert.equal(crd.status.conditions.find((c: { type: string }) => c.type === 'NamesAccepted').reason, 'NoConflicts');

  await ok(['apply', '-f', '-'], crontab('my-new-cron-object', '  cronSpec: "* * * * */5"\n  image: my-awesome-cron-image\n  replicas: 2\n'));
  const table = await ok(['get', 'crontabs']);
  assert.match(table, /^NAME\s+SPEC\s+REPLICAS\s+AGE\n/);
  assert.match(table, /my-new-cron-object\s+\* \* \* \* \*\/5\s+2\s+\d+s/);
  // The same table but for the AGE, which may have moved on by a second in between.
  const withoutAge = (t: string) => t.replace(/\d+s\n$/, '\n');
  assert.equal(withoutAge(await ok(['get', 'ct'])), withoutAge(table), 'the short name resolves to the same resource');
  assert.match(await ok(['get', 'all']), /crontab\.stable\.example\.com\/my-new-cron-object/);
  // Field selectors on metadata.name, label selectors.
  assert.match(await ok(['get', 'ct', '--field-selector', 'metadata.name=my-new-cron-object', '-o', 'name']), /my-new-cron-object/);
  assert.equal((await ok(['get', 'ct', '-l', 'app=none', '-o', 'name'])).trim(), '');

  // Schema violations, in upstream's words.
  const bad = await server.kubectl(['apply', '-f', '-'], { input: crontab('bad', '  cronSpec: "* * * *"\n  replicas: 15\n') });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The CronTab "bad" is invalid/);
  assert.match(bad.stderr, /spec\.cronSpec: Invalid value: "\* \* \* \*": spec\.cronSpec in body should match/);
  assert.match(bad.stderr, /spec\.replicas: Invalid value: 15: spec\.replicas in body should be less than or equal to 10/);
  const wrongType = await server.kubectl(['apply', '-f', '-'], { input: crontab('bad', '  replicas: "two"\n') });
  assert.match(wrongType.stderr, /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer: "string"/);

  // The CEL rule.
  const cel = await server.kubectl(['apply', '-f', '-'], { input: crontab('bad', '  cronSpec: "* * * * *"\n  image: bad/image\n') });
  assert.notEqual(cel.code, 0);
  assert.match(cel.stderr, /spec: Invalid value: "object": images from bad\/ are not allowed/);

  // Unknown fields: refused under kubectl's default strict validation, pruned without it; defaults filled in.
  const unknown = crontab('pruned', '  cronSpec: "* * * * *"\n  someRandomField: 42\n') + 'extra: true\n';
  const strict = await server.kubectl(['create', '-f', '-'], { input: unknown });
  assert.match(strict.stderr, /strict decoding error: unknown field "extra", unknown field "spec\.someRandomField"/);
  const pruned = JSON.parse(await ok(['create', '--validate=false', '-f', '-', '-o', 'json'], unknown));
  assert.deepEqual(pruned.spec, { cronSpec: '* * * * *', replicas: 1 });
  assert.equal(pruned.extra, undefined);

  // status and scale subresources: the main resource ignores status, /status ignores spec.
  await ok(['patch', 'ct', 'pruned', '--type=merge', '-p', '{"status":{"replicas":7}}']);
  assert.equal(JSON.parse(await ok(['get', 'ct', 'pruned', '-o', 'json'])).status, undefined);
  await ok(['patch', 'ct', 'pruned', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":7},"spec":{"replicas":9}}']);
  let obj = JSON.parse(await ok(['get', 'ct', 'pruned', '-o', 'json']));
  assert.deepEqual([obj.spec.replicas, obj.status.replicas], [1, 7]);
  await ok(['scale', 'ct', 'pruned', '--replicas=4']);
  obj = JSON.parse(await ok(['get', 'ct', 'pruned', '-o', 'json']));
  assert.equal(obj.spec.replicas, 4);
  assert.equal(obj.metadata.generation, 2);

  // JSON patch works; strategic merge is refused as upstream refuses it for custom resources.
  await ok(['patch', 'ct', 'pruned', '--type=json', '-p', '[{"op":"replace","path":"/spec/cronSpec","value":"0 * * * *"}]']);
  const smp = await server.kubectl(['patch', 'ct', 'pruned', '--type=strategic', '-p', '{"spec":{"replicas":3}}']);
  assert.notEqual(smp.code, 0);
  assert.match(smp.stderr, /the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/);

  // kubectl explain reads the OpenAPI v3 schema.
  const explain = await ok(['explain', 'crontab.spec']);
  assert.match(explain, /GROUP:\s+stable\.example\.com\nKIND:\s+CronTab\nVERSION:\s+v1/);
  assert.match(explain, /cronSpec\s+<string>/);
  assert.match(explain, /replicas\s+<integer>/);
});

const WIDGETS = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}
`;

test('a cluster-scoped CRD with two versions: conversion None, server-side apply, RBAC, and a CRD whose names conflict', async () => {
  await ok(['apply', '-f', '-'], WIDGETS);
  await ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);
  await ok(['apply', '-f', '-'], 'apiVersion: example.com/v1beta1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n  any: {thing: [1, 2]}\n');
  const v1 = JSON.parse(await ok(['get', 'widgets.v1.example.com', 'w1', '-o', 'json']));
  assert.equal(v1.apiVersion, 'example.com/v1');
  assert.deepEqual(v1.spec, { size: 3, any: { thing: [1, 2] } }, 'preserve-unknown-fields keeps everything');
  assert.equal(v1.metadata.namespace, undefined);
  const beta = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1beta1/widgets']));
  assert.deepEqual(beta.items.map((i: { apiVersion: string }) => i.apiVersion), ['example.com/v1beta1']);
  // Discovery prefers the GA version.
  const group = JSON.parse(await ok(['get', '--raw', '/apis/example.com']));
  assert.equal(group.preferredVersion.version, 'v1');

  // Server-side apply: twice is a no-op.
  const applied = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\nspec:\n  size: 1\n';
  await ok(['apply', '--server-side', '-f', '-'], applied);
  const rv = JSON.parse(await ok(['get', 'widget', 'w2', '-o', 'json'])).metadata.resourceVersion;
  await ok(['apply', '--server-side', '-f', '-'], applied);
  assert.equal(JSON.parse(await ok(['get', 'widget', 'w2', '-o', 'json'])).metadata.resourceVersion, rv);

  // RBAC treats the custom resource as any other.
  await ok(['create', 'clusterrole', 'widget-reader', '--verb=get,list,watch', '--resource=widgets.example.com']);
  await ok(['create', 'clusterrolebinding', 'widget-reader', '--clusterrole=widget-reader', '--user=alice']);
  await untilWith(async () => (await server.kubectl(['get', 'widgets', '--as=alice'])).code === 0, 'alice to read widgets', { timeoutMs: 30_000, intervalMs: 200 });
  const denied = await server.kubectl(['delete', 'widget', 'w1', '--as=alice']);
  assert.match(denied.stderr, /widgets\.example\.com "w1" is forbidden: User "alice" cannot delete resource "widgets" in API group "example\.com" at the cluster scope/);

  // A CRD whose kind another resource of the group has is not accepted.
  await ok(['apply', '-f', '-'], WIDGETS.replaceAll('widgets', 'gadgets').replace('singular: widget', 'singular: gadget'));
  const cond = await untilWith(async () => {
    const crd = JSON.parse(await ok(['get', 'crd', 'gadgets.example.com', '-o', 'json']));
    return crd.status?.conditions?.find((c: { type: string }) => c.type === 'NamesAccepted');
  }, 'the NamesAccepted condition', { timeoutMs: 30_000, intervalMs: 200 });
  assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'KindConflict', '"Widget" is already in use']);
  assert.match((await server.kubectl(['get', '--raw', '/apis/example.com/v1/gadgets'])).stderr, /NotFound|not found/);
  await ok(['delete', 'crd', 'gadgets.example.com', 'widgets.example.com', '--timeout=60s']);
});

test('client-node watches a custom resource through an informer', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const target = { group: 'stable.example.com', version: 'v1', namespace: 'default', plural: 'crontabs' };
  const seen: string[] = [];
  type CronTab = k8s.KubernetesObject & { spec?: { image?: string } };
  const informer = k8s.makeInformer<CronTab>(kc, '/apis/stable.example.com/v1/namespaces/default/crontabs', () => custom.listNamespacedCustomObject(target));
  informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.spec?.image ?? ''}`));
  informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
  await informer.start();
  try {
    await custom.createNamespacedCustomObject({ ...target, body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'watched' }, spec: { cronSpec: '* * * * *' } } });
    await custom.patchNamespacedCustomObject({ ...target, name: 'watched', body: { spec: { image: 'v2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await custom.deleteNamespacedCustomObject({ ...target, name: 'watched' });
    await untilWith(() => seen.includes('delete watched'), 'the informer to see the delete', { timeoutMs: 30_000, intervalMs: 50 });
    const mine = seen.filter((s) => s.includes('watched'));
    assert.deepEqual(mine, ['add watched', 'update watched v2', 'delete watched']);
  } finally {
    await informer.stop();
  }
});

test('custom resources are garbage-collected: a CronTab owned by a deleted CronTab goes', async () => {
  const owner = JSON.parse(await ok(['create', '-f', '-', '-o', 'json'], crontab('owner', '  cronSpec: "* * * * *"\n')));
  const dependent = crontab('dependent', '  cronSpec: "* * * * *"\n').replace('metadata:\n', `metadata:\n  ownerReferences:\n  - apiVersion: stable.example.com/v1\n    kind: CronTab\n    name: owner\n    uid: ${owner.metadata.uid}\n`);
  await ok(['create', '-f', '-'], dependent);
  await ok(['delete', 'ct', 'owner']);
  await untilWith(async () => (await server.kubectl(['get', 'ct', 'dependent'])).stderr.includes('NotFound'), 'the dependent CronTab to be collected', { timeoutMs: 60_000, intervalMs: 500 });
});

test('kubectl delete crd deletes its objects, then the CRD, and the resource stops being served', async () => {
  assert.notEqual((await ok(['get', 'ct', '-o', 'name'])).trim(), '');
  // An object with a finalizer holds the CRD in Terminating: new objects are refused meanwhile.
  await ok(['create', '-f', '-'], crontab('held', '  cronSpec: "* * * * *"\n').replace('metadata:\n', 'metadata:\n  finalizers: [example.com/hold]\n'));
  await ok(['delete', 'crd', 'crontabs.stable.example.com', '--wait=false']);
  await untilWith(async () => {
    const crd = JSON.parse(await ok(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
    return crd.status.conditions.some((c: { type: string; reason: string }) => c.type === 'Terminating' && c.reason === 'InstanceDeletionInProgress');
  }, 'the CRD to be Terminating', { timeoutMs: 30_000, intervalMs: 200 });
  const refused = await server.kubectl(['create', '-f', '-'], { input: crontab('late', '  cronSpec: "* * * * *"\n') });
  assert.match(refused.stderr, /create not allowed while custom resource definition is terminating/);
  await ok(['patch', 'ct', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await ok(['wait', '--for=delete', 'crd/crontabs.stable.example.com', '--timeout=60s']);
  const gone = await server.kubectl(['get', 'crontabs']);
  assert.notEqual(gone.code, 0);
  // kubectl's discovery cache may still name the resource; the server answers 404 either way.
  assert.match(gone.stderr, /the server doesn't have a resource type "crontabs"|the server could not find the requested resource/);
  const raw = await server.kubectl(['get', '--raw', '/apis/stable.example.com/v1/namespaces/default/crontabs']);
  assert.match(raw.stderr, /NotFound|not found/);
  // Created again, the CRD serves an empty resource: the objects were deleted, not left in storage.
  await ok(['apply', '-f', '-'], CRD);
  await ok(['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=30s']);
  await untilWith(async () => (await server.kubectl(['get', 'ct', '-A', '-o', 'name'])).code === 0, 'crontabs to be served again', { timeoutMs: 30_000, intervalMs: 200 });
  assert.equal((await ok(['get', 'ct', '-A', '-o', 'name'])).trim(), '');
});

test('with sqlite, custom resources and their CRD survive a restart and are served as soon as the server is ready', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kubeling-crd-'));
  let s2: ServerHandle | undefined;
  try {
    s2 = await startServer({ runtime: 'fake', storage: 'sqlite', noAgent: true, dataDir });
    const run = async (srv: ServerHandle, args: string[], input?: string) => {
      const r = await srv.kubectl(args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await run(s2, ['apply', '-f', '-'], CRD);
    await run(s2, ['wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=30s']);
    await run(s2, ['apply', '-f', '-'], crontab('kept', '  cronSpec: "* * * * *"\n  replicas: 3\n'));
    const port = s2.port;
    assert.equal(await s2.stop(), 0);
    s2 = await startServer({ runtime: 'fake', storage: 'sqlite', noAgent: true, dataDir, port });
    assert.match(await run(s2, ['get', 'ct', 'kept', '--no-headers']), /^kept\s+\* \* \* \* \*\s+3\s+/);
  } finally {
    await s2?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
