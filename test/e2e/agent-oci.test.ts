/**
 * Two `kubeling agent --runtime oci` nodes on one machine, joined to one server on a cluster CIDR of this
 * test's own (10.x.0.0/16 from `pickTestClusterCidr()`, never the default 10.42.0.0/16): each node gets its
 * own /24 from the server (10.x.1.0/24, 10.x.2.0/24; the server's own node, fake and tainted here, keeps
 * 10.x.0.0/24) and its own CNI bridge (kubelingx-1, kubelingx-2), a pod on each node gets an IP from its node's /24, and each pod
 * answers HTTP from the host on that IP. After the pods are deleted and the agents stopped, no conmon of
 * either agent is left, and the test removes the bridges it caused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { KUBELING_BIN, pickTestClusterCidr, startServer, waitForOutput, type ServerHandle } from './helpers/server.ts';
import { until, untilWith } from './helpers/until.ts';
import { ensureBusyboxArchive } from '../fixtures/busybox.ts';
import { startAgent, type AgentHandle } from './helpers/agent.ts';
import { conmonsUnder } from './helpers/conmon.ts';
import { missingRealContainers } from '../prerequisites.ts';

function kubeling(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [KUBELING_BIN, ...args], { timeout: 120_000 }, (err, _out, stderr) =>
      res({ code: err ? 1 : 0, stderr: String(stderr) }),
    );
  });
}

async function startOciAgent(server: ServerHandle, name: string, archive: string): Promise<AgentHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), `kubeling-agent-oci-${name}-`));
  const imported = await kubeling(['image', 'import', archive, '--data-dir', dataDir]);
  assert.equal(imported.code, 0, imported.stderr);
  const token = readFileSync(join(server.dataDir, 'node-token'), 'utf8').trim();
  return startAgent(server, {
    runtime: 'oci',
    dataDir,
    args: ['--token', token, '--node-name', name, '--node-labels', `agent=${name}`],
    stopTimeoutMs: 30_000,
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = get(url, { timeout: 5000 }, (r) => {
      let body = '';
      r.setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () => res(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', rej);
  });
}

test(
  'two oci agents on one machine: own /24 and bridge each, pods reachable on their IPs',
  { timeout: 300_000 },
  async (t) => {
    const why = missingRealContainers();
    if (why) {
      t.skip(why);
      return;
    }
    const archive = await ensureBusyboxArchive();
    // The server's own node is fake and tainted: it only holds the first /24 out of the way.
    const clusterCidr = pickTestClusterCidr();
    const x = /^10\.(\d+)\.0\.0\/16$/.exec(clusterCidr)![1]!;
    const server = await startServer({
      runtime: 'fake',
      clusterCidr,
      args: ['--node-taint', 'e2e.kubeling.io/fake=:NoSchedule'],
    });
    t.after(() => server.stop());
    assert.equal(server.clusterCidr, clusterCidr);
    const agents: AgentHandle[] = [];
    const bridges: string[] = [];
    t.after(async () => {
      for (const a of agents) await a.stop();
      for (const b of bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
    });

    const nodes: { name: string; cidr: string; bridge: string }[] = [];
    for (const name of [`oci-a-${process.pid}`, `oci-b-${process.pid}`]) {
      const agent = await startOciAgent(server, name, archive);
      agents.push(agent);
      const line = await waitForOutput(agent.process.stdout!, /^ready .*\n/m, 90_000).catch((err: Error) =>
        assert.fail(`${err.message}\n${agent.stderr().slice(-3000)}`),
      );
      const cidr = /podCIDR=(\S+)/.exec(line)![1]!;
      const bridge = /bridge=(\S+)/.exec(line)![1]!;
      bridges.push(bridge);
      nodes.push({ name, cidr, bridge });
    }
    assert.deepEqual(
      nodes.map((n) => n.cidr),
      [`10.${x}.1.0/24`, `10.${x}.2.0/24`],
    );
    assert.deepEqual(
      nodes.map((n) => n.bridge),
      [`kubeling${x}-1`, `kubeling${x}-2`],
    );

    for (const n of nodes) {
      const r = await server.kubectl(['apply', '-f', '-'], {
        input: `apiVersion: v1
kind: Pod
metadata:
  name: web-${n.name}
spec:
  terminationGracePeriodSeconds: 5
  nodeSelector:
    agent: ${n.name}
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && hostname > /www/index.html && httpd -f -p 8080 -h /www & wait"]
`,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    for (const n of nodes) {
      let pod: IPod | undefined;
      await untilWith(
        async () => {
          const r = await server.kubectl(['get', 'pod', `web-${n.name}`, '-o', 'json']);
          pod = r.code === 0 ? (JSON.parse(r.stdout) as IPod) : undefined;
          return pod?.status?.phase === 'Running' && pod.status.podIP;
        },
        `web-${n.name} Running`,
        {
          timeoutMs: 90_000,
          intervalMs: 300,
          detail: () => `${JSON.stringify(pod?.status)}\n${agents[nodes.indexOf(n)]!.stderr().slice(-3000)}`,
        },
      );
      assert.equal(pod!.spec?.nodeName, n.name);
      const ip = pod!.status!.podIP!;
      assert.ok(ip.startsWith(n.cidr.replace(/0\/24$/, '')), `${ip} is not in ${n.cidr}`);
      // The node reaches its pod over the pod's own bridge.
      const body = await until(() => httpGet(`http://${ip}:8080/`), `HTTP from web-${n.name} on ${ip}`, 20_000);
      assert.equal(body.trim(), `web-${n.name}`);
    }

    const del = await server.kubectl(['delete', 'pod', '--all', '--timeout=60s']);
    assert.equal(del.code, 0, del.stderr);
    for (const a of agents) {
      assert.equal(await a.stop(), 0, a.stderr().slice(-3000));
      assert.deepEqual(conmonsUnder(a.dataDir), [], 'no conmon of a deleted pod is left');
    }
  },
);
