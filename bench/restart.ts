#!/usr/bin/env node
/**
 * `kubeling server` restart to `ready` with many stored objects (issue 15: 100,000 pods under 10 s), cheaply:
 * instead of creating the pods through the API (bench/control-plane.ts, an hour at 100,000), the data dir is
 * seeded through the storage layer directly while the server is down. Prints figures; asserts nothing.
 *
 *   node bench/restart.ts [--pods 100000] [--nodes 1000] [--namespaces 10] [--storage sqlite|etcd]
 *                         [--revisions 3] [--runs 2] [--variants api,components] [--cpu-prof DIR]
 *                         [--data-dir DIR] [--list]
 *
 * Seeding: a server is started once on a new data dir (its CA, tokens, namespaces, RBAC and the rest of its
 * own start-up writes) and stopped; then the store is opened directly and filled as the registries would
 * have written it (their stored layout: apiVersion, kind, metadata without resourceVersion first, JSON, no
 * encryption at rest): `--namespaces` namespaces, `--nodes` Nodes with their Leases, a ReplicaSet per 1,000
 * pods (the pods' owners: without them the garbage collector deletes the pods right after `ready`), and
 * `--pods` pods in the shape a Running pod has after the scheduler and its kubelet wrote it (spec with one
 * container, resources, tolerations, a service-account volume; status with conditions, IPs and a container
 * status; two managedFields entries; ~4.5 KB of JSON), bound round-robin to the nodes. Each key is written
 * `--revisions` times (create, then updates: a Pending pod, then Running), as a cluster leaves the log
 * before compaction catches up. The first run after seeding also reads the new file into the page cache.
 *
 * Each run starts `kubeling server --no-agent --runtime fake` on the seeded store and times spawn → `ready`,
 * with the server's CPU time by then (user + system, all threads: the figure this shared machine's load moves
 * least), then prints its RSS at ready and 5 s later. Variants: `api` (`--disable-scheduler
 * --disable-controller-manager`: the API server's own start-up only) and `components` (the scheduler and the
 * controllers too, whose informers list every pod and node right after `ready`, so the RSS 5 s later and
 * `--list` show their cost). `--list` also times a paged list of every pod (500 a page, as kubectl asks) right
 * after ready. `--cpu-prof DIR` writes the server's V8 CPU profiles there. `--data-dir DIR` keeps the seeded
 * sqlite data dir (seeded on first use, reused after: profiling again costs no seeding).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, type ServerHandle, type StartServerOptions } from '../test/e2e/helpers/server.ts';
import { startEtcd, type EtcdHandle } from '../test/fixtures/etcd.ts';
import type { Store } from '../src/storage/index.ts';
import { SqliteStore } from '../src/storage/sqlite/index.ts';
import { cpuMs, rssMiB } from './proc-stats.ts';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '100000' },
    nodes: { type: 'string', default: '1000' },
    namespaces: { type: 'string', default: '10' },
    storage: { type: 'string', default: 'sqlite' },
    revisions: { type: 'string', default: '3' },
    runs: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'api,components' },
    'cpu-prof': { type: 'string' },
    'data-dir': { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
const PODS = Number(flags.pods);
const NODES = Number(flags.nodes);
const NAMESPACES = Number(flags.namespaces);
const REVISIONS = Math.max(1, Number(flags.revisions));
const RUNS = Number(flags.runs);
const storage = flags.storage!;
if (storage !== 'sqlite' && storage !== 'etcd') throw new Error(`--storage ${storage}: want sqlite or etcd`);

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const SEEDED = '.bench-restart-seeded';

const created = '2026-12-01T10:00:00Z';
const started = '2026-12-01T10:00:03Z';

/** A pod as the registry stores it, `final` Running with the kubelet's status, else Pending just after binding. */
/** Pods come from ReplicaSets of PODS_PER_RS each, every ReplicaSet in one namespace (their owner must exist, or the garbage collector deletes the pods). */
const PODS_PER_RS = 1000;
const rsOf = (i: number) => Math.floor(i / PODS_PER_RS);
const rsNamespace = (r: number) => `bench-${r % NAMESPACES}`;
const rsName = (r: number) => `web-${r}-7d4b9c8f5d`;
const rsUid = (r: number) => `4a2b3c4d-0000-4000-8000-${r.toString(16).padStart(12, '0')}`;
const podNamespace = (i: number) => rsNamespace(rsOf(i));
const podName = (i: number) => `${rsName(rsOf(i))}-${(i % PODS_PER_RS).toString(36).padStart(2, '0')}x${(i * 7919).toString(36).slice(-5)}`;

function replicaSet(r: number, replicas: number): Uint8Array {
  const labels = { app: `web-${r}`, 'pod-template-hash': '7d4b9c8f5d' };
  return json({
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: rsName(r), namespace: rsNamespace(r), uid: rsUid(r), generation: 1, creationTimestamp: created, labels },
    spec: {
      replicas, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1.4.2', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '10m', memory: '16Mi' } }, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler' } },
    },
    status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  });
}

function pod(i: number, final: boolean): Uint8Array {
  const ns = podNamespace(i);
  const name = podName(i);
  const node = `node-${i % NODES}`;
  const ip = `10.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
  const uid = `0f0e0d0c-${(i % 65536).toString(16).padStart(4, '0')}-4b3a-9c8d-${i.toString(16).padStart(12, '0')}`;
  const r = rsOf(i);
  const managedFields: unknown[] = [{
    manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: created, fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': { '.': {}, [`k:{"uid":"${rsUid(r)}"}`]: {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:ports': { '.': {}, 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } }, 'f:resources': { '.': {}, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } }, 'f:terminationMessagePath': {}, 'f:terminationMessagePolicy': {} } }, 'f:dnsPolicy': {}, 'f:enableServiceLinks': {}, 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {} } },
  }];
  if (final) {
    managedFields.push({
      manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: started, fieldsType: 'FieldsV1', subresource: 'status',
      fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"ContainersReady"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"Initialized"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"PodReadyToStartContainers"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }, 'k:{"type":"Ready"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': { '.': {}, [`k:{"ip":"${ip}"}`]: { '.': {}, 'f:ip': {} } }, 'f:startTime': {} } },
    });
  }
  const condition = (type: string, at: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: at });
  return json({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, generateName: `${rsName(r)}-`, namespace: ns, uid, creationTimestamp: created,
      labels: { app: `web-${r}`, 'pod-template-hash': '7d4b9c8f5d' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName(r), uid: rsUid(r), controller: true, blockOwnerDeletion: true }],
      managedFields,
    },
    spec: {
      volumes: [{ name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 } }],
      containers: [{
        name: 'web', image: 'registry.example/web:1.4.2', ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '10m', memory: '16Mi' } },
        volumeMounts: [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', serviceAccount: 'default',
      nodeName: node, securityContext: {}, schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      priority: 0, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority',
    },
    status: final
      ? {
          phase: 'Running',
          conditions: [condition('PodReadyToStartContainers', started), condition('Initialized', created), condition('Ready', started), condition('ContainersReady', started), condition('PodScheduled', created)],
          hostIP: `192.168.${(i % NODES) >> 8}.${i % NODES & 255}`, hostIPs: [{ ip: `192.168.${(i % NODES) >> 8}.${i % NODES & 255}` }],
          podIP: ip, podIPs: [{ ip }], startTime: created,
          containerStatuses: [{ name: 'web', state: { running: { startedAt: started } }, lastState: {}, ready: true, restartCount: 0, image: 'registry.example/web:1.4.2', imageID: 'registry.example/web@sha256:4f1c7e0b1a2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccd', containerID: `containerd://${uid.replace(/-/g, '')}${uid.replace(/-/g, '').slice(0, 32)}`, started: true }],
          qosClass: 'Burstable',
        }
      : { phase: 'Pending', conditions: [condition('PodScheduled', created)], qosClass: 'Burstable' },
  });
}

function node(i: number, beat: number): Uint8Array {
  const name = `node-${i}`;
  const condition = (type: string, status: string, reason: string) => ({ type, status, lastHeartbeatTime: `2026-12-01T10:0${beat}:00Z`, lastTransitionTime: created, reason, message: `kubelet ${reason}` });
  return json({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, uid: `1a2b3c4d-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, creationTimestamp: created, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'simulated' }, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: { podCIDR: `10.${64 + (i >> 8)}.${i & 255}.0/24`, podCIDRs: [`10.${64 + (i >> 8)}.${i & 255}.0/24`] },
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      conditions: [condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'), condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'), condition('PIDPressure', 'False', 'KubeletHasSufficientPID'), condition('Ready', 'True', 'KubeletReady')],
      addresses: [{ type: 'InternalIP', address: `192.168.${i >> 8}.${i & 255}` }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: '', systemUUID: '', bootID: '', kernelVersion: '6.1.0', osImage: 'kubeling simulated', containerRuntimeVersion: 'fake://0.1', kubeletVersion: 'v1.32.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
    },
  });
}

function lease(i: number, beat: number): Uint8Array {
  return json({
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: { name: `node-${i}`, namespace: 'kube-node-lease', uid: `2a2b3c4d-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, creationTimestamp: created, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: `node-${i}`, uid: `1a2b3c4d-0000-4000-8000-${i.toString(16).padStart(12, '0')}` }] },
    spec: { holderIdentity: `node-${i}`, leaseDurationSeconds: 40, renewTime: `2026-12-01T10:0${beat}:00.000000Z` },
  });
}

/** Writes `value(rev)` for rev 0..REVISIONS-1 under each key (create, then updates), `inFlight` keys at a time. */
async function writeAll(store: Store, keys: number, key: (i: number) => string, value: (i: number, rev: number) => Uint8Array, inFlight: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < keys) {
      const i = next++;
      const k = key(i);
      let r = await store.create(k, value(i, 0));
      if (!r.ok) throw new Error(`seed ${k}: exists`);
      for (let rev = 1; rev < REVISIONS; rev++) {
        r = await store.update(k, value(i, rev), r.kv.modRevision);
        if (!r.ok) throw new Error(`seed ${k}: lost an update`);
      }
    }
  }));
}

async function seed(store: Store): Promise<void> {
  const last = REVISIONS - 1;
  await writeAll(store, NAMESPACES, (i) => `/registry/namespaces/bench-${i}`, (i) => json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${i}`, uid: `3a2b3c4d-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': `bench-${i}` } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }), 1);
  await writeAll(store, NODES, (i) => `/registry/nodes/node-${i}`, (i, rev) => node(i, rev), 200);
  await writeAll(store, NODES, (i) => `/registry/coordination.k8s.io/leases/kube-node-lease/node-${i}`, (i, rev) => lease(i, rev), 200);
  const sets = Math.ceil(PODS / PODS_PER_RS);
  await writeAll(store, sets, (r) => `/registry/apps/replicasets/${rsNamespace(r)}/${rsName(r)}`, (r) => replicaSet(r, Math.min(PODS_PER_RS, PODS - r * PODS_PER_RS)), 10);
  await writeAll(store, PODS, (i) => `/registry/pods/${podNamespace(i)}/${podName(i)}`, (i, rev) => pod(i, rev === last), 500);
}

function diskMiB(path: string): string {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return ((size(path) + size(`${path}-wal`)) / 2 ** 20).toFixed(0);
}

/** Every pod in pages of 500, as kubectl asks: the server's part of `kubectl get pods -A` right after ready. */
async function pagedList(server: ServerHandle): Promise<{ wall: number; items: number }> {
  const agent = new https.Agent({ keepAlive: true, ca: server.caPem });
  const start = performance.now();
  let cont = '';
  let items = 0;
  try {
    do {
      const text = await new Promise<string>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: server.port, agent, path: `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`list: ${res.statusCode}`))));
          res.on('error', reject);
        }).on('error', reject);
      });
      const page = JSON.parse(text) as { metadata: { continue?: string }; items: unknown[] };
      cont = page.metadata.continue ?? '';
      items += page.items.length;
    } while (cont);
  } finally {
    agent.destroy();
  }
  return { wall: performance.now() - start, items };
}

let etcd: EtcdHandle | undefined;
const ownDir = flags['data-dir'] === undefined;
const dataDir = flags['data-dir'] ?? mkdtempSync(join(tmpdir(), 'kubeling-bench-restart-'));
try {
  if (storage === 'etcd' && !ownDir) throw new Error('--data-dir keeps a sqlite store only (the etcd lives as long as the bench)');
  mkdirSync(dataDir, { recursive: true });
  if (storage === 'etcd') etcd = await startEtcd();
  const storageArgs = etcd ? ['--storage', `etcd://${etcd.url.replace(/^http:\/\//, '')}`] : [];
  const base: StartServerOptions = { storage: 'sqlite', runtime: 'fake', noAgent: true, dataDir, stopTimeoutMs: 120_000, readyTimeoutMs: 600_000 };
  const objects = PODS + Math.ceil(PODS / PODS_PER_RS) + 2 * NODES + NAMESPACES;
  if (existsSync(join(dataDir, SEEDED))) {
    console.log(`reusing the seeded data dir ${dataDir}`);
  } else {
    // The server's own first start: identity, system namespaces, RBAC, the kubernetes Service.
    await (await startServer({ ...base, args: [...storageArgs, '--disable-scheduler', '--disable-controller-manager'] })).stop();
    const seedStart = performance.now();
    let store: Store;
    if (etcd) {
      const { EtcdStore } = await import('../src/storage/etcd/index.ts');
      store = new EtcdStore({ endpoints: [etcd.url] });
    } else {
      store = new SqliteStore({ path: join(dataDir, 'state.db'), compactIntervalMs: 0 });
    }
    try {
      await seed(store);
    } finally {
      await store.close();
    }
    writeFileSync(join(dataDir, SEEDED), `${PODS} pods, ${NODES} nodes, ${REVISIONS} revisions\n`);
    console.log(`seeded ${objects} objects × ${REVISIONS} revisions through the ${storage} store in ${s(performance.now() - seedStart)}${storage === 'sqlite' ? ` (state.db + WAL ${diskMiB(join(dataDir, 'state.db'))} MiB)` : ''}`);
  }

  for (const variant of flags.variants!.split(',')) {
    if (variant !== 'api' && variant !== 'components') throw new Error(`--variants: ${variant} (want api or components)`);
    const args = [...storageArgs, ...(variant === 'api' ? ['--disable-scheduler', '--disable-controller-manager'] : [])];
    const nodeArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
    console.log(`\n== ${storage}, ${variant === 'api' ? 'API server only' : 'with the scheduler and controllers'}: ${PODS} pods, ${NODES} nodes + leases, ${REVISIONS} revisions each ==`);
    for (let run = 0; run < RUNS; run++) {
      const loadBefore = load();
      const start = performance.now();
      const server = await startServer({ ...base, args, nodeArgs });
      const ready = performance.now() - start;
      const pid = server.process.pid!;
      const rssReady = rssMiB(pid);
      const cpuReady = cpuMs(pid);
      try {
        const list = flags.list ? await pagedList(server) : undefined;
        await sleep(5000);
        console.log(`spawn → ready ${s(ready)}, server CPU ${s(cpuReady)} (load ${loadBefore} → ${load()}); RSS at ready ${rssReady} MiB, 5 s later ${rssMiB(pid)} MiB` +
          (list ? `; paged list of all pods after ready ${s(list.wall)} (${list.items} pods)` : ''));
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await etcd?.stop();
  if (ownDir) rmSync(dataDir, { recursive: true, force: true });
}
