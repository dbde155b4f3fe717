/**
 * A highly available control plane: three `kubeling server --storage etcd://... --no-agent` on one etcd
 * (Debian's etcd-server, started here on loopback: test/fixtures/etcd.ts), the later two joined with the
 * first one's node token (so all three share its CA and tokens), and a fake-runtime agent given all three
 * URLs. The first server is left alone until it holds both Leases (`kube-system/kube-scheduler` and
 * `kube-system/kube-controller-manager`), so it is the one that gets SIGKILL. Then: another server takes both
 * Leases (holder changes, `leaseTransitions` goes up); the agent renews its node Lease through a survivor; a
 * Deployment scaled up after the kill gets its new pods scheduled onto the agent's node and Running (the
 * agent moved to a surviving server, its watches too);
 * kubectl against a surviving server sees every object acknowledged before the kill, and a watch there sees a
 * write made through the other survivor. Order and existence only; no timing asserts beyond the waits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { INode } from 'kubernetes-models/v1/Node';
import { startEtcd } from '../fixtures/etcd.ts';
import { missingEtcd } from '../prerequisites.ts';
import { startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { startAgent } from './helpers/agent.ts';
import { until } from './helpers/until.ts';
import { getJson, workloadYaml } from './helpers/workloads.ts';

const why = missingEtcd();
// The servers' and the agent's logs (silent under node --test otherwise): the test reads the Lease
// identities from them, and failures show them.
process.env.KUBELING_LOG ??= 'info';

interface LeaseJson {
  spec?: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string };
}

async function lease(server: ServerHandle, name: string): Promise<LeaseJson | undefined> {
  return getJson<LeaseJson>(server, ['lease', '-n', 'kube-system', name]);
}

/** The identity a server campaigns with for `lease` (it logs it when it starts campaigning). */
function identityOf(server: ServerHandle, lease: string): string | undefined {
  for (const line of server.stderr().split('\n')) {
    if (!line.includes('attempting to acquire leader lease') || !line.includes(`kube-system/${lease}`)) continue;
    return (JSON.parse(line) as { identity?: string }).identity;
  }
  return undefined;
}

const LEASES = ['kube-scheduler', 'kube-controller-manager'];

const deploymentYaml = (replicas: number): string => workloadYaml({ replicas, container: { name: 'main' } });

async function runningPods(server: ServerHandle, node: string): Promise<IPod[]> {
  const list = await getJson<{ items: IPod[] }>(server, ['pods', '-l', 'app=web']);
  return (list?.items ?? []).filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName === node && !p.metadata?.deletionTimestamp);
}

test('three servers on one etcd: the leader is killed, another takes its Leases, work goes on, nothing acknowledged is lost', { skip: why, timeout: 600_000 }, async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.stop());
  const storage = `etcd://${etcd.url.replace(/^http:\/\//, '')}`;

  const s1 = await startServer({ runtime: 'fake', noAgent: true, args: ['--storage', storage] });
  t.after(() => s1.stop());
  // The first server campaigns alone: it takes both Leases before the others exist.
  for (const name of LEASES) {
    await until(async () => (await lease(s1, name))?.spec?.holderIdentity === identityOf(s1, name), `s1 to hold ${name}`, 60_000);
  }
  const nodeToken = readFileSync(join(s1.dataDir, 'node-token'), 'utf8').trim();
  const s2 = await startServer({ runtime: 'fake', noAgent: true, args: ['--storage', storage, '--token', nodeToken] });
  t.after(() => s2.stop());
  const s3 = await startServer({ runtime: 'fake', noAgent: true, args: ['--storage', storage, '--token', nodeToken] });
  t.after(() => s3.stop());
  // One cluster identity: the later servers took the first one's CA and admin token from the store.
  for (const s of [s2, s3]) {
    assert.equal(s.caPem, s1.caPem);
    assert.equal(s.token, s1.token);
    assert.equal(readFileSync(join(s.dataDir, 'node-token'), 'utf8').trim(), nodeToken);
  }

  // The agent knows all three; the first is its primary.
  const nodeName = `ha-node-${process.pid}`;
  const agent = startAgent(s1, { runtime: 'fake', label: 'ha', args: ['--server', `${s2.url},${s3.url}`, '--token', nodeToken, '--node-name', nodeName] });
  t.after(() => agent.stop());
  await waitForOutput(agent.process.stdout!, /^ready node=/m, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\nagent: ${agent.stderr().slice(-3000)}\ns1: ${s1.stderr().slice(-3000)}`);
  });

  // Acknowledged writes before the kill: a Deployment running on the agent, and ConfigMaps through each server.
  const applied = await s1.kubectl(['apply', '-f', '-'], { input: deploymentYaml(2) });
  assert.equal(applied.code, 0, applied.stderr);
  const acked: string[] = [];
  for (const [i, s] of [s1, s2, s3, s1, s2, s3].entries()) {
    const r = await s.kubectl(['create', 'configmap', `acked-${i}`, `--from-literal=i=${i}`]);
    assert.equal(r.code, 0, r.stderr);
    acked.push(`acked-${i}`);
  }
  await until(async () => (await runningPods(s2, nodeName)).length === 2, '2 web pods Running on the agent', 120_000);

  const before = new Map<string, LeaseJson>();
  for (const name of LEASES) {
    const l = (await lease(s2, name))!;
    assert.equal(l.spec?.holderIdentity, identityOf(s1, name), `s1 still holds ${name}`);
    before.set(name, l);
  }

  const nodeLeaseBefore = await getJson<LeaseJson>(s2, ['lease', '-n', 'kube-node-lease', nodeName]);
  assert.ok(nodeLeaseBefore?.spec?.renewTime, 'the agent renews its node Lease');
  await s1.kill();

  // The agent, whose first server is gone, goes on renewing its node Lease through another.
  await until(async () => {
    const l = await getJson<LeaseJson>(s3, ['lease', '-n', 'kube-node-lease', nodeName]);
    return (l?.spec?.renewTime ?? '') > nodeLeaseBefore.spec!.renewTime!;
  }, 'the agent to renew its node Lease after the kill', 120_000);

  // Another server takes each Lease (after the lease duration: s1 released nothing).
  const survivors = new Map([[identityOf(s2, 'kube-scheduler'), 's2'], [identityOf(s3, 'kube-scheduler'), 's3'], [identityOf(s2, 'kube-controller-manager'), 's2'], [identityOf(s3, 'kube-controller-manager'), 's3']]);
  for (const name of LEASES) {
    const after = await until(async () => {
      const l = await lease(s3, name);
      return l?.spec?.holderIdentity !== before.get(name)!.spec?.holderIdentity ? l : undefined;
    }, `a surviving server to take ${name}`, 120_000);
    assert.ok(survivors.has(after.spec?.holderIdentity), `${name} is held by ${after.spec?.holderIdentity}, not a survivor`);
    assert.equal(after.spec?.leaseTransitions, (before.get(name)!.spec?.leaseTransitions ?? 0) + 1);
  }

  // A watch on one survivor sees a write through the other.
  const watch = s3.spawnKubectl(['get', 'configmaps', '--watch', '-o', 'name']);
  t.after(() => watch.kill('SIGKILL'));
  await waitForOutput(watch.stdout!, /configmap\/acked-5/, 60_000);
  const late = await s2.kubectl(['create', 'configmap', 'after-kill', '--from-literal=x=y']);
  assert.equal(late.code, 0, late.stderr);
  await waitForOutput(watch.stdout!, /configmap\/after-kill/, 60_000);

  // Scaled up after the kill: the new leaders' controllers and scheduler place the new pods, and the agent
  // (whose first server is dead) runs them.
  const scaled = await s2.kubectl(['scale', 'deployment', 'web', '--replicas=4']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await until(async () => (await runningPods(s3, nodeName)).length === 4, '4 web pods Running on the agent after the kill', 120_000);
  const node = await getJson<INode>(s3, ['node', nodeName]);
  assert.equal(node?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

  // Everything acknowledged before the kill is there, through either survivor.
  for (const s of [s2, s3]) {
    const names = await s.kubectl(['get', 'configmaps', '-o', 'name']);
    assert.equal(names.code, 0, names.stderr);
    for (const n of [...acked, 'after-kill']) assert.match(names.stdout, new RegExp(`^configmap/${n}$`, 'm'), `${n} missing`);
    const deploy = await getJson<{ spec?: { replicas?: number } }>(s, ['deployment', 'web']);
    assert.equal(deploy?.spec?.replicas, 4);
  }
});
