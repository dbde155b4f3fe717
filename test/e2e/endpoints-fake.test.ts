/**
 * EndpointSlices, Endpoints and LoadBalancer status through the real `kubeling server` (fake runtime: pods
 * get fake IPs and go Ready), driven by the real kubectl: a 3-replica Deployment behind a Service gets one
 * slice with 3 ready endpoints and Endpoints with 3 addresses; a deleted pod (held in Terminating by a
 * preStop sleep) leaves the ready set while it still runs; scaling to 0 empties both; a LoadBalancer Service
 * shows the node's InternalIP. The Services set targetPort and protocol themselves (no Service defaults yet).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Endpoints, Node, Pod, Service } from '../../src/api/index.ts';
import type { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { workloadYaml } from './helpers/workloads.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake' }, (s) => ({ server, client } = s));

const MANIFEST = `${workloadYaml({
  replicas: 3,
  container: { ports: [{ name: 'http', containerPort: 8080 }], lifecycle: { preStop: { sleep: { seconds: 4 } } } },
})}---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata:
  name: web-lb
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP, nodePort: 30080}]
`;

async function kubectlJson<T>(args: string[]): Promise<T> {
  const r = await server.kubectl([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const slicesOf = async (svc: string) =>
  (await kubectlJson<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`])).items;
const readyIPs = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0]!).sort();
const epAddresses = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();

test('a Deployment behind a Service: slices and Endpoints follow its pods; LoadBalancer status', async () => {
  const applied = await server.kubectl(['apply', '-f', '-'], { input: MANIFEST });
  assert.equal(applied.code, 0, applied.stderr);
  const status = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(status.code, 0, status.stderr);
  const podIPs = async () => (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=web' })).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP).map((p) => p.status!.podIP!).sort();
  const ips = await until(async () => ((await podIPs()).length === 3 ? podIPs() : undefined), 'three pod IPs');

  // One slice with the 3 pods, ready, on the named port's number.
  const slices = await until(async () => {
    const s = await slicesOf('web');
    return s.length === 1 && readyIPs(s).join() === ips.join() ? s : undefined;
  }, 'one slice with three ready endpoints');
  const [slice] = slices;
  assert.equal(slice!.addressType, 'IPv4');
  assert.equal(slice!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const svc = await kubectlJson<Service>(['get', 'service', 'web']);
  assert.deepEqual(slice!.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
  for (const e of slice!.endpoints ?? []) {
    assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e.targetRef?.kind, 'Pod');
    assert.ok(e.nodeName);
  }
  const ep = await until(async () => {
    const e = await kubectlJson<Endpoints>(['get', 'endpoints', 'web']);
    return epAddresses(e).join() === ips.join() ? e : undefined;
  }, 'Endpoints with three addresses');
  assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);

  // A pod change that changes no endpoint (an annotation) writes nothing: the objects as the server stores
  // them compare equal to what the controllers want (no write, so no echo event and no write loop).
  const sliceRv = (await slicesOf('web'))[0]!.metadata?.resourceVersion;
  const epRv = ep.metadata?.resourceVersion;
  const someone = (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=web' })).items[0]!.metadata!.name!;
  const annotated = await server.kubectl(['annotate', 'pod', someone, 'touched=yes']);
  assert.equal(annotated.code, 0, annotated.stderr);
  await new Promise((r) => setTimeout(r, 1500)); // time for a wrong write to happen; nothing is measured
  assert.equal((await slicesOf('web'))[0]!.metadata?.resourceVersion, sliceRv, 'slice not rewritten');
  assert.equal((await kubectlJson<Endpoints>(['get', 'endpoints', 'web'])).metadata?.resourceVersion, epRv, 'Endpoints not rewritten');

  // A deleted pod leaves the ready sets while its preStop hook still holds it in Terminating.
  const victim = (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=web' })).items[0]!;
  const del = await server.kubectl(['delete', 'pod', victim.metadata!.name!, '--wait=false']);
  assert.equal(del.code, 0, del.stderr);
  const terminating = await until(async () => {
    const e = (await slicesOf('web')).flatMap((s) => s.endpoints ?? []).find((x) => x.targetRef?.name === victim.metadata?.name);
    return e?.conditions?.terminating ? e : undefined;
  }, 'the deleted pod terminating in its slice');
  assert.deepEqual(terminating.conditions, { ready: false, serving: true, terminating: true });
  const epNow = await kubectlJson<Endpoints>(['get', 'endpoints', 'web']);
  assert.ok(!epAddresses(epNow).includes(victim.status!.podIP!), 'not among the Endpoints addresses');
  const stillThere = await client.resource<Pod>('pods', 'default').get(victim.metadata!.name!).catch(() => undefined);
  assert.ok(stillThere, 'the pod still exists (preStop) while it is out of the ready set');

  // Scaled to 0: no ready endpoint, no address.
  const scaled = await server.kubectl(['scale', 'deployment/web', '--replicas=0']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await until(async () => {
    const s = await slicesOf('web');
    return s.length === 1 && (s[0]!.endpoints ?? []).length === 0;
  }, 'the slice empty', 60_000);
  await until(async () => (await kubectlJson<Endpoints>(['get', 'endpoints', 'web'])).subsets === undefined, 'Endpoints without subsets', 60_000);

  // LoadBalancer: the node's InternalIP as ingress.
  const node = (await client.resource<Node>('nodes').list()).items[0]!;
  const internal = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  assert.ok(internal, 'the node has an InternalIP');
  const lb = await until(async () => {
    const s = await kubectlJson<Service>(['get', 'service', 'web-lb']);
    return s.status?.loadBalancer?.ingress?.length ? s : undefined;
  }, 'LoadBalancer ingress');
  assert.deepEqual(lb.status?.loadBalancer?.ingress, [{ ip: internal, ipMode: 'VIP' }]);

  // The Service goes: its slices and Endpoints go with it.
  const gone = await server.kubectl(['delete', 'service', 'web']);
  assert.equal(gone.code, 0, gone.stderr);
  await until(async () => (await slicesOf('web')).length === 0, 'slices deleted');
  await until(async () => (await server.kubectl(['get', 'endpoints', 'web'])).code !== 0, 'Endpoints deleted');
});
