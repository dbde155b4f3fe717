/**
 * Node failure end to end on `kubeling server --runtime fake` with two fake agents and shortened timeouts
 * (--node-monitor-grace-period 16s, --node-monitor-period 1s, 3 s default tolerations): a Deployment's pods
 * run on agent A; A is killed with SIGKILL; its node turns Ready=Unknown (NodeStatusUnknown) with the
 * unreachable NoSchedule and NoExecute taints, its pods turn Ready=False, then after their toleration the
 * taint manager marks them for deletion (DisruptionTarget DeletionByTaintManager, a TaintManagerEviction
 * event) and their replacements run on B; no pod is placed on A while it is down. A restarted on its data dir
 * turns Ready, loses the taints, and its kubelet finishes the deleted pods. Then `kubectl cordon`, `drain
 * --ignore-daemonsets --delete-emptydir-data` and `uncordon` move the pods off B and back to schedulable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { getJson, workloadYaml } from './helpers/workloads.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';

const deployment = workloadYaml({
  replicas: 2,
  container: { name: 'main', command: ['sleep', '3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] },
  podSpec: { volumes: [{ name: 'scratch', emptyDir: {} }] },
});

async function joinAgent(server: ServerHandle, name: string, dataDir?: string): Promise<AgentHandle> {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agent = startAgent(server, { runtime: 'fake', args: ['--token', token, '--node-name', name], label: name, ...(dataDir ? { dataDir } : {}) });
  await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 60_000).catch((err: Error) => assert.fail(`${err.message}\nagent log:\n${agent.stderr()}`));
  return agent;
}

const ready = (n: INode | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready');
const webPods = async (server: ServerHandle) => (await getJson<{ items: IPod[] }>(server, ['pods', '-l', 'app=web']))?.items ?? [];
const running = (p: IPod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;

test('a killed agent: Unknown, unreachable taints, pods evicted after their toleration and Running on the other node; back again: Ready, untainted; cordon and drain', async (t) => {
  const server = await startServer({
    runtime: 'fake', noAgent: true,
    args: ['--node-monitor-grace-period', '16s', '--node-monitor-period', '1s', '--default-unreachable-toleration-seconds', '3', '--default-not-ready-toleration-seconds', '3'],
  });
  t.after(() => server.stop());
  const a = `a-${process.pid}`;
  const b = `b-${process.pid}`;
  const agentA = await joinAgent(server, a);
  t.after(() => agentA.stop());

  const applied = await server.kubectl(['apply', '-f', '-'], { input: deployment });
  assert.equal(applied.code, 0, applied.stderr);
  const first = await until(async () => {
    const pods = (await webPods(server)).filter(running);
    return pods.length === 2 && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? pods : undefined;
  }, 'two web pods Running and Ready on A', 60_000);
  assert.deepEqual(first.map((p) => p.spec?.nodeName), [a, a]);
  // The admission plugin used the server's flags.
  assert.deepEqual(
    first[0]!.spec?.tolerations?.filter((x) => x.key?.startsWith('node.kubernetes.io/')).map((x) => [x.key, x.tolerationSeconds]),
    [['node.kubernetes.io/not-ready', 3], ['node.kubernetes.io/unreachable', 3]],
  );
  const firstNames = new Set(first.map((p) => p.metadata!.name!));

  const agentB = await joinAgent(server, b);
  t.after(() => agentB.stop());
  await until(async () => ready(await getJson<INode>(server, ['node', b]))?.status === 'True' || undefined, 'B Ready', 60_000);

  // SIGKILL: no goodbye, no status update; only the lease going stale tells.
  agentA.process.kill('SIGKILL');
  await once(agentA.process, 'exit').catch(() => {});
  const dead = await until(async () => {
    const n = await getJson<INode>(server, ['node', a]);
    const taints = (n?.spec?.taints ?? []).map((x) => `${x.key}:${x.effect}`).sort();
    return ready(n)?.status === 'Unknown' && taints.length === 2 ? { n, taints } : undefined;
  }, "A's node Unknown with both unreachable taints", 90_000);
  assert.equal(ready(dead.n)?.reason, 'NodeStatusUnknown');
  assert.equal(ready(dead.n)?.message, 'Kubelet stopped posting node status.');
  assert.deepEqual(dead.taints, ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  const rows = (await server.kubectl(['get', 'node', a])).stdout;
  assert.match(rows, new RegExp(`^${a}\\s+NotReady\\s`, 'm'));

  // After their 3 s toleration: marked for deletion with the DisruptionTarget condition, replaced on B.
  const replaced = await until(async () => {
    const pods = await webPods(server);
    const fresh = pods.filter((p) => !firstNames.has(p.metadata!.name!) && running(p));
    return fresh.length === 2 ? { pods, fresh } : undefined;
  }, 'two replacement pods Running', 90_000);
  assert.deepEqual(replaced.fresh.map((p) => p.spec?.nodeName), [b, b], 'no new pod lands on the dead node');
  for (const old of replaced.pods.filter((p) => firstNames.has(p.metadata!.name!))) {
    assert.ok(old.metadata?.deletionTimestamp, `${old.metadata?.name} terminating`);
    const dt = old.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual([dt?.status, dt?.reason, dt?.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
    assert.equal(old.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False', 'marked not ready');
  }
  const events = await server.kubectl(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
  for (const name of firstNames) assert.match(events.stdout, new RegExp(`^Marking for deletion Pod default/${name}$`, 'm'));
  // A pod created while A is down goes to B too (the unreachable NoSchedule taint).
  const scaled = await server.kubectl(['scale', 'deployment', 'web', '--replicas', '3']);
  assert.equal(scaled.code, 0, scaled.stderr);
  const third = await until(async () => {
    const fresh = (await webPods(server)).filter((p) => !firstNames.has(p.metadata!.name!) && running(p));
    return fresh.length === 3 ? fresh : undefined;
  }, 'third replica Running', 60_000);
  assert.deepEqual(third.map((p) => p.spec?.nodeName), [b, b, b]);

  // A comes back on its data dir: Ready, no taints; its kubelet finishes the pods that were deleted.
  await agentA.stop({ keep: true });
  const againA = await joinAgent(server, a, agentA.dataDir);
  t.after(() => againA.stop());
  await until(async () => {
    const n = await getJson<INode>(server, ['node', a]);
    return ready(n)?.status === 'True' && (n?.spec?.taints ?? []).length === 0 ? n : undefined;
  }, 'A Ready without taints', 60_000);
  await until(async () => {
    const pods = await webPods(server);
    return pods.every((p) => !firstNames.has(p.metadata!.name!)) ? pods : undefined;
  }, "the evicted pods gone once A's kubelet is back", 60_000);

  // cordon: unschedulable, and the node lifecycle controller adds the unschedulable taint.
  const cordon = await server.kubectl(['cordon', b]);
  assert.equal(cordon.code, 0, cordon.stderr);
  assert.match(cordon.stdout, new RegExp(`node/${b} cordoned`));
  await until(async () => {
    const n = await getJson<INode>(server, ['node', b]);
    return n?.spec?.unschedulable && n.spec.taints?.some((x) => x.key === 'node.kubernetes.io/unschedulable' && x.effect === 'NoSchedule') ? n : undefined;
  }, 'B unschedulable and tainted', 30_000);
  assert.match((await server.kubectl(['get', 'node', b])).stdout, new RegExp(`^${b}\\s+Ready,SchedulingDisabled\\s`, 'm'));
  // drain: evicts B's pods through the eviction API; they come back on A.
  const drain = await server.kubectl(['drain', b, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '90s'], { timeoutMs: 120_000 });
  assert.equal(drain.code, 0, `${drain.stdout}\n${drain.stderr}`);
  assert.match(drain.stdout, /evicting pod default\/web-|pod\/web-.* evicted/);
  assert.match(drain.stdout, new RegExp(`node/${b} drained`));
  await until(async () => {
    const pods = (await webPods(server)).filter(running);
    return pods.length === 3 && pods.every((p) => p.spec?.nodeName === a) ? pods : undefined;
  }, 'all three pods Running on A after the drain', 60_000);
  const uncordon = await server.kubectl(['uncordon', b]);
  assert.equal(uncordon.code, 0, uncordon.stderr);
  assert.match(uncordon.stdout, new RegExp(`node/${b} uncordoned`));
  await until(async () => {
    const n = await getJson<INode>(server, ['node', b]);
    return !n?.spec?.unschedulable && !(n?.spec?.taints ?? []).length ? n : undefined;
  }, 'B schedulable and untainted', 30_000);
});
