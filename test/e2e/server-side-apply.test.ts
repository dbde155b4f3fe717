/**
 * Server-side apply with field managers, end to end through the real kubectl 1.32 on `kubeling server
 * --runtime fake`: `kubectl apply --server-side` twice changes nothing (same resourceVersion); a second field
 * manager applying another value for an owned field conflicts (409, upstream's message naming the owner and
 * the field) until `--force-conflicts`; a field dropped from the applied configuration goes away; `kubectl get
 * -o yaml --show-managed-fields` shows every manager with its fields (and kubectl hides them without the flag
 * although the server always returns them); `kubectl scale` owns spec.replicas as manager `kubectl` on the
 * `scale` subresource; client-side apply records `kubectl-client-side-apply` and migrates to server-side apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

interface Entry { manager: string; operation: string; apiVersion: string; subresource?: string; time?: string; fieldsV1: Record<string, unknown> }

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, { input, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${labels ? `  labels: ${JSON.stringify(labels)}\n` : ''}data: ${JSON.stringify(data)}
`;

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
`;

const managed = async (resource: string, name: string): Promise<Entry[]> =>
  ((await client.resource<KubeObject>(resource, 'default').get(name)).metadata?.managedFields ?? []) as unknown as Entry[];

test('kubectl apply --server-side twice changes nothing; the applier owns exactly what it applied', async () => {
  const cm = configMap('twice', { a: '1', b: '2' }, { team: 'x' });
  assert.match(await kubectlOk(['apply', '--server-side', '-f', '-'], cm), /configmap\/twice serverside-applied/);
  const first = await client.resource<KubeObject>('configmaps', 'default').get('twice');
  await kubectlOk(['apply', '--server-side', '-f', '-'], cm);
  const second = await client.resource<KubeObject>('configmaps', 'default').get('twice');
  assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion, 'a repeated apply writes nothing');
  assert.deepEqual(second.metadata?.managedFields, first.metadata?.managedFields);
  const entries = await managed('configmaps', 'twice');
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.manager, 'kubectl');
  assert.equal(entries[0]!.operation, 'Apply');
  assert.equal(entries[0]!.apiVersion, 'v1');
  assert.deepEqual(entries[0]!.fieldsV1, { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } });
});

test('a second manager conflicts until --force-conflicts; --show-managed-fields shows both managers', async () => {
  await kubectlOk(['apply', '--server-side', '-f', '-'], configMap('shared', { a: '1', b: '2' }));
  const other = configMap('shared', { a: 'changed' });
  const refused = await server.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], { input: other });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.data\.a/);
  assert.equal((await client.resource<KubeObject>('configmaps', 'default').get('shared') as { data?: Record<string, string> }).data?.a, '1');

  await kubectlOk(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], other);
  const cm = await client.resource<KubeObject>('configmaps', 'default').get('shared') as KubeObject & { data?: Record<string, string> };
  assert.deepEqual(cm.data, { a: 'changed', b: '2' });

  const shown = parseYaml(await kubectlOk(['get', 'configmap', 'shared', '-o', 'yaml', '--show-managed-fields'])) as KubeObject;
  const byManager = Object.fromEntries((shown.metadata?.managedFields as unknown as Entry[]).map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager, { kubectl: { 'f:data': { 'f:b': {} } }, other: { 'f:data': { 'f:a': {} } } }, 'forcing took .data.a from kubectl');
  const hidden = parseYaml(await kubectlOk(['get', 'configmap', 'shared', '-o', 'yaml'])) as KubeObject;
  assert.equal(hidden.metadata?.managedFields, undefined, 'kubectl hides managedFields without the flag');
  assert.equal((await managed('configmaps', 'shared')).length, 2, 'the server returns them always');
});

test('a field dropped from the applied configuration goes away; one another manager owns stays', async () => {
  await kubectlOk(['apply', '--server-side', '-f', '-'], configMap('drop', { a: '1', b: '2', c: '3' }, { keep: 'y', gone: 'y' }));
  // `other` applies the same value of c: shared ownership, no conflict.
  await kubectlOk(['apply', '--server-side', '--field-manager=other', '-f', '-'], configMap('drop', { c: '3' }));
  await kubectlOk(['apply', '--server-side', '-f', '-'], configMap('drop', { a: '1' }, { keep: 'y' }));
  const cm = await client.resource<KubeObject>('configmaps', 'default').get('drop') as KubeObject & { data?: Record<string, string> };
  assert.deepEqual(cm.data, { a: '1', c: '3' }, 'b went; c stayed because other still applies it');
  assert.deepEqual(cm.metadata?.labels, { keep: 'y' });
});

test('kubectl scale owns spec.replicas on the scale subresource; an apply of replicas then conflicts with "kubectl"', async () => {
  await kubectlOk(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment('web', 1));
  await kubectlOk(['scale', 'deployment/web', '--replicas=3']);
  const scaled = (await managed('deployments', 'web')).find((e) => e.subresource === 'scale');
  assert.ok(scaled, 'a scale entry');
  assert.equal(scaled.manager, 'kubectl');
  assert.equal(scaled.operation, 'Update');
  assert.deepEqual(scaled.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  const refused = await server.kubectl(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], { input: deployment('web', 2) });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);

  // Dropping env B from the configuration removes it from the container; A stays.
  await kubectlOk(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment('web', 3).replace(/\s+- \{name: B, value: "2"\}/, ''));
  const d = await client.resource<KubeObject>('deployments', 'default').get('web') as KubeObject & { spec: { template: { spec: { containers: { env?: { name: string }[] }[] } } } };
  assert.deepEqual(d.spec.template.spec.containers[0]!.env?.map((e) => e.name), ['A']);
});

test('client-side apply records kubectl-client-side-apply, and a server-side apply of the same configuration takes over without conflict', async () => {
  const cm = configMap('csa', { a: '1' });
  await kubectlOk(['apply', '-f', '-'], cm);
  const before = await managed('configmaps', 'csa');
  assert.deepEqual(before.map((e) => [e.manager, e.operation]), [['kubectl-client-side-apply', 'Update']]);
  assert.ok((before[0]!.fieldsV1['f:data'] as Record<string, unknown>)['f:a'], 'the client-side applier owns data.a');
  // A second client-side apply changing the value keeps one entry for the manager.
  await kubectlOk(['apply', '-f', '-'], configMap('csa', { a: '2' }));
  assert.equal((await managed('configmaps', 'csa')).length, 1);

  await kubectlOk(['apply', '--server-side', '-f', '-'], configMap('csa', { a: '3' }));
  const after = await managed('configmaps', 'csa');
  const apply = after.find((e) => e.operation === 'Apply' && e.manager === 'kubectl');
  assert.ok(apply, JSON.stringify(after));
  assert.ok((apply.fieldsV1['f:data'] as Record<string, unknown>)['f:a'], 'kubectl now owns data.a');
  assert.ok(!after.some((e) => e.manager === 'kubectl-client-side-apply' && (e.fieldsV1['f:data'] as Record<string, unknown> | undefined)?.['f:a']), `migrated: ${JSON.stringify(after)}`);
  const cmNow = await client.resource<KubeObject>('configmaps', 'default').get('csa') as KubeObject & { data?: Record<string, string> };
  assert.equal(cmNow.data?.a, '3');
  // And the client-side apply annotation follows the server-side apply.
  const lastApplied = JSON.parse(cmNow.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as { data?: Record<string, string> };
  assert.equal(lastApplied.data?.a, '3');
});

// A CRD whose spec has a `map` list keyed by name, a `set` of strings, an `atomic` list and an atomic map.
const LISTS_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: pipelines.lists.example.com
spec:
  group: lists.example.com
  scope: Namespaced
  names: {plural: pipelines, singular: pipeline, kind: Pipeline}
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
            properties:
              steps:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    image: {type: string}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
              args:
                type: array
                x-kubernetes-list-type: atomic
                items: {type: string}
              env:
                type: object
                x-kubernetes-map-type: atomic
                additionalProperties: {type: string}
`;

const pipeline = (spec: string) => `apiVersion: lists.example.com/v1\nkind: Pipeline\nmetadata:\n  name: p\nspec:\n${spec}`;

test('on a custom resource, list-type map and set are merged per item between managers; atomic lists and maps are owned whole', async () => {
  await kubectlOk(['apply', '-f', '-'], LISTS_CRD);
  await kubectlOk(['wait', '--for=condition=Established', 'crd/pipelines.lists.example.com', '--timeout=30s']);
  const get = async () => JSON.parse(await kubectlOk(['get', 'pipeline', 'p', '-o', 'json', '--show-managed-fields'])) as KubeObject & { spec: Record<string, unknown> };
  const spec = async () => (await get()).spec;
  // The resource is served a moment after Established in discovery: retry the first apply.
  const first = pipeline('  steps: [{name: build, image: "b:1"}]\n  tags: [a]\n  args: ["x"]\n  env: {A: "1"}\n');
  await until(async () => (await server.kubectl(['apply', '--server-side', '--field-manager=alice', '-f', '-'], { input: first })).code === 0, 'the first apply of a pipeline', 30_000);

  // Another manager adds its own step and tag: both keep theirs, nobody conflicts.
  await kubectlOk(['apply', '--server-side', '--field-manager=bob', '-f', '-'], pipeline('  steps: [{name: test, image: "t:1"}]\n  tags: [b]\n'));
  let s = await spec();
  assert.deepEqual(s.steps, [{ name: 'build', image: 'b:1' }, { name: 'test', image: 't:1' }]);
  assert.deepEqual(s.tags, ['a', 'b']);
  const entries = ((await get()).metadata?.managedFields ?? []) as unknown as Entry[];
  const bob = entries.find((e) => e.manager === 'bob')!;
  assert.deepEqual(bob.fieldsV1, { 'f:spec': { 'f:steps': { 'k:{"name":"test"}': { '.': {}, 'f:image': {}, 'f:name': {} } }, 'f:tags': { 'v:"b"': {} } } });

  // Alice applies again without bob's items: bob's stay.
  await kubectlOk(['apply', '--server-side', '--field-manager=alice', '-f', '-'], first);
  s = await spec();
  assert.deepEqual(s.steps, [{ name: 'build', image: 'b:1' }, { name: 'test', image: 't:1' }]);

  // An atomic list and an atomic map: another manager's different value conflicts on the whole field.
  const refused = await server.kubectl(['apply', '--server-side', '--field-manager=bob', '-f', '-'], { input: pipeline('  args: ["y"]\n  env: {B: "2"}\n') });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Apply failed with 2 conflicts: conflicts with "alice":\n- \.spec\.args\n- \.spec\.env/);
  // Forced, bob's list and map replace alice's whole.
  await kubectlOk(['apply', '--server-side', '--field-manager=bob', '--force-conflicts', '-f', '-'], pipeline('  args: ["y"]\n  env: {B: "2"}\n'));
  s = await spec();
  assert.deepEqual(s.args, ['y']);
  assert.deepEqual(s.env, { B: '2' });
  await kubectlOk(['delete', 'crd', 'pipelines.lists.example.com', '--timeout=60s']);
});
