/**
 * Probes on real pods (`kubeling server --runtime oci`, the real kubectl): httpGet readiness and liveness
 * against a busybox httpd (a liveness check that starts failing restarts the container, with the Unhealthy and
 * Killing events in Kubernetes' words), tcpSocket readiness (Ready only once the port listens), a startup probe
 * that holds readiness and liveness until it succeeds and one whose failure restarts the container, and a gRPC
 * readiness probe against grpc.health.v1.Health/Check served by this test process on the node address of a
 * hostNetwork pod (the busybox image cannot serve gRPC). Checks are on order and existence, never on time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import {
  apply,
  deleteAndCheckClean,
  getPod,
  ociServerForFile,
  podEvents,
  ready,
  running,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
ociServerForFile(why, (started) => {
  server = started;
});
const skip = { skip: why };

const status = (p: IPod, name: string) => p.status!.containerStatuses!.find((c) => c.name === name)!;
const notReady = (p: IPod) => running(p) && !ready(p);

/**
 * Runs an idempotent script in the pod. kubectl 1.32's WebSocket client can drop a message that arrives before
 * it has created its streams ("Unknown stream id 3, discarding message", then "error: closed all streams";
 * kubernetes/kubernetes#131189, fixed in client-go 1.33): a command that ends at once sometimes loses its
 * result that way, so exactly that failure is run again.
 */
async function exec(pod: string, script: string): Promise<void> {
  const r = await until(async () => {
    const res = await server.kubectl(['exec', pod, '--', 'sh', '-c', script]);
    return !/Unknown stream id \d+, discarding message/.test(res.stderr) && res;
  }, `kubectl exec ${pod} -- ${script}`);
  assert.equal(r.code, 0, r.stderr);
}

/** Waits until the pod's events include a line matching `pattern`; returns them all. */
function eventMatching(pod: string, pattern: RegExp): Promise<string[]> {
  return until(async () => {
    const events = await podEvents(server, pod);
    return events.some((e) => pattern.test(e)) && events;
  }, `an event of ${pod} matching ${pattern}`, 60_000);
}

test('httpGet readiness and liveness on busybox httpd: Ready follows the page, a failing liveness restarts', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: http-probes
spec:
  containers:
  - name: web
    image: busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"]
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
      failureThreshold: 2
`,
  );
  // Running, but not Ready while /ready is missing (httpd answers 404).
  await waitForPod(server, 'http-probes', notReady, 'Running, not Ready');
  await eventMatching('http-probes', /^Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404$/);
  assert.equal(status((await getPod(server, 'http-probes'))!, 'web').ready, false);

  await exec('http-probes', 'echo ok > /www/ready');
  const readyPod = await waitForPod(server, 'http-probes', ready, 'Ready once /ready is served');
  assert.equal(status(readyPod, 'web').ready, true);
  assert.equal(status(readyPod, 'web').restartCount, 0);
  const firstId = status(readyPod, 'web').containerID;

  // The liveness page goes: two failures, then the kubelet kills and restarts the container.
  await exec('http-probes', 'rm /www/healthz');
  const restarted = await waitForPod(
    server,
    'http-probes',
    (p) => status(p, 'web').restartCount >= 1 && status(p, 'web').state?.running !== undefined,
    'the web container restarted by its liveness probe',
  );
  const web = status(restarted, 'web');
  assert.notEqual(web.containerID, firstId);
  assert.equal(web.lastState?.terminated?.containerID, firstId);
  const events = await eventMatching('http-probes', /^Killing: Container web failed liveness probe, will be restarted$/);
  assert.ok(events.includes('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 404'), events.join('\n'));
  // The new container has no /ready page: not Ready again (a fresh writable layer).
  await waitForPod(server, 'http-probes', (p) => notReady(p) && status(p, 'web').restartCount >= 1, 'not Ready after the restart');
  await deleteAndCheckClean(server, 'http-probes', ['--grace-period=1']);
});

test('tcpSocket readiness: the pod turns Ready only once the port listens', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: tcp-ready
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "while [ ! -f /tmp/listen ]; do sleep 0.2; done; exec httpd -f -p 9000"]
    readinessProbe:
      tcpSocket: {port: 9000}
      periodSeconds: 1
`,
  );
  const pod = await waitForPod(server, 'tcp-ready', notReady, 'Running, not Ready');
  const ip = pod.status!.podIP!;
  await eventMatching(
    'tcp-ready',
    new RegExp(`^Unhealthy: Readiness probe failed: dial tcp ${ip.replaceAll('.', '\\.')}:9000: connect: connection refused$`),
  );
  assert.equal(ready((await getPod(server, 'tcp-ready'))!), false);
  await exec('tcp-ready', 'touch /tmp/listen');
  const after = await waitForPod(server, 'tcp-ready', ready, 'Ready once port 9000 listens');
  assert.equal(status(after, 'app').restartCount, 0);
  await deleteAndCheckClean(server, 'tcp-ready', ['--grace-period=1']);
});

test('a startup probe holds readiness and liveness until it succeeds', skip, async () => {
  // Liveness and readiness would fail at once if they ran before startup succeeded (no /tmp/started yet).
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: startup-gate
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
    startupProbe:
      exec: {command: ["test", "-f", "/tmp/started"]}
      periodSeconds: 1
      failureThreshold: 1000
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/started"]}
      periodSeconds: 1
      failureThreshold: 1
    readinessProbe:
      exec: {command: ["test", "-f", "/tmp/started"]}
      periodSeconds: 1
`,
  );
  await waitForPod(server, 'startup-gate', running, 'Running');
  // Several startup failures (one event, counted), and meanwhile neither liveness nor readiness ran.
  await until(async () => {
    const r = await server.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=startup-gate,reason=Unhealthy', '-o', 'json']);
    const items = JSON.parse(r.stdout).items as { message: string; count?: number }[];
    return items.some((e) => e.message === 'Startup probe failed: ' && (e.count ?? 1) >= 3);
  }, 'three failed startup probes');
  const held = (await getPod(server, 'startup-gate'))!;
  assert.equal(status(held, 'app').started, false);
  assert.equal(status(held, 'app').ready, false);
  assert.equal(status(held, 'app').restartCount, 0, 'liveness did not run before startup succeeded');
  const events = await podEvents(server, 'startup-gate');
  assert.ok(!events.some((e) => /Liveness probe|Readiness probe|Killing/.test(e)), events.join('\n'));

  await exec('startup-gate', 'touch /tmp/started');
  const started = await waitForPod(server, 'startup-gate', (p) => ready(p) && status(p, 'app').started === true, 'started and Ready');
  assert.equal(status(started, 'app').restartCount, 0);
  await deleteAndCheckClean(server, 'startup-gate', ['--grace-period=1']);
});

test('a failing startup probe restarts the container', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: startup-fails
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
    startupProbe:
      tcpSocket: {port: 9999}
      periodSeconds: 1
      failureThreshold: 2
`,
  );
  const pod = await waitForPod(server, 'startup-fails', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'a restart');
  const ip = pod.status!.podIP!;
  const events = await eventMatching('startup-fails', /^Killing: Container app failed startup probe, will be restarted$/);
  assert.ok(
    events.includes(`Unhealthy: Startup probe failed: dial tcp ${ip}:9999: connect: connection refused`),
    events.join('\n'),
  );
  const app = status(pod, 'app');
  assert.equal(app.started, false);
  assert.equal(app.lastState?.terminated?.exitCode, 137);
  await deleteAndCheckClean(server, 'startup-fails', ['--grace-period=1']);
});

/**
 * grpc.health.v1.Health/Check over h2c: answers every Check with the current status (1 SERVING, 2
 * NOT_SERVING) in a length-prefixed HealthCheckResponse{status=1:enum}, grpc-status 0 in the trailers.
 */
function startHealthServer(host: string): Promise<{ port: number; set(s: 1 | 2): void; checks: () => number; close(): Promise<void> }> {
  let current: 1 | 2 = 1;
  let checks = 0;
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('end', () => {
      if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
        return;
      }
      checks++;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, current]));
    });
  });
  return new Promise((resolve, reject) => {
    h2.once('error', reject).listen(0, host, () =>
      resolve({
        port: (h2.address() as AddressInfo).port,
        set: (s) => (current = s),
        checks: () => checks,
        close: () => new Promise<void>((r) => h2.close(() => r())),
      }),
    );
  });
}

test('grpc readiness (hostNetwork pod, health served by the test): Ready follows SERVING and NOT_SERVING', skip, async (t) => {
  const nodeIP = (await server.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
  assert.match(nodeIP, /^[\d.]+$/);
  const health = await startHealthServer(nodeIP);
  t.after(() => health.close());
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: grpc-ready
spec:
  hostNetwork: true
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
    readinessProbe:
      grpc: {port: ${health.port}}
      periodSeconds: 1
`,
  );
  const pod = await waitForPod(server, 'grpc-ready', (p) => running(p) && ready(p), 'Ready on SERVING');
  assert.equal(pod.status!.podIP, nodeIP);
  assert.ok(health.checks() >= 1, 'the kubelet called Health/Check');
  health.set(2);
  await waitForPod(server, 'grpc-ready', notReady, 'not Ready on NOT_SERVING');
  await eventMatching('grpc-ready', /^Unhealthy: Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$/);
  health.set(1);
  await waitForPod(server, 'grpc-ready', ready, 'Ready again on SERVING');
  await deleteAndCheckClean(server, 'grpc-ready', ['--grace-period=1']);
});
