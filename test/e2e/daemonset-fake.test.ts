/**
 * DaemonSets and ReplicationControllers end to end with the real kubectl on `kubeling server --runtime fake`
 * (a local node) and fake-runtime agents: a DaemonSet puts one pod on each of three nodes and one more when a
 * fourth joins; a tainted node gets none unless the set tolerates the taint; `kubectl rollout restart`,
 * `status`, `history` and `undo` work on it; `kubectl scale rc` scales a ReplicationController and a deleted
 * pod is replaced. The tainted node is a hand-made Node object (no kubelet), hence the server's
 * `--node-monitor-grace-period 1h`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSet, Pod, ReplicationController } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { until } from './helpers/until.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake', args: ['--node-monitor-grace-period', '1h'] }, (s) => ({ server, client } = s));

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: busybox:1.35
        command: ["sh", "-c", "sleep 3600"]
`;

const TOLERANT = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: tolerant
spec:
  selector:
    matchLabels: {app: tolerant}
  template:
    metadata:
      labels: {app: tolerant}
    spec:
      tolerations:
      - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}
      containers:
      - name: c
        image: busybox:1.35
`;

const TAINTED_NODE = `apiVersion: v1
kind: Node
metadata:
  name: tainted-${process.pid}
spec:
  taints:
  - {key: dedicated, value: db, effect: NoSchedule}
`;

const RC = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.35
`;

const agents: AgentHandle[] = [];
after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});
function joinAgent(name: string): AgentHandle {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startAgent(server, { runtime: 'fake', label: name, args: ['--token', token, '--node-name', name] });
  agents.push(agent);
  return agent;
}

const podsOf = async (app: string) =>
  (await client.resource<Pod>('pods', 'default').list({ labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const nodesOf = (pods: Pod[]) => pods.map((p) => p.spec?.nodeName ?? '').sort();
async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, { input, timeoutMs: 180_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a DaemonSet: one pod on each of three nodes, one more when a fourth joins, none on a tainted node unless tolerated', async () => {
  const n1 = `ds-a-${process.pid}`;
  const n2 = `ds-b-${process.pid}`;
  joinAgent(n1);
  joinAgent(n2);
  const nodes = await until(async () => {
    const items = (await client.resource('nodes').list()).items;
    return items.length === 3 ? items.map((n) => n.metadata!.name!).sort() : undefined;
  }, 'three nodes', 120_000);

  await kubectlOk(['apply', '-f', '-'], DAEMONSET);
  const three = await until(async () => {
    const pods = await podsOf('agent');
    return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, 'a running daemon pod on each of the three nodes', 120_000);
  assert.deepEqual(nodesOf(three), nodes);
  for (const p of three) {
    assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields, [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName] }]);
  }
  await until(async () => (await client.resource<DaemonSet>('daemonsets', 'default').get('agent')).status?.numberAvailable === 3, 'three available', 120_000);
  const row = await kubectlOk(['get', 'ds', 'agent']);
  assert.match(row, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
  assert.match(row, /\nagent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\S+\n$/);

  // A fourth node joins: one more pod, on it.
  const n4 = `ds-d-${process.pid}`;
  joinAgent(n4);
  const four = await until(async () => {
    const pods = await podsOf('agent');
    return pods.length === 4 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, 'a fourth daemon pod', 120_000);
  assert.ok(nodesOf(four).includes(n4));

  // A tainted node: the tolerating set gets a pod there, the other does not.
  await kubectlOk(['create', '-f', '-'], TAINTED_NODE);
  // Ready and with room, or the not-ready taint and the scheduler's resource fit would keep every pod off it.
  const now = new Date().toISOString();
  await client.resource('nodes').patchStatus(`tainted-${process.pid}`, { status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'merge');
  await kubectlOk(['apply', '-f', '-'], TOLERANT);
  const tolerant = await until(async () => {
    const pods = await podsOf('tolerant');
    return pods.length === 5 && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
  }, 'the tolerating set on all five nodes', 120_000);
  assert.ok(nodesOf(tolerant).includes(`tainted-${process.pid}`));
  assert.ok(!nodesOf(await podsOf('agent')).includes(`tainted-${process.pid}`));
  await until(async () => (await client.resource<DaemonSet>('daemonsets', 'default').get('agent')).status?.desiredNumberScheduled === 4, 'four desired');
  assert.equal((await podsOf('agent')).length, 4);
  await kubectlOk(['delete', 'ds', 'tolerant']);
  await kubectlOk(['delete', 'node', `tainted-${process.pid}`]);
});

test('kubectl rollout restart, status, history and undo on a DaemonSet', async () => {
  const before = new Set((await podsOf('agent')).map((p) => p.metadata!.name));
  const want = before.size;
  assert.ok(want >= 1);
  await kubectlOk(['rollout', 'restart', 'ds/agent']);
  const status = await kubectlOk(['rollout', 'status', 'ds/agent', '--timeout=170s']);
  assert.match(status, /daemon set "agent" successfully rolled out/);
  const after = await podsOf('agent');
  assert.equal(after.length, want);
  assert.ok(after.every((p) => !before.has(p.metadata!.name)), 'every pod was replaced');

  await kubectlOk(['set', 'image', 'ds/agent', 'c=busybox:1.36']);
  await kubectlOk(['rollout', 'status', 'ds/agent', '--timeout=170s']);
  const history = await kubectlOk(['rollout', 'history', 'ds/agent']);
  assert.match(history, /^daemonset\.apps\/agent\s*\nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n3\s+<none>\n/);

  const rev3 = await kubectlOk(['rollout', 'history', 'ds/agent', '--revision=3']);
  assert.match(rev3, /Image:\s+busybox:1\.36/);

  const undone = await kubectlOk(['rollout', 'undo', 'ds/agent']);
  assert.match(undone, /daemonset\.apps\/agent rolled back/);
  await kubectlOk(['rollout', 'status', 'ds/agent', '--timeout=170s']);
  const pods = await podsOf('agent');
  assert.ok(pods.every((p) => p.spec?.containers[0]?.image === 'busybox:1.35'));
  // Revision 2 came back as revision 4.
  const history2 = await kubectlOk(['rollout', 'history', 'ds/agent']);
  assert.match(history2, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n3\s+<none>\n4\s+<none>\n/);
  await kubectlOk(['delete', 'ds', 'agent']);
  await until(async () => (await podsOf('agent')).length === 0, 'the daemon pods go with their set');
  await until(async () => (await client.resource('controllerrevisions', 'default').list({ labelSelector: 'app=agent' })).items.length === 0, 'the revisions go with their set');
});

test('a ReplicationController: kubectl scale rc, a deleted pod is replaced', async () => {
  await kubectlOk(['apply', '-f', '-'], RC);
  await until(async () => (await podsOf('web')).length === 2, 'two pods');
  const scaled = await kubectlOk(['scale', 'rc', 'web', '--replicas=3']);
  assert.match(scaled, /replicationcontroller\/web scaled/);
  const three = await until(async () => {
    const pods = await podsOf('web');
    return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, 'three running pods', 120_000);
  await until(async () => (await client.resource<ReplicationController>('replicationcontrollers', 'default').get('web')).status?.readyReplicas === 3, 'three ready');
  const row = await kubectlOk(['get', 'rc', 'web']);
  assert.match(row, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nweb\s+3\s+3\s+3\s+\S+\n$/);
  const gone = three[0]!.metadata!.name!;
  await kubectlOk(['delete', 'pod', gone, '--wait=false']);
  await until(async () => {
    const pods = await podsOf('web');
    return pods.length === 3 && !pods.some((p) => p.metadata?.name === gone) ? pods : undefined;
  }, 'a replacement pod', 120_000);
  await kubectlOk(['delete', 'rc', 'web']);
  await until(async () => (await podsOf('web')).length === 0, 'the pods go with the RC');
});
