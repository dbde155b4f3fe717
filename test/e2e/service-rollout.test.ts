/**
 * A zero-downtime rollout through a Service, on real containers, driven by the real kubectl (issue 9's
 * must-show, seed 000's order of graceful termination). Deployment `web` (3 busybox httpd replicas, a
 * readiness probe, `preStop: sleep`, maxUnavailable 0) behind Service `web`; a client pod asks `http://web/`
 * (by name, through cluster DNS and the service proxy) in a tight loop and logs one line per request.
 * `kubectl rollout restart` and `kubectl rollout status` complete; then the client's log holds no failed
 * request and covers the whole rollout (lines logged after it began and after it ended).
 *
 * The order: the test watches the Service's EndpointSlices through the API. Each web container's shell traps
 * TERM and creates `term-<pod>` in a hostPath directory the test reads. When a watch event shows an old pod's
 * endpoint out of the ready set, the test checks at that moment that its `term-<pod>` does not exist yet:
 * the pod left the ready set before its containers got SIGTERM. Later the file must appear (the containers
 * did get TERM). Order by what the test saw first, never by durations.
 *
 * The server gets a service CIDR of its own (10.210-249.0.0/16 by pid; its DNS at .10), so parallel test
 * servers never program rules for the same cluster IPs (the e2e helper's own picks are 10.200.X.0/24, kubeling
 * run's 10.201.N.0/24).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until, untilWith } from './helpers/until.ts';
import { apply, deleteAllPods, importBusybox, waitForPod } from './pod-helpers.ts';
import { missingRealContainers, missingServiceProxy } from '../prerequisites.ts';

const why = missingRealContainers() ?? missingServiceProxy();

const serviceOctet = 210 + (process.pid % 40);
const serviceCidr = `10.${serviceOctet}.0.0/16`;
const clusterDns = `10.${serviceOctet}.0.10`;

interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { name?: string };
}
interface Slice {
  metadata: { name: string; resourceVersion: string };
  endpoints?: SliceEndpoint[] | null;
}

/** What the test saw, in the order it saw it. */
type Seen =
  | { kind: 'ready'; pod: string }
  | { kind: 'left-ready'; pod: string; termed: boolean }
  | { kind: 'term'; pod: string };

/**
 * Watches the `web` Service's EndpointSlices through the API (from `resourceVersion`) and calls `onSlice` with
 * each slice as it arrives, in order. Returns a function that stops the watch.
 */
function watchSlices(server: ServerHandle, onSlice: (type: string, slice: Slice) => void): () => void {
  const path = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true&allowWatchBookmarks=false'
    + `&labelSelector=${encodeURIComponent('kubernetes.io/service-name=web')}`;
  const url = new URL(path, server.url);
  const req = request(url, { ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
    let buffered = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as { type: string; object: Slice };
        onSlice(event.type, event.object);
      }
    });
  });
  req.on('error', () => {}).end();
  return () => req.destroy();
}

test('kubectl rollout restart through a Service drops no request; pods leave the ready set before SIGTERM', { skip: why, timeout: 600_000 }, async (t) => {
  const shared = mkdtempSync(join(tmpdir(), 'kubeling-rollout-'));
  const server = await startServer({ runtime: 'oci', storage: 'memory', args: ['--service-cidr', serviceCidr, '--cluster-dns', clusterDns] });
  let stopWatch = () => {};
  t.after(async () => {
    stopWatch();
    await server.kubectl(['delete', 'deployment', 'web', '--wait=false']);
    await deleteAllPods(server);
    await server.stop();
    rmSync(shared, { recursive: true, force: true });
  });
  await importBusybox(server);

  // Which pods' endpoints are ready right now (by pod name), and everything seen in order.
  const readyNow = new Map<string, Set<string>>(); // slice name -> ready pods
  const seen: Seen[] = [];
  const wasReady = new Set<string>();
  stopWatch = watchSlices(server, (type, slice) => {
    const before = new Set([...readyNow.values()].flatMap((s) => [...s]));
    if (type === 'DELETED') readyNow.delete(slice.metadata.name);
    else {
      const pods = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false && e.targetRef?.name);
      readyNow.set(slice.metadata.name, new Set(pods.map((e) => e.targetRef!.name!)));
    }
    const after = new Set([...readyNow.values()].flatMap((s) => [...s]));
    for (const pod of after) {
      if (before.has(pod)) continue;
      wasReady.add(pod);
      seen.push({ kind: 'ready', pod });
    }
    for (const pod of before) {
      // Checked right here, as the event arrives: has this pod's container been sent TERM already?
      if (!after.has(pod)) seen.push({ kind: 'left-ready', pod, termed: existsSync(join(shared, `term-${pod}`)) });
    }
  });
  // Each TERM record, in the order the test finds it (checked often; the order check above does not rely on this).
  const termSeen = new Set<string>();
  const termPoll = setInterval(() => {
    for (const pod of wasReady) {
      if (termSeen.has(pod) || !existsSync(join(shared, `term-${pod}`))) continue;
      termSeen.add(pod);
      seen.push({ kind: 'term', pod });
    }
  }, 50);
  t.after(() => clearInterval(termPoll));

  await apply(server, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 15
      volumes:
      - name: shared
        hostPath: {path: ${shared}, type: Directory}
      containers:
      - name: httpd
        image: busybox:1.35
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        volumeMounts: [{name: shared, mountPath: /shared}]
        command:
        - sh
        - -c
        - |
          mkdir -p /www && echo "$POD_NAME" > /www/index.html
          httpd -f -p 8080 -h /www &
          trap 'touch /shared/term-$POD_NAME; kill $!; exit 0' TERM
          wait $!
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
        lifecycle:
          preStop:
            exec: {command: ["sleep", "4"]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: busybox:1.35
    command:
    - sh
    - -c
    - |
      # (busybox 1.35's static wget crashes with -T; \`timeout\` bounds each request instead)
      i=0
      while true; do
        i=$((i+1))
        if out=$(timeout 3 wget -q -O - http://web/ 2>&1); then echo "$i ok $out"; else echo "$i fail $out"; fi
      done
`);
  const rollout = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=180s'], { timeoutMs: 200_000 });
  assert.equal(rollout.code, 0, `first rollout: ${rollout.stderr}\n${server.stderr().slice(-3000)}`);
  await waitForPod(server, 'client', (p) => p.status?.phase === 'Running', 'Running');

  const clientLog = async (): Promise<string[]> => {
    const r = await server.kubectl(['logs', 'client']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => /^\d+ (ok|fail)/.test(l));
  };
  // The client gets answers before the rollout (the Service, DNS and proxy work).
  let firstLines: string[] = [];
  await untilWith(async () => (firstLines = await clientLog()).filter((l) => / ok /.test(l)).length >= 5, 'the client\'s first answers', {
    timeoutMs: 120_000,
    retryErrors: false,
    detail: () => `client log tail:\n${firstLines.slice(-5).join('\n')}`,
  });
  const old = await until(async () => (wasReady.size === 3 ? new Set(wasReady) : undefined), 'three ready endpoints seen through the watch', 60_000);
  // Failures before the rollout (DNS or rules not yet in place when the client started) are not the rollout's.
  const beforeRollout = (await clientLog()).length;

  const restart = await server.kubectl(['rollout', 'restart', 'deployment/web']);
  assert.equal(restart.code, 0, restart.stderr);
  // Every line from here on was logged after the restart was accepted.
  const rolloutBegan = (await clientLog()).length;
  const done = await server.kubectl(['rollout', 'status', 'deployment/web', '--timeout=300s'], { timeoutMs: 320_000 });
  assert.equal(done.code, 0, `rollout status: ${done.stderr}\n${server.stderr().slice(-3000)}`);
  const afterRollout = (await clientLog()).length;
  // Every old pod's containers get TERM (after their preStop sleep, possibly after rollout status returned),
  // and requests keep flowing after the last of them.
  await until(async () => ([...old].every((p) => termSeen.has(p)) ? true : undefined), 'TERM recorded by every old pod', 60_000);
  const afterTerms = (await clientLog()).length;
  await until(async () => ((await clientLog()).length >= afterTerms + 10 ? true : undefined), 'requests after the old pods stopped', 60_000);

  const log = await clientLog();
  const during = log.slice(rolloutBegan, afterRollout);
  const failed = log.slice(beforeRollout).filter((l) => / fail/.test(l));
  assert.ok(during.length > 0, 'requests logged while the rollout ran');
  assert.ok(log.length > afterTerms, 'requests logged after the old pods stopped');
  assert.deepEqual(failed, [], `failed requests during/after the rollout (of ${log.length - beforeRollout})`);
  // Answers came from the new pods after the rollout.
  const newPods = [...wasReady].filter((p) => !old.has(p));
  assert.ok(newPods.length >= 3, `three new pods became ready: ${JSON.stringify(seen)}`);
  assert.ok(log.slice(afterRollout).some((l) => newPods.some((p) => l.endsWith(` ${p}`))), 'answers from the new pods after the rollout');

  t.diagnostic(`client: ${log.length} requests, ${beforeRollout} before the restart, ${during.length} while rollout status ran, ${log.length - afterTerms} after the last old pod's TERM`);
  t.diagnostic(`seen in order: ${seen.map((s) => `${s.kind} ${s.pod}`).join(', ')}`);
  for (const pod of old) {
    const left = seen.findIndex((s) => s.kind === 'left-ready' && s.pod === pod);
    const termed = seen.findIndex((s) => s.kind === 'term' && s.pod === pod);
    assert.ok(left >= 0, `${pod} left the ready set: ${JSON.stringify(seen)}`);
    assert.equal((seen[left] as { termed: boolean }).termed, false, `${pod} had its TERM before its endpoint left the ready set`);
    assert.ok(termed > left, `${pod}: TERM seen after leaving the ready set: ${JSON.stringify(seen)}`);
  }
});
