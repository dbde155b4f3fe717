/**
 * Scoring in `kubeling server --runtime fake` with two fake-runtime agents (three nodes), driven by the real
 * kubectl: a Deployment of three replicas with preferred pod anti-affinity on `kubernetes.io/hostname` lands
 * one replica per node, although the two agents' nodes carry ballast that makes the resource scores prefer the
 * server's node for all three (InterPodAffinity's weight 2 × 100 outranks what LeastAllocated differs by).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseQuantity, type Deployment, type Node, type Pod } from '../../src/api/index.ts';
import { Client } from '../../src/client/index.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import type { ServerHandle } from './helpers/server.ts';
import { serverWithClientForFile } from './helpers/server-for-file.ts';
import { until } from './helpers/until.ts';
import { workloadYaml } from './helpers/workloads.ts';

let server: ServerHandle;
let client: Client;
serverWithClientForFile({ storage: 'memory', runtime: 'fake', args: ['--node-monitor-grace-period', '1h'] }, (s) => ({ server, client } = s));

const agents: AgentHandle[] = [];
after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, { input, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a Deployment of 3 with preferred anti-affinity spreads one replica per node', async () => {
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  for (const suffix of ['b', 'c']) {
    const name = `spread-${suffix}-${process.pid}`;
    agents.push(startAgent(server, { runtime: 'fake', label: name, args: ['--token', token, '--node-name', name] }));
  }
  const ready = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const nodes = await until(async () => {
    const items = (await client.resource<Node>('nodes').list()).items;
    return items.length === 3 && items.every(ready) ? items.map((n) => n.metadata!.name!).sort() : undefined;
  }, 'three Ready nodes', 120_000);

  // Ballast: 60% of cpu and memory on each agent's node, bound directly.
  const podsApi = client.resource<Pod>('pods', 'default');
  const agentNodes = (await client.resource<Node>('nodes').list()).items.filter((n) => n.metadata!.name!.startsWith('spread-'));
  for (const n of agentNodes) {
    const cpu = Math.floor(parseQuantity(n.status!.allocatable!.cpu!).milliValue() * 0.6);
    const memory = Math.floor(parseQuantity(n.status!.allocatable!.memory!).value() * 0.6);
    await podsApi.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `ballast-${n.metadata!.name}` },
      spec: { nodeName: n.metadata!.name, containers: [{ name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'sleep 3600'], resources: { requests: { cpu: `${cpu}m`, memory: String(memory) } } }] },
    });
  }
  await until(async () => (await podsApi.list()).items.filter((p) => p.metadata!.name!.startsWith('ballast-') && p.status?.phase === 'Running').length === 2 || undefined, 'ballast running', 60_000);

  const deploy = parse(workloadYaml({ name: 'spread', replicas: 3 })) as Deployment;
  deploy.spec!.template.spec!.affinity = {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'spread' } }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  };
  await kubectlOk(['apply', '-f', '-'], stringify(deploy));
  await kubectlOk(['rollout', 'status', 'deployment/spread', '--timeout=90s']);
  const pods = (await client.resource<Pod>('pods', 'default').list({ labelSelector: 'app=spread' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), nodes);
  const wide = await kubectlOk(['get', 'pods', '-l', 'app=spread', '-o', 'wide', '--no-headers']);
  for (const n of nodes) assert.match(wide, new RegExp(`\\s${n}\\s`), `a replica on ${n}`);
});
