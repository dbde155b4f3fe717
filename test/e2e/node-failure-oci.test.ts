/**
 * Node failure with real containers: two `kubeling agent --runtime oci` nodes joined to a server (its own
 * node fake and tainted out of the way) with shortened timeouts. A Deployment's two pods run on agent A; A is
 * killed with SIGKILL and its containers keep running under conmon (containers outlive the agent); the node
 * turns Unknown with the unreachable taints, the pods are evicted after their 3 s toleration and their
 * replacements run on B; one evicted pod is force-deleted meanwhile. A restarted on its data dir turns Ready
 * and untainted, and its kubelet stops both replaced containers (the terminating pod's, which it then
 * finishes, and the one gone from the API): no conmon of A is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { KUBELING_BIN, pickTestClusterCidr, startServer, waitForOutput } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { conmonsUnder } from './helpers/conmon.ts';
import { getJson, workloadYaml } from './helpers/workloads.ts';
import { missingRealContainers } from '../prerequisites.ts';

function kubeling(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [KUBELING_BIN, ...args], { timeout: 120_000 }, (err, _out, stderr) => res({ code: err ? 1 : 0, stderr: String(stderr) }));
  });
}

test('a killed oci agent: its pods are replaced on the other node; back again, its kubelet stops the replaced containers, also of a pod gone from the API', { timeout: 600_000 }, async (t) => {
  const why = missingRealContainers();
  if (why) {
    t.skip(why);
    return;
  }
  const archive = await ensureBusyboxArchive();
  const server = await startServer({
    runtime: 'fake',
    clusterCidr: pickTestClusterCidr(),
    args: ['--node-taint', 'e2e.kubeling.io/fake=:NoSchedule', '--node-monitor-grace-period', '16s', '--node-monitor-period', '1s',
      '--default-unreachable-toleration-seconds', '3', '--default-not-ready-toleration-seconds', '3'],
  });
  t.after(() => server.stop());
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  const agents: AgentHandle[] = [];
  const bridges: string[] = [];
  t.after(async () => {
    // Gracefully, so each kubelet stops its containers before its agent stops (a force delete would leave
    // them running, with the node's rules, after the agent and its data dir are gone).
    await server.kubectl(['delete', 'deployment', 'web', '--timeout=60s']);
    await server.kubectl(['delete', 'pods', '--all', '--timeout=60s']);
    for (const a of agents) await a.stop();
    for (const b of bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  });
  const start = async (name: string, dataDir?: string) => {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), `kubeling-agent-oci-${name}-`));
    if (!dataDir) {
      const imported = await kubeling(['image', 'import', archive, '--data-dir', dir]);
      assert.equal(imported.code, 0, imported.stderr);
    }
    const agent = startAgent(server, { runtime: 'oci', dataDir: dir, args: ['--token', token, '--node-name', name], stopTimeoutMs: 30_000 });
    // A restart takes the killed agent's place (both would remove the one data dir).
    const killed = agents.findIndex((x) => x.dataDir === dir);
    if (killed >= 0) agents.splice(killed, 1, agent);
    else agents.push(agent);
    const line = await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 120_000).catch((err: Error) => assert.fail(`${err.message}\n${agent.stderr().slice(-3000)}`));
    const bridge = /bridge=(\S+)/.exec(line)![1]!;
    if (!bridges.includes(bridge)) bridges.push(bridge);
    return agent;
  };
  const a = `oci-a-${process.pid}`;
  const b = `oci-b-${process.pid}`;
  const agentA = await start(a);

  const applied = await server.kubectl(['apply', '-f', '-'], {
    input: workloadYaml({
      replicas: 2,
      container: { name: 'main', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"] },
      podSpec: { terminationGracePeriodSeconds: 5 },
    }),
  });
  assert.equal(applied.code, 0, applied.stderr);
  const webPods = async () => (await getJson<{ items: IPod[] }>(server, ['pods', '-l', 'app=web']))?.items ?? [];
  const first = await until(async () => {
    const pods = (await webPods()).filter((p) => p.status?.phase === 'Running');
    return pods.length === 2 ? pods : undefined;
  }, 'both pods Running on A', 120_000);
  assert.deepEqual(first.map((p) => p.spec?.nodeName), [a, a]);
  const firstNames = new Set(first.map((p) => p.metadata!.name!));
  await start(b);

  agentA.process.kill('SIGKILL');
  await once(agentA.process, 'exit').catch(() => {});
  assert.equal(conmonsUnder(agentA.dataDir).length, 2, "A's containers outlive their agent");
  await until(async () => {
    const n = await getJson<INode>(server, ['node', a]);
    return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' &&
      n.spec?.taints?.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute');
  }, "A's node Unknown and tainted", 90_000);
  const replacements = await until(async () => {
    const pods = await webPods();
    const old = pods.filter((p) => firstNames.has(p.metadata!.name!));
    const fresh = pods.filter((p) => !firstNames.has(p.metadata!.name!) && p.status?.phase === 'Running');
    return old.length === 2 && old.every((p) => p.metadata?.deletionTimestamp) && fresh.length === 2 ? fresh : undefined;
  }, 'both pods evicted and their replacements Running', 120_000);
  assert.deepEqual(replacements.map((p) => p.spec?.nodeName), [b, b]);
  // One evicted pod is force-deleted while A is down: gone from the API, its container must still stop.
  const [forced] = [...firstNames];
  const force = await server.kubectl(['delete', 'pod', forced!, '--force', '--grace-period=0']);
  assert.equal(force.code, 0, force.stderr);

  await agentA.stop({ keep: true });
  await start(a, agentA.dataDir);
  await until(async () => {
    const n = await getJson<INode>(server, ['node', a]);
    return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && !(n.spec?.taints ?? []).length;
  }, 'A Ready and untainted', 90_000);
  await until(async () => !(await webPods()).some((p) => firstNames.has(p.metadata!.name!)), 'the evicted pod finished by A', 90_000);
  await until(async () => conmonsUnder(agentA.dataDir).length === 0 || undefined, "A's replaced containers stopped (the terminating pod's and the force-deleted one's)", 90_000);
  assert.equal((await webPods()).filter((p) => p.status?.phase === 'Running').length, 2);

  const del = await server.kubectl(['delete', 'deployment', 'web', '--timeout=60s']);
  assert.equal(del.code, 0, del.stderr);
  await until(async () => (await webPods()).length === 0, 'the replacement pod gone', 60_000);
  for (const agent of agents.splice(0)) {
    assert.equal(await agent.stop({ keep: true }), 0, agent.stderr().slice(-3000));
    assert.deepEqual(conmonsUnder(agent.dataDir), [], 'no container left behind');
    await agent.stop();
  }
});
