/**
 * Pods on real containers (crun, conmon, catatonit, CNI) through `kubeling server --runtime oci`, driven with
 * the real kubectl: the seeds' two-containers pod, init containers, probes, hooks, sidecars, restart policies,
 * logs, exec and graceful deletion. After every pod: no process, mount, netns, veth or cgroup of it left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import {
  apply,
  deleteAndCheckClean,
  getPod,
  nodeName,
  ociServerForFile,
  podEvents,
  podLeftovers,
  ready,
  running,
  waitForGone,
  waitForPod,
} from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;
let node: string;
let hostDir: string;

ociServerForFile(why, async (started) => {
  server = started;
  node = await nodeName(server);
  hostDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-e2e-host-'));
});
test.after(async () => {
  if (hostDir) await fs.rm(hostDir, { recursive: true, force: true });
});

const skip = { skip: why };

test(
  'two-containers: httpd serves what the other container wrote into the shared volume, over localhost',
  skip,
  async () => {
    await apply(
      server,
      `apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:
  hostAliases:
  - ip: "1.1.1.1"
    hostnames: ["foo.remote", "bar.remote"]
  shareProcessNamespace: true
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: web
    image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080", "-h", "/usr/share/web"]
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo hello > /usr/share/message"]
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/web
  - name: writer
    image: busybox:1.35
    command: ["sh", "-c", "echo Hello from the writer container > /pod-data/index.html; while true; do wget -q -O - http://localhost:8080/index.html; sleep 1; done"]
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
`,
    );
    const pod = await waitForPod(server, 'two-containers', running, 'both containers Running');
    assert.match(pod.status!.podIP!, new RegExp(`^${server.podCidr.replace(/0\/24$/, '').replaceAll('.', '\\.')}\\d+$`));
    const logs = await until(async () => {
      const out = (await server.kubectl(['logs', 'two-containers', '-c', 'writer'])).stdout;
      return out.includes('Hello from the writer container') && out;
    }, 'the writer to log what it fetched');
    assert.match(logs, /^Hello from the writer container$/m);
    const viaWeb = await server.kubectl([
      'exec',
      'two-containers',
      '-c',
      'web',
      '--',
      'wget',
      '-q',
      '-O',
      '-',
      'http://127.0.0.1:8080/index.html',
    ]);
    assert.equal(viaWeb.stdout, 'Hello from the writer container\n');
    const hosts = await server.kubectl(['exec', 'two-containers', '-c', 'writer', '--', 'cat', '/etc/hosts']);
    assert.match(hosts.stdout, /^# Kubernetes-managed hosts file\.\n/);
    assert.match(hosts.stdout, new RegExp(`\\n${pod.status!.podIP!.replaceAll('.', '\\.')}\\ttwo-containers\\n`));
    assert.match(hosts.stdout, /# Entries added by HostAliases\.\n1\.1\.1\.1\tfoo\.remote\tbar\.remote\n$/);
    assert.equal(
      (await server.kubectl(['exec', 'two-containers', '-c', 'web', '--', 'cat', '/usr/share/message'])).stdout,
      'hello\n',
    );
    // shareProcessNamespace: each container sees the other's processes (and the pause process as PID 1).
    const ps = await server.kubectl(['exec', 'two-containers', '-c', 'writer', '--', 'ps', '-o', 'pid,args']);
    assert.match(ps.stdout, /httpd -f -p 8080/);
    assert.match(ps.stdout, /^\s*1\s+\S*(pause|catatonit)/m);
    const hostname = await server.kubectl(['exec', 'two-containers', '-c', 'web', '--', 'hostname']);
    assert.equal(hostname.stdout, 'two-containers\n');
    await deleteAndCheckClean(server, 'two-containers');
  },
);

test('configMap, secret, downwardAPI and projected volumes and env reach a real container', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LEVEL: debug
  app.conf: |
    answer=42
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
stringData:
  password: s3cr3t
---
apiVersion: v1
kind: Pod
metadata:
  name: config-env
  labels:
    app: config
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
    resources:
      limits:
        memory: 64Mi
    env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
    - name: MEM_MI
      valueFrom:
        resourceFieldRef:
          resource: limits.memory
          divisor: 1Mi
    - name: PASSWORD
      valueFrom:
        secretKeyRef:
          name: app-secret
          key: password
    - name: GREETING
      value: "hello $(POD_NAME) $$(POD_NAME)"
    envFrom:
    - configMapRef:
        name: app-config
      prefix: CFG_
    volumeMounts:
    - name: config
      mountPath: /etc/app
    - name: secret
      mountPath: /etc/secret
    - name: info
      mountPath: /etc/podinfo
  volumes:
  - name: config
    configMap:
      name: app-config
      items:
      - key: app.conf
        path: app.conf
  - name: secret
    secret:
      secretName: app-secret
      defaultMode: 0400
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
`,
  );
  const pod = await waitForPod(server, 'config-env', running, 'Running');
  const sh = async (script: string) => (await server.kubectl(['exec', 'config-env', '--', 'sh', '-c', script])).stdout;
  assert.equal(
    await sh('echo "$POD_NAME|$POD_IP|$MEM_MI|$PASSWORD|$GREETING|$CFG_LEVEL"'),
    `config-env|${pod.status!.podIP}|64|s3cr3t|hello config-env $(POD_NAME)|debug\n`,
  );
  assert.equal(await sh('cat /etc/app/app.conf'), 'answer=42\n');
  assert.equal(await sh('cat /etc/secret/password; stat -L -c %a /etc/secret/password'), 's3cr3t400\n');
  assert.equal(await sh('cat /etc/podinfo/labels'), 'app="config"');
  assert.match(
    await sh(
      'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; ls /var/run/secrets/kubernetes.io/serviceaccount',
    ),
    /^default(ca\.crt\nnamespace\ntoken\n)$/,
  );
  // Read-only volumes stay read-only inside the container.
  assert.match(
    (await server.kubectl(['exec', 'config-env', '--', 'sh', '-c', 'touch /etc/app/x'])).stderr,
    /Read-only file system/,
  );
  // A label change reaches the downwardAPI file (the volume refresh).
  assert.equal((await server.kubectl(['label', 'pod', 'config-env', 'tier=web'])).code, 0);
  const labels = await until(async () => {
    const now = await sh('cat /etc/podinfo/labels');
    return now.includes('tier') && now;
  }, 'the new label in the downwardAPI file');
  assert.equal(labels, 'app="config"\ntier="web"');
  await deleteAndCheckClean(server, 'config-env', ['--grace-period=1']);
  await server.kubectl(['delete', 'configmap', 'app-config']);
  await server.kubectl(['delete', 'secret', 'app-secret']);
});

test('init container (javaweb-2 style) fills the volume before the app starts', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: javaweb-2
spec:
  initContainers:
  - name: war
    image: busybox:1.35
    command: ["sh", "-c", "echo sample.war > /app/sample.war"]
    volumeMounts:
    - mountPath: /app
      name: app-volume
  containers:
  - name: tomcat
    image: busybox:1.35
    command: ["sh", "-c", "cat /root/apache-tomcat/webapps/sample.war; sleep 3600"]
    volumeMounts:
    - mountPath: /root/apache-tomcat/webapps
      name: app-volume
  volumes:
  - name: app-volume
    emptyDir: {}
`,
  );
  const pod = await waitForPod(server, 'javaweb-2', running, 'Running');
  assert.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  const init = pod.status!.initContainerStatuses![0]!.state!.terminated!;
  const main = pod.status!.containerStatuses![0]!.state!.running!;
  assert.ok(
    Date.parse(main.startedAt!) >= Date.parse(init.finishedAt!),
    'the app starts after the init container finished',
  );
  assert.equal((await server.kubectl(['logs', 'javaweb-2', '-c', 'tomcat'])).stdout, 'sample.war\n');
  await deleteAndCheckClean(server, 'javaweb-2', ['--grace-period=1']);
});

test('liveness-exec: restarted by its probe, then CrashLoopBackOff; logs --previous', skip, async () => {
  // The first instance turns unhealthy and is killed by its liveness probe; later instances fail after 2 s
  // (they find the counter in the pod's emptyDir), so the restarts go into CrashLoopBackOff. The 2 s keep
  // restartCount 1 (lastState: the killed instance) visible long enough for the poll below: the second
  // instance's restart is immediate (no back-off entry yet), as upstream's.
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: liveness-exec
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: state
    emptyDir: {}
  containers:
  - name: liveness
    image: busybox:1.35
    args:
    - /bin/sh
    - -c
    - |
      n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n
      if [ "$n" -ge 1 ]; then echo "exiting $n"; sleep 2; exit 1; fi
      echo started; touch /tmp/healthy; sleep 2; rm -f /tmp/healthy; sleep 600
    volumeMounts:
    - name: state
      mountPath: /state
    livenessProbe:
      exec:
        command: ["cat", "/tmp/healthy"]
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
`,
  );
  const first = await waitForPod(
    server,
    'liveness-exec',
    (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    'a restart',
    90_000,
  );
  assert.equal(
    first.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode,
    137,
    'killed (SIGKILL after a 1 s grace period)',
  );
  const events = await podEvents(server, 'liveness-exec');
  assert.ok(
    events.some((e) =>
      /^Unhealthy: Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/.test(e),
    ),
    events.join('\n'),
  );
  assert.ok(events.includes('Killing: Container liveness failed liveness probe, will be restarted'), events.join('\n'));
  const pod = await waitForPod(
    server,
    'liveness-exec',
    (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    'CrashLoopBackOff',
    120_000,
  );
  assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
  assert.match((await server.kubectl(['logs', 'liveness-exec', '--previous'])).stdout, /^exiting \d+\n$/);
  assert.match(
    (await server.kubectl(['get', 'pod', 'liveness-exec'])).stdout,
    /liveness-exec\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\S+ ago\)/,
  );
  assert.ok(
    (await podEvents(server, 'liveness-exec')).some((e) =>
      e.startsWith('BackOff: Back-off restarting failed container liveness in pod liveness-exec'),
    ),
  );
  await deleteAndCheckClean(server, 'liveness-exec');
});

test('readiness flips the Ready condition both ways', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: readiness
spec:
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
    readinessProbe:
      exec:
        command: ["test", "-f", "/tmp/ready"]
      periodSeconds: 1
`,
  );
  const notReady = await waitForPod(server, 'readiness', (p) => running(p) && !ready(p), 'Running, not Ready');
  assert.equal(notReady.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'ContainersNotReady');
  assert.equal((await server.kubectl(['exec', 'readiness', '--', 'touch', '/tmp/ready'])).code, 0);
  await waitForPod(server, 'readiness', ready, 'Ready');
  assert.equal((await server.kubectl(['exec', 'readiness', '--', 'rm', '/tmp/ready'])).code, 0);
  await waitForPod(server, 'readiness', (p) => !ready(p), 'not Ready again');
  await deleteAndCheckClean(server, 'readiness', ['--grace-period=1']);
});

test('postStart runs before Running; preStop runs on delete before SIGTERM', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: hooks
spec:
  terminationGracePeriodSeconds: 10
  volumes:
  - name: host
    hostPath:
      path: ${hostDir}
      type: Directory
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "trap 'echo term >> /host/order; exit 0' TERM; while true; do sleep 0.2; done"]
    volumeMounts:
    - name: host
      mountPath: /host
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo poststart > /tmp/message"]
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop >> /host/order"]
`,
  );
  await waitForPod(server, 'hooks', running, 'Running');
  assert.equal((await server.kubectl(['exec', 'hooks', '--', 'cat', '/tmp/message'])).stdout, 'poststart\n');
  await deleteAndCheckClean(server, 'hooks');
  assert.equal(await fs.readFile(path.join(hostDir, 'order'), 'utf8'), 'prestop\nterm\n');
});

test('a native sidecar starts before the app and keeps running beside it', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: sidecar
spec:
  initContainers:
  - name: logshipper
    image: busybox:1.35
    restartPolicy: Always
    command: ["sh", "-c", "echo shipping; sleep 3600"]
  containers:
  - name: app
    image: busybox:1.35
    command: ["sleep", "3600"]
`,
  );
  const pod = await waitForPod(
    server,
    'sidecar',
    (p) => running(p) && !!p.status?.initContainerStatuses?.[0]?.state?.running,
    'app and sidecar running',
  );
  assert.equal(pod.status?.initContainerStatuses?.[0]?.started, true);
  const side = Date.parse(pod.status!.initContainerStatuses![0]!.state!.running!.startedAt!);
  const app = Date.parse(pod.status!.containerStatuses![0]!.state!.running!.startedAt!);
  assert.ok(app >= side);
  assert.match((await server.kubectl(['get', 'pod', 'sidecar'])).stdout, /sidecar\s+2\/2\s+Running/);
  await deleteAndCheckClean(server, 'sidecar', ['--grace-period=1']);
});

test('restartPolicy Never and OnFailure reach Succeeded and Failed', skip, async () => {
  const pod = (name: string, policy: string, code: number) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: ${policy}
  containers:
  - name: job
    image: busybox:1.35
    command: ["sh", "-c", "echo run; exit ${code}"]
---
`;
  await apply(
    server,
    pod('never-ok', 'Never', 0) + pod('never-fail', 'Never', 2) + pod('onfailure-ok', 'OnFailure', 0),
  );
  const ok = await waitForPod(server, 'never-ok', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  assert.equal(ok.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  const bad = await waitForPod(server, 'never-fail', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(bad.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 2);
  assert.equal(bad.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
  await waitForPod(server, 'onfailure-ok', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  assert.match(
    (await server.kubectl(['get', 'pods', 'never-ok', 'never-fail'])).stdout,
    /never-ok\s+0\/1\s+Completed[\s\S]*never-fail\s+0\/1\s+Error/,
  );
  for (const n of ['never-ok', 'never-fail', 'onfailure-ok']) await deleteAndCheckClean(server, n);
});

test('kubectl logs -f, --tail, --timestamps, --all-containers on a running pod', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: counter
spec:
  restartPolicy: Never
  containers:
  - name: count
    image: busybox:1.35
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 1; done"]
  - name: other
    image: busybox:1.35
    command: ["sh", "-c", "echo other; sleep 3600"]
`,
  );
  await waitForPod(
    server,
    'counter',
    (p) => !!p.status?.containerStatuses?.every((c) => c.state?.running || c.state?.terminated),
    'started',
  );
  const follow = server.spawnKubectl(['logs', '-f', 'counter', '-c', 'count']);
  let followed = '';
  follow.stdout!.on('data', (d: Buffer) => (followed += d.toString()));
  const code = await new Promise<number | null>((r) => follow.once('exit', (c) => r(c)));
  assert.equal(code, 0, 'kubectl logs -f ends when the container exits');
  assert.equal(followed, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
  assert.equal((await server.kubectl(['logs', 'counter', '-c', 'count', '--tail', '2'])).stdout, 'line 4\nline 5\n');
  assert.match(
    (await server.kubectl(['logs', 'counter', '-c', 'count', '--tail', '1', '--timestamps'])).stdout,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n$/,
  );
  const all = await server.kubectl(['logs', 'counter', '--all-containers']);
  // kubectl ranges over a Go map of the containers' requests: the blocks come in either order, each whole.
  const [count, other] = ['line 1\nline 2\nline 3\nline 4\nline 5\n', 'other\n'];
  assert.ok([count + other, other + count].includes(all.stdout), all.stdout);
  await deleteAndCheckClean(server, 'counter', ['--grace-period=1']);
});

test('kubectl exec: piped stdin, exit code 3, unknown container', skip, async () => {
  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: shell\nspec:\n  containers:\n  - name: sh\n    image: busybox:1.35\n    command: ["sleep", "3600"]\n`,
  );
  await waitForPod(server, 'shell', running, 'Running');
  const piped = await server.kubectl(['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; echo done'], {
    input: 'input-data\n',
  });
  assert.deepEqual([piped.code, piped.stdout], [0, 'input-data\ndone\n']);
  const three = await server.kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
  assert.equal(three.code, 3);
  assert.match(three.stderr, /to-stderr\n[\s\S]*command terminated with exit code 3/);
  const nope = await server.kubectl(['exec', 'shell', '-c', 'nope', '--', 'true']);
  assert.match(nope.stderr, /container nope is not valid for pod shell/);
  await deleteAndCheckClean(server, 'shell', ['--grace-period=1']);
});

test('kubectl run -i --rm attaches to the container (stdin in, output out) and deletes the pod', skip, async () => {
  const r = await server.kubectl(
    [
      'run',
      '-i',
      '--rm',
      '--restart=Never',
      '--image=busybox:1.35',
      'attached',
      '--',
      'sh',
      '-c',
      'read x; echo got $x',
    ],
    { input: 'abc\n' },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got abc\npod "attached" deleted\n');
  assert.equal(await getPod(server, 'attached'), undefined);
});

test('a host-network pod has the node IP, hostname and /etc/hosts (with the host-network header)', skip, async () => {
  await apply(
    server,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: hostnet\nspec:\n  hostNetwork: true\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: busybox:1.35\n    command: ["sleep", "3600"]\n`,
  );
  const pod = await waitForPod(server, 'hostnet', running, 'Running');
  assert.equal(pod.status?.podIP, pod.status?.hostIP);
  assert.equal((await server.kubectl(['exec', 'hostnet', '--', 'hostname'])).stdout, `${os.hostname()}\n`);
  assert.match(
    (await server.kubectl(['exec', 'hostnet', '--', 'cat', '/etc/hosts'])).stdout,
    /^# Kubernetes-managed hosts file \(host network\)\.\n/,
  );
  await deleteAndCheckClean(server, 'hostnet');
});

test('graceful delete: a container ignoring SIGTERM is killed after the grace period', skip, async () => {
  await apply(
    server,
    `apiVersion: v1
kind: Pod
metadata:
  name: stubborn
spec:
  terminationGracePeriodSeconds: 3
  volumes:
  - name: host
    hostPath:
      path: ${hostDir}
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "trap 'echo ignored-term >> /host/stubborn; t=1' TERM; while true; do if [ x$t = x1 ]; then echo still-running >> /host/stubborn; t=2; fi; sleep 0.2; done"]
    volumeMounts:
    - name: host
      mountPath: /host
`,
  );
  await waitForPod(server, 'stubborn', running, 'Running');
  await deleteAndCheckClean(server, 'stubborn');
  // Order, not time: SIGTERM came, was ignored, the container went on running (no SIGKILL right away), and
  // it ended later (the pod is gone and clean). The grace period's exact length is checked on the fake
  // clock (must-show.test.ts, "graceful delete").
  assert.equal(
    await fs.readFile(path.join(hostDir, 'stubborn'), 'utf8'),
    'ignored-term\nstill-running\n',
    'SIGTERM was delivered and ignored, and the container kept running after it',
  );
});

test('a static pod on real containers with its mirror pod', skip, async () => {
  const file = path.join(server.dataDir, 'manifests', 'static-web.yaml');
  await fs.writeFile(
    file,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: web\n    image: busybox:1.35\n    command: ["httpd", "-f", "-p", "8081"]\n`,
  );
  const name = `static-web-${node}`;
  const mirror = await waitForPod(server, name, running, 'mirror Running');
  const uid = mirror.metadata!.annotations!['kubernetes.io/config.hash']!;
  assert.equal((await server.kubectl(['exec', name, '--', 'hostname'])).stdout, `${name}\n`);
  await fs.rm(file);
  await waitForGone(server, name);
  await until(async () => podLeftovers(uid).length === 0, `nothing left of ${name}`).catch(() => undefined);
  assert.deepEqual(podLeftovers(uid), []);
});
