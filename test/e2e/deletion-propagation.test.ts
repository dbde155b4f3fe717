/**
 * Cascading deletion and namespace deletion through the real kubectl (`kubeling server`, fake runtime):
 * `--cascade=foreground` leaves the Deployment visible, with deletionTimestamp and the foregroundDeletion
 * finalizer, until its ReplicaSet and pods are gone; `--cascade=orphan` leaves the ReplicaSet (and its pods)
 * without the reference to the Deployment; a namespace whose ConfigMap has a finalizer stays Terminating with
 * NamespaceFinalizersRemaining until the finalizer is removed. One pod (one ConfigMap) holds a finalizer of
 * the test's own, so what waits on it can be observed without racing the kubelet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Namespace, Pod, ReplicaSet } from '../../src/api/index.ts';
import type { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { getJson, workloadYaml } from './helpers/workloads.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rolledOut(name: string, replicas: number): Promise<void> {
  await kubectl(['apply', '-f', '-'], workloadYaml({ name, replicas }));
  await kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s']);
}

const podsOf = async (app: string) => (await client.resource<Pod>('pods', 'default').list({ labelSelector: `app=${app}` })).items;
const replicaSetsOf = async (app: string) => (await client.resource<ReplicaSet>('replicasets', 'default').list({ labelSelector: `app=${app}` })).items;

test('kubectl delete --cascade=foreground: the Deployment stays, marked, until its ReplicaSet and pods are gone', async () => {
  await rolledOut('fg', 2);
  const [held] = await podsOf('fg');
  await kubectl(['patch', 'pod', held!.metadata!.name!, '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);

  const out = await kubectl(['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false']);
  assert.match(out, /deployment.apps "fg" deleted/);
  // The pod without our finalizer goes; the held one is marked and stays, so the ReplicaSet and the
  // Deployment wait for it.
  await until(async () => (await podsOf('fg')).length === 1 && (await podsOf('fg'))[0]!.metadata?.deletionTimestamp, 'the other pod gone, the held one marked', 60_000);
  const deploy = await getJson<Deployment>(server, ['deployment', 'fg']);
  assert.ok(deploy?.metadata?.deletionTimestamp, 'the Deployment is still visible, with deletionTimestamp');
  assert.deepEqual(deploy.metadata.finalizers, ['foregroundDeletion']);
  const [rs] = await replicaSetsOf('fg');
  assert.ok(rs?.metadata?.deletionTimestamp, 'the ReplicaSet is being deleted');
  assert.deepEqual(rs.metadata.finalizers, ['foregroundDeletion']);
  const listed = await kubectl(['get', 'deployment', 'fg', '--no-headers']);
  assert.match(listed, /^fg\s/);

  await kubectl(['patch', 'pod', held!.metadata!.name!, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await kubectl(['wait', '--for=delete', 'deployment/fg', '--timeout=60s']);
  assert.equal((await podsOf('fg')).length, 0);
  assert.equal((await replicaSetsOf('fg')).length, 0);
});

test('kubectl delete --cascade=orphan: the ReplicaSet and its pods stay, without the reference to the Deployment', async () => {
  await rolledOut('orph', 1);
  const out = await kubectl(['delete', 'deployment', 'orph', '--cascade=orphan']);
  assert.match(out, /deployment.apps "orph" deleted/);
  assert.equal(await getJson(server, ['deployment', 'orph']), undefined);
  const [rs] = await replicaSetsOf('orph');
  assert.ok(rs, 'the ReplicaSet is still there');
  assert.equal(rs.metadata?.ownerReferences, undefined);
  assert.equal(rs.metadata?.deletionTimestamp, undefined);
  const pods = await podsOf('orph');
  assert.equal(pods.length, 1);
  assert.equal(pods[0]!.metadata?.ownerReferences?.[0]?.uid, rs.metadata?.uid);
  await kubectl(['delete', 'replicaset', rs.metadata!.name!]);
  await until(async () => (await podsOf('orph')).length === 0, 'the orphaned pods gone with their ReplicaSet', 60_000);
});

test('a namespace with a ConfigMap that has a finalizer stays Terminating with NamespaceFinalizersRemaining until it is removed', async () => {
  await kubectl(['create', 'namespace', 'held']);
  await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: held, finalizers: [example.com/hold]}\ndata: {a: b}\n');
  await kubectl(['create', 'secret', 'generic', 's', '-n', 'held', '--from-literal=a=b']);
  await kubectl(['delete', 'namespace', 'held', '--wait=false']);
  const cond = (ns: Namespace | undefined, type: string) => ns?.status?.conditions?.find((c) => c.type === type);
  const ns = await until(async () => {
    const got = await getJson<Namespace>(server, ['namespace', 'held']);
    return cond(got, 'NamespaceFinalizersRemaining')?.status === 'True' ? got : undefined;
  }, 'NamespaceFinalizersRemaining', 60_000);
  assert.equal(ns.status?.phase, 'Terminating');
  assert.deepEqual(ns.spec?.finalizers, ['kubernetes']);
  assert.deepEqual(cond(ns, 'NamespaceFinalizersRemaining'), {
    type: 'NamespaceFinalizersRemaining', status: 'True', lastTransitionTime: cond(ns, 'NamespaceFinalizersRemaining')!.lastTransitionTime,
    reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
  });
  assert.equal(cond(ns, 'NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(cond(ns, 'NamespaceDeletionDiscoveryFailure')?.reason, 'ResourcesDiscovered');
  assert.equal(await getJson(server, ['secret', 's', '-n', 'held']), undefined);
  const described = await kubectl(['describe', 'namespace', 'held']);
  assert.match(described, /Status:\s+Terminating/);

  await kubectl(['patch', 'configmap', 'c', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await kubectl(['wait', '--for=delete', 'namespace/held', '--timeout=60s']);
});
