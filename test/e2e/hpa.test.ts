/**
 * A HorizontalPodAutoscaler on real containers: a Deployment whose pods spin a busy loop on a 20m CPU request
 * is autoscaled with `kubectl autoscale` (autoscaling/v1, stored as v2) to 50% CPU between 1 and 3 replicas.
 * The controller reads the pods' CPU through the server's metrics.k8s.io (kubelet cgroups -> /stats/summary)
 * and scales the Deployment to 3 through its `scale` subresource; once the loops stop (a file on a hostPath
 * they all watch) it scales back to 1 after the shortened downscale stabilization window. The server runs
 * with the controller manager's --horizontal-pod-autoscaler-* flags shortened; everything is seen through the
 * real kubectl (`get hpa` columns, `describe hpa`, events).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

/** The `kubectl get hpa` row of `name`, split into cells. */
function hpaRow(stdout: string, name: string): string[] | undefined {
  return stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)).find((cells) => cells[0] === name);
}

test('an HPA scales a CPU-burning Deployment from 1 to 3 and back to 1', { skip: why, timeout: 600_000 }, async (t) => {
  const switchDir = mkdtempSync(join(tmpdir(), 'kubeling-hpa-'));
  const server = await startServer({
    runtime: 'oci',
    storage: 'memory',
    args: [
      '--horizontal-pod-autoscaler-sync-period', '3s',
      '--horizontal-pod-autoscaler-downscale-stabilization', '15s',
      '--horizontal-pod-autoscaler-cpu-initialization-period', '10s',
      '--horizontal-pod-autoscaler-initial-readiness-delay', '5s',
    ],
  });
  t.after(async () => {
    await server.kubectl(['delete', 'hpa', '--all', '--wait=false']);
    await server.kubectl(['delete', 'deployment', '--all', '--wait=false']);
    await deleteAllPods(server);
    await server.stop();
    rmSync(switchDir, { recursive: true, force: true });
  });
  await importBusybox(server);
  await apply(
    server,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: burner
spec:
  replicas: 1
  selector: { matchLabels: { app: burner } }
  template:
    metadata:
      labels: { app: burner }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: burn
        image: busybox:1.35
        command: [sh, -c, "while [ ! -e /switch/stop ]; do :; done; exec sleep 3600"]
        resources: { requests: { cpu: 20m } }
        volumeMounts: [{ name: switch, mountPath: /switch }]
      volumes:
      - name: switch
        hostPath: { path: ${JSON.stringify(switchDir)}, type: Directory }
`,
  );

  const autoscale = await server.kubectl(['autoscale', 'deployment', 'burner', '--cpu-percent=50', '--min=1', '--max=3']);
  assert.equal(autoscale.code, 0, autoscale.stderr);
  assert.match(autoscale.stdout, /horizontalpodautoscaler\.autoscaling\/burner autoscaled/);

  let last = '';
  const replicas = (want: number, timeoutMs: number) =>
    untilWith(
      async () => {
        const r = await server.kubectl(['get', 'hpa', 'burner']);
        const d = await server.kubectl(['get', 'deployment', 'burner', '-o', 'jsonpath={.spec.replicas}']);
        last = `${r.stdout}${r.stderr}\ndeployment spec.replicas=${d.stdout}`;
        const row = hpaRow(r.stdout, 'burner');
        return d.stdout === String(want) && row?.[5] === String(want) && row;
      },
      `the HPA scales the Deployment to ${want}`,
      { timeoutMs, intervalMs: 1000, detail: () => `last:\n${last}\nserver log on autoscaling:\n${server.stderr().split('\n').filter((l) => l.includes('horizontal-pod-autoscaler')).slice(-20).join('\n')}` },
    );

  // NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, TARGETS as "cpu: <current>%/50%".
  const up = await replicas(3, 240_000);
  assert.equal(up[1], 'Deployment/burner');
  assert.match(up[2]!, /^cpu: \d+%\/50%$/);
  assert.equal(up[3], '1');
  assert.equal(up[4], '3');
  const burning = Number(/^cpu: (\d+)%/.exec(up[2]!)![1]);
  assert.ok(burning > 50, `a busy loop on a 20m request is far above the 50% target (${up[2]})`);

  const events = await server.kubectl(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
  assert.match(events.stdout, /New size: \d; reason: cpu resource utilization \(percentage of request\) above target/);

  const describe = await server.kubectl(['describe', 'hpa', 'burner']);
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /Reference:\s+Deployment\/burner/);
  assert.match(describe.stdout, /AbleToScale\s+True/);
  assert.match(describe.stdout, /ScalingActive\s+True\s+ValidMetricFound/);
  assert.match(describe.stdout, /SuccessfulRescale/);

  // The loops stop; usage drops, and after the stabilization window the HPA scales back to its minimum.
  writeFileSync(join(switchDir, 'stop'), '');
  const down = await replicas(1, 240_000);
  assert.match(down[2]!, /^cpu: \d+%\/50%$/);
  const after = await server.kubectl(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
  assert.match(after.stdout, /New size: 1; reason: All metrics below target/);

  // The same object read as autoscaling/v1: the CPU target and current utilization in v1's fields.
  const v1 = JSON.parse((await server.kubectl(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/burner'])).stdout) as {
    spec: { targetCPUUtilizationPercentage?: number }; status: { currentReplicas: number; currentCPUUtilizationPercentage?: number; lastScaleTime?: string };
  };
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  assert.equal(v1.status.currentReplicas, 1);
  assert.equal(typeof v1.status.currentCPUUtilizationPercentage, 'number');
  assert.ok(v1.status.lastScaleTime);
});
