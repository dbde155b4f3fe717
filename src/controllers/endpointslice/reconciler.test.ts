import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Node, Pod, Service } from '../../api/index.ts';
import { desiredEndpoints, reconcileSlices, sliceLabels } from './reconciler.ts';

const svc = (extra: Partial<Service['spec']> = {}, labels?: Record<string, string>): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { selector: { app: 'web' }, clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...extra },
});

interface PodOpts {
  ip?: string;
  ready?: boolean;
  node?: string;
  deleting?: boolean;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  ports?: { name: string; containerPort: number }[];
  hostname?: string;
  subdomain?: string;
}

const pod = (name: string, o: PodOpts = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
  spec: {
    nodeName: o.node ?? 'n1',
    containers: [{ name: 'c', image: 'x', ports: o.ports }],
    ...(o.hostname ? { hostname: o.hostname, subdomain: o.subdomain } : {}),
  },
  status: {
    phase: o.phase ?? 'Running',
    ...(o.ip === '' ? {} : { podIP: o.ip ?? `10.42.0.${name.replace(/\D/g, '') || '1'}` }),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});

const nodes = new Map<string, Node>([
  ['n1', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } }],
  ['n2', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } }],
]);

const flat = (plan: { create: EndpointSlice[]; update: EndpointSlice[] }) => [...plan.create, ...plan.update].flatMap((s) => s.endpoints ?? []);

test('endpoint per pod: conditions for ready, not ready, terminating and publishNotReadyAddresses', () => {
  const cases: { name: string; pod: Pod; svc?: Service; want: { ready: boolean; serving: boolean; terminating: boolean } | undefined }[] = [
    { name: 'ready', pod: pod('p1'), want: { ready: true, serving: true, terminating: false } },
    { name: 'not ready', pod: pod('p1', { ready: false }), want: { ready: false, serving: false, terminating: false } },
    { name: 'terminating, still passing readiness', pod: pod('p1', { deleting: true }), want: { ready: false, serving: true, terminating: true } },
    { name: 'terminating and not ready', pod: pod('p1', { deleting: true, ready: false }), want: { ready: false, serving: false, terminating: true } },
    { name: 'publishNotReadyAddresses keeps not ready ready', pod: pod('p1', { ready: false }), svc: svc({ publishNotReadyAddresses: true }), want: { ready: true, serving: false, terminating: false } },
    { name: 'publishNotReadyAddresses keeps terminating ready', pod: pod('p1', { deleting: true }), svc: svc({ publishNotReadyAddresses: true }), want: { ready: true, serving: true, terminating: true } },
    { name: 'succeeded pods are left out', pod: pod('p1', { phase: 'Succeeded' }), want: undefined },
    { name: 'failed pods are left out', pod: pod('p1', { phase: 'Failed' }), want: undefined },
    { name: 'pods without an IP are left out', pod: pod('p1', { ip: '' }), want: undefined },
  ];
  for (const c of cases) {
    const plan = reconcileSlices({ service: c.svc ?? svc(), pods: [c.pod], nodes, existing: [] });
    const eps = flat(plan);
    if (!c.want) {
      assert.equal(eps.length, 0, c.name);
      continue;
    }
    assert.equal(eps.length, 1, c.name);
    assert.deepEqual(eps[0]!.conditions, c.want, c.name);
  }
});

test('a new slice: name, labels, owner, ports, endpoint fields, trigger time', () => {
  const plan = reconcileSlices({ service: svc({}, { team: 'a' }), pods: [pod('p1')], nodes, existing: [], triggerTime: '2026-01-01T00:00:01.5Z' });
  assert.equal(plan.create.length, 1);
  assert.equal(plan.update.length + plan.delete.length, 0);
  const s = plan.create[0]!;
  assert.equal(s.metadata?.generateName, 'web-');
  assert.equal(s.metadata?.name, undefined);
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.metadata?.labels, { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(s.metadata?.annotations, { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-01-01T00:00:01.5Z' });
  assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints, [{
    addresses: ['10.42.0.1'],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-p1' },
    nodeName: 'n1',
    zone: 'z1',
  }]);
});

test('headless label, hostname for hostname+subdomain, no zone on a node without one', () => {
  const headless = svc({ clusterIP: 'None' });
  assert.equal(sliceLabels(headless)['service.kubernetes.io/headless'], '');
  assert.equal(sliceLabels(svc())['service.kubernetes.io/headless'], undefined);
  const plan = reconcileSlices({ service: headless, pods: [pod('p1', { hostname: 'h1', subdomain: 'web', node: 'n2' }), pod('p2', { hostname: 'h2', subdomain: 'other' })], nodes, existing: [] });
  const eps = flat(plan);
  assert.equal(eps.find((e) => e.targetRef?.name === 'p1')?.hostname, 'h1');
  assert.equal(eps.find((e) => e.targetRef?.name === 'p1')?.zone, undefined);
  assert.equal(eps.find((e) => e.targetRef?.name === 'p2')?.hostname, undefined);
});

test('named targetPorts resolve per pod: different numbers land in different slices; unresolved ports are left out', () => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }] });
  const pods = [
    pod('p1', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }),
    pod('p2', { ports: [{ name: 'web', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }),
    pod('p3', { ports: [{ name: 'web', containerPort: 9000 }, { name: 'metrics', containerPort: 9100 }] }),
    pod('p4', { ports: [{ name: 'web', containerPort: 8080 }] }),
  ];
  const plan = reconcileSlices({ service: s, pods, nodes, existing: [] });
  const byPods = plan.create.map((sl) => ({ pods: sl.endpoints!.map((e) => e.targetRef!.name).join(','), ports: sl.ports!.map((p) => `${p.name}:${p.port}`).join(',') }));
  byPods.sort((a, b) => a.pods.localeCompare(b.pods));
  assert.deepEqual(byPods, [
    { pods: 'p1,p2', ports: 'http:8080,metrics:9100' },
    { pods: 'p3', ports: 'http:9000,metrics:9100' },
    { pods: 'p4', ports: 'http:8080' },
  ]);
});

test('more than maxEndpointsPerSlice pods spread over slices of at most that many', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, { ip: `10.42.${Math.floor(i / 200)}.${i % 200}` }));
  const plan = reconcileSlices({ service: svc(), pods, nodes, existing: [] });
  assert.deepEqual(plan.create.map((s) => s.endpoints!.length).sort(), [100, 100, 50]);
  assert.equal(new Set(flat(plan).map((e) => e.addresses[0])).size, 250);
  const small = reconcileSlices({ service: svc(), pods: pods.slice(0, 5), nodes, existing: [], maxEndpointsPerSlice: 2 });
  assert.deepEqual(small.create.map((s) => s.endpoints!.length), [2, 2, 1]);
});

/** The slices a plan leaves, as the API server would hold them after applying it. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof reconcileSlices>): EndpointSlice[] {
  let n = existing.length;
  const byName = new Map(existing.map((s) => [s.metadata!.name!, s]));
  for (const s of plan.delete) byName.delete(s.metadata!.name!);
  for (const s of plan.update) byName.set(s.metadata!.name!, structuredClone(s));
  for (const s of plan.create) {
    const name = `web-${++n}`;
    byName.set(name, { ...structuredClone(s), metadata: { ...s.metadata, name, generateName: undefined, resourceVersion: '1' } });
  }
  return [...byName.values()].map((s) => JSON.parse(JSON.stringify(s)) as EndpointSlice);
}

test('no write when nothing changed; changes update slices in place', () => {
  const pods = [pod('p1'), pod('p2'), pod('p3')];
  let slices = apply([], reconcileSlices({ service: svc(), pods, nodes, existing: [] }));
  assert.equal(slices.length, 1);
  const same = reconcileSlices({ service: svc(), pods, nodes, existing: slices, triggerTime: '2026-01-01T00:00:00Z' });
  assert.deepEqual([same.create.length, same.update.length, same.delete.length], [0, 0, 0]);

  // p2 is being deleted: the same slice is updated with p2 not ready and terminating.
  const deleting = reconcileSlices({ service: svc(), pods: [pods[0]!, pod('p2', { deleting: true }), pods[2]!], nodes, existing: slices });
  assert.deepEqual([deleting.create.length, deleting.update.length, deleting.delete.length], [0, 1, 0]);
  assert.equal(deleting.update[0]!.metadata?.name, slices[0]!.metadata?.name);
  assert.equal(deleting.update[0]!.metadata?.resourceVersion, undefined);
  assert.deepEqual(deleting.update[0]!.endpoints!.find((e) => e.targetRef?.name === 'p2')?.conditions, { ready: false, serving: true, terminating: true });
  slices = apply(slices, deleting);

  // p2 gone, p4 new: one update of the same slice.
  const swap = reconcileSlices({ service: svc(), pods: [pods[0]!, pods[2]!, pod('p4')], nodes, existing: slices });
  assert.deepEqual([swap.create.length, swap.update.length, swap.delete.length], [0, 1, 0]);
  assert.deepEqual(swap.update[0]!.endpoints!.map((e) => e.targetRef?.name), ['p1', 'p3', 'p4']);
  slices = apply(slices, swap);

  // A label on the Service reaches its slices.
  const relabel = reconcileSlices({ service: svc({}, { tier: 'front' }), pods: [pods[0]!, pods[2]!, pod('p4')], nodes, existing: slices });
  assert.equal(relabel.update.length, 1);
  assert.equal(relabel.update[0]!.metadata?.labels?.tier, 'front');
});

test('no pods: one empty placeholder slice, kept without writes; the placeholder is reused when pods come', () => {
  const first = reconcileSlices({ service: svc(), pods: [], nodes, existing: [] });
  assert.equal(first.create.length, 1);
  assert.deepEqual(first.create[0]!.endpoints, []);
  assert.deepEqual(first.create[0]!.ports, []);
  let slices = apply([], first);
  const again = reconcileSlices({ service: svc(), pods: [], nodes, existing: slices });
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);

  const filled = reconcileSlices({ service: svc(), pods: [pod('p1')], nodes, existing: slices });
  assert.deepEqual([filled.create.length, filled.update.length, filled.delete.length], [0, 1, 0]);
  assert.equal(filled.update[0]!.metadata?.name, slices[0]!.metadata?.name);
  slices = apply(slices, filled);

  // Scaled to zero: the slice becomes the placeholder again (one update, nothing deleted).
  const empty = reconcileSlices({ service: svc(), pods: [], nodes, existing: slices });
  assert.deepEqual([empty.create.length, empty.update.length, empty.delete.length], [0, 1, 0]);
  assert.deepEqual(empty.update[0]!.endpoints, []);
});

test('pods on a node not known yet are left out and reported; slices of other address types are deleted', () => {
  const { groups, podsOnUnknownNodes } = desiredEndpoints(svc(), [pod('p1'), pod('p2', { node: 'n9' })], nodes);
  assert.deepEqual(podsOnUnknownNodes, ['p2']);
  assert.equal([...groups.values()].flatMap((g) => g.endpoints).length, 1);
  const v6: EndpointSlice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-v6', namespace: 'ns' }, addressType: 'IPv6', endpoints: [], ports: [] };
  const plan = reconcileSlices({ service: svc(), pods: [pod('p1')], nodes, existing: [v6] });
  assert.deepEqual(plan.delete.map((s) => s.metadata?.name), ['web-v6']);
  assert.equal(plan.create.length, 1);
});

test('a headless Service without ports: endpoints in a slice with no ports', () => {
  const plan = reconcileSlices({ service: svc({ clusterIP: 'None', ports: [] }), pods: [pod('p1'), pod('p2')], nodes, existing: [] });
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0]!.ports, []);
  assert.equal(plan.create[0]!.endpoints!.length, 2);
  assert.equal(plan.create[0]!.metadata?.labels?.['service.kubernetes.io/headless'], '');
});
