/**
 * The logic behind issue #4's "Must show" list, on FakeRuntime with a fake clock: each scenario the end-to-end
 * tests run on real containers is driven here through KubeletPodSyncer + PodWorkers (as kubelet-node wires
 * them), checking the API status, `kubectl get pods` STATUS, events and runtime calls. A regression in the sync
 * logic shows here without crun.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig, PodSandboxConfig } from '../../runtime/runtime.ts';
import type { Pod } from '../kuberuntime/api.ts';
import { makePod } from '../kuberuntime/testing.ts';
import { startKubelet, type TestKubelet } from './testing.ts';

const created = (k: TestKubelet, name?: string) =>
  k.runtime.calls
    .filter((c) => c.method === 'createContainer')
    .map((c) => ({ sandboxId: c.args[0] as string, config: c.args[1] as ContainerConfig }))
    .filter((c) => !name || c.config.metadata.name === name);

const events = (k: TestKubelet, reason: string) => k.recorder.events.filter((e) => e.reason === reason);

function deleting(pod: Pod, grace: number): Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: grace },
  };
}

test('two-containers: one sandbox, the shared volume at one host path, postStart before Running, NotReady once the writer is done', async () => {
  const k = await startKubelet();
  k.runtime.scriptContainer({ name: 'debian-container' }, { exitAfterMs: 500, exitCode: 0 });
  const pod = makePod('two-containers')
    .container('nginx-container', {
      command: ['httpd', '-f', '-h', '/usr/share/nginx/html'],
      lifecycle: {
        postStart: { exec: { command: ['/bin/sh', '-c', 'echo hello > /usr/share/message'] } },
        preStop: { exec: { command: ['/bin/sh', '-c', 'kill 1'] } },
      },
      volumeMounts: [{ name: 'shared-data', mountPath: '/usr/share/nginx/html' }],
    })
    .container('debian-container', {
      command: ['/bin/sh'],
      args: ['-c', 'echo Hello from the debian container > /pod-data/index.html'],
      volumeMounts: [{ name: 'shared-data', mountPath: '/pod-data' }],
    })
    .restartPolicy('Never')
    .set((p) => {
      p.spec!.shareProcessNamespace = true;
      p.spec!.volumes = [{ name: 'shared-data', hostPath: { path: '/data' } }];
    })
    .build();
  k.add(pod);
  await k.advance(3000);

  assert.equal(k.runtime.calls.filter((c) => c.method === 'runPodSandbox').length, 1);
  const [web, writer] = [created(k, 'nginx-container')[0], created(k, 'debian-container')[0]];
  assert.equal(web.sandboxId, writer.sandboxId, 'both containers in one sandbox (one network namespace: localhost)');
  const hostPathOf = (c: ContainerConfig, at: string) => c.mounts.find((m) => m.containerPath === at)?.hostPath;
  assert.equal(hostPathOf(web.config, '/usr/share/nginx/html'), hostPathOf(writer.config, '/pod-data'));
  assert.equal(web.config.linux.securityContext.namespaceOptions.pid, 'pod', 'shareProcessNamespace');
  const sandbox = k.runtime.calls.find((c) => c.method === 'runPodSandbox')!.args[0] as PodSandboxConfig;
  assert.equal(sandbox.linux.namespaceOptions.pid, 'pod');
  assert.ok(
    k.runtime.calls.some((c) => c.method === 'execSync' && (c.args[1] as string[]).join(' ').includes('/usr/share/message')),
    'postStart ran',
  );

  const s = k.status(pod)!;
  assert.equal(s.phase, 'Running');
  assert.match(s.podIP ?? '', /^10\.42\.0\.\d+$/);
  const [nginx, debian] = s.containerStatuses!;
  assert.ok(nginx.state?.running && nginx.ready);
  assert.deepEqual(
    [debian.state?.terminated?.reason, debian.state?.terminated?.exitCode, debian.ready],
    ['Completed', 0, false],
  );
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.message], ['False', 'containers with unready status: [debian-container]']);
  assert.equal(k.statusText(pod), 'NotReady');
  await k.stop();
});

test('javaweb-2: the init container runs to completion before the app, on the same volume; Init:0/1 → PodInitializing → Running', async () => {
  const k = await startKubelet();
  k.runtime.scriptContainer({ name: 'war' }, { exitAfterMs: 3000, exitCode: 0 });
  const pod = makePod('javaweb-2')
    .init('war', {
      image: 'geektime/sample:v2',
      command: ['cp', '/sample.war', '/app'],
      volumeMounts: [{ mountPath: '/app', name: 'app-volume' }],
    })
    .container('tomcat', {
      image: 'geektime/tomcat:7.0',
      command: ['sh', '-c', '/root/apache-tomcat-7.0.42-v2/bin/start.sh'],
      volumeMounts: [{ mountPath: '/root/apache-tomcat-7.0.42-v2/webapps', name: 'app-volume' }],
      ports: [{ containerPort: 8080, hostPort: 8001 }],
    })
    .set((p) => (p.spec!.volumes = [{ name: 'app-volume', emptyDir: {} }]))
    .build();
  k.add(pod);
  await k.advance(2000);
  assert.equal(k.statusText(pod), 'Init:0/1');
  assert.equal(created(k, 'tomcat').length, 0, 'the app waits for the init container');
  await k.advance(4000);
  const s = k.status(pod)!;
  assert.equal(k.statusText(pod), 'Running');
  assert.deepEqual(k.statusHistory(pod), ['Init:0/1', 'PodInitializing', 'Running']);
  assert.deepEqual(
    [s.initContainerStatuses?.[0].state?.terminated?.reason, s.initContainerStatuses?.[0].ready],
    ['Completed', true],
  );
  assert.equal(s.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  const [war, tomcat] = [created(k, 'war')[0].config, created(k, 'tomcat')[0].config];
  assert.equal(war.mounts[0].hostPath, tomcat.mounts[0].hostPath, 'the war lands where tomcat reads it');
  const sandbox = k.runtime.calls.find((c) => c.method === 'runPodSandbox')!.args[0] as PodSandboxConfig;
  assert.deepEqual(sandbox.portMappings, [{ protocol: 'TCP', containerPort: 8080, hostPort: 8001, hostIp: undefined }]);
  assert.deepEqual(
    [s.containerStatuses?.[0].image, s.containerStatuses?.[0].imageID],
    ['docker.io/geektime/tomcat:7.0', s.containerStatuses?.[0].imageID],
  );
  assert.match(s.containerStatuses![0].imageID!, /^docker\.io\/geektime\/tomcat@sha256:[0-9a-f]{64}$/);
  await k.stop();
});

test('liveness-exec: restarted by its liveness probe (Unhealthy, Killing), then CrashLoopBackOff as it keeps failing', async () => {
  const k = await startKubelet();
  // `touch /tmp/healthy; sleep 30; rm -rf /tmp/healthy; sleep 600`: healthy for the first 30 s of each run.
  k.runtime.scriptExec(async ({ containerName, cmd }) => {
    if (cmd.join(' ') !== 'cat /tmp/healthy') return undefined;
    const running = await k.runtime.listContainers({ state: 'CONTAINER_RUNNING' });
    const id = running.find((c) => c.metadata.name === containerName)?.id;
    const startedAt = id ? (await k.runtime.containerStatus(id)).startedAt : 0;
    return k.clock.now() - startedAt < 30_000
      ? { exitCode: 0 }
      : { exitCode: 1, stderr: Buffer.from("cat: can't open '/tmp/healthy': No such file or directory\n") };
  });
  const pod = makePod('liveness-exec')
    .container('liveness', {
      image: 'k8s.gcr.io/busybox',
      args: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 30; rm -rf /tmp/healthy; sleep 600'],
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 5, periodSeconds: 5 },
    })
    .build();
  k.add(pod);
  await k.advance(60_000);
  const first = k.status(pod)!.containerStatuses![0];
  assert.equal(first.restartCount, 1, 'one restart after three failed probes');
  assert.ok(first.state?.running);
  assert.equal(first.lastState?.terminated?.reason, 'Error');
  assert.equal(
    events(k, 'Unhealthy')[0].message,
    "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
  );
  assert.equal(events(k, 'Killing')[0].message, 'Container liveness failed liveness probe, will be restarted');
  assert.equal(events(k, 'Killing')[0].fieldPath, 'spec.containers{liveness}');

  // Each run lasts ~40 s; once the back-off (10, 20, 40, 80 s) outgrows that, the restart waits.
  await k.advance(240_000);
  const history = k.statusHistory(pod);
  assert.ok(history.includes('CrashLoopBackOff'), `STATUS history ${history.join(' → ')}`);
  assert.deepEqual(history.slice(0, 2), ['ContainerCreating', 'Running']);
  const backingOff = events(k, 'BackOff').at(-1);
  assert.equal(backingOff?.message, 'Back-off restarting failed container liveness in pod liveness-exec_default(uid-liveness-exec)');
  const waiting = k.status(pod)!.containerStatuses![0];
  if (waiting.state?.waiting) {
    assert.equal(waiting.state.waiting.reason, 'CrashLoopBackOff');
    assert.match(
      waiting.state.waiting.message ?? '',
      /^back-off (1m20s|2m40s) restarting failed container=liveness pod=liveness-exec_default\(uid-liveness-exec\)$/,
    );
  }
  assert.ok(waiting.restartCount! >= 5);
  await k.stop();
});

test('crash loop: kubectl get pods -w shows ContainerCreating → Running → Error → Running → Error → CrashLoopBackOff; restartCount and lastState follow', async () => {
  const k = await startKubelet({ slowApi: true });
  k.runtime.scriptContainer({ name: 'app' }, { exitAfterMs: 3000, exitCode: 1 });
  const pod = makePod('crash').container('app').build();
  k.add(pod);
  await k.advance(12_000);
  assert.deepEqual(k.statusHistory(pod).slice(0, 6), [
    'ContainerCreating',
    'Running',
    'Error',
    'Running',
    'Error',
    'CrashLoopBackOff',
  ]);
  const c = k.status(pod)!.containerStatuses![0];
  assert.deepEqual(
    [c.restartCount, c.state?.waiting?.reason, c.lastState?.terminated?.reason, c.lastState?.terminated?.exitCode],
    [1, 'CrashLoopBackOff', 'Error', 1],
  );
  assert.equal(c.state?.waiting?.message, 'back-off 10s restarting failed container=app pod=crash_default(uid-crash)');
  assert.equal(k.status(pod)?.phase, 'Running');
  const ready = k.status(pod)!.conditions!.find((x) => x.type === 'ContainersReady');
  assert.deepEqual([ready?.status, ready?.reason], ['False', 'ContainersNotReady']);
  await k.stop();
});

test('readiness flipping Ready: the Ready condition follows the readiness probe, without restarts', async () => {
  const k = await startKubelet();
  let ready = false;
  k.runtime.scriptExec(({ cmd }) => (cmd[0] === 'ready' ? { exitCode: ready ? 0 : 1 } : undefined));
  const pod = makePod('readiness')
    .container('web', { readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 2 } })
    .build();
  k.add(pod);
  const cond = () => k.status(pod)?.conditions?.find((c) => c.type === 'Ready');
  await k.advance(5000);
  assert.deepEqual([cond()?.status, cond()?.reason], ['False', 'ContainersNotReady']);
  assert.equal(k.statusText(pod), 'Running', 'STATUS stays Running; READY shows 0/1');
  ready = true;
  await k.advance(4000);
  assert.equal(cond()?.status, 'True');
  ready = false;
  await k.advance(8000);
  assert.equal(cond()?.status, 'False');
  assert.equal(k.status(pod)?.containerStatuses?.[0].restartCount, 0);
  await k.stop();
});

test('postStart/preStop: not Running before postStart finishes; a failing postStart kills it (FailedPostStartHook); preStop before the stop', async () => {
  const k = await startKubelet();
  k.runtime.scriptExec(({ cmd }) => (cmd[0] === 'fail-hook' ? { exitCode: 1, stderr: Buffer.from('nope') } : undefined));
  const pod = makePod('hooks')
    .container('web', {
      lifecycle: { postStart: { sleep: { seconds: 5 } }, preStop: { exec: { command: ['drain'] } } },
    })
    .build();
  k.add(pod);
  await k.advance(3000);
  assert.equal(k.statusText(pod), 'ContainerCreating', 'postStart still running');
  await k.advance(4000);
  assert.equal(k.statusText(pod), 'Running');

  const bad = makePod('bad-hook')
    .container('web', { lifecycle: { postStart: { exec: { command: ['fail-hook'] } } } })
    .restartPolicy('Never')
    .build();
  k.add(bad);
  await k.advance(3000);
  const hookFailed = events(k, 'FailedPostStartHook')[0];
  assert.equal(
    hookFailed?.message,
    'Exec lifecycle hook ([fail-hook]) for Container "web" in Pod "bad-hook_default(uid-bad-hook)" failed - error: command \'fail-hook\' exited with 1: nope, message: "nope"',
  );
  assert.ok(k.recorder.events.some((e) => e.pod === 'bad-hook' && e.reason === 'Killing' && e.message === 'FailedPostStartHook'));
  assert.ok(k.status(bad)?.containerStatuses?.[0].state?.terminated);

  const mark = k.runtime.calls.length;
  k.update(deleting(k.apiPod(pod), 30), 'kill');
  await k.advance(3000);
  const order = k.runtime.calls
    .slice(mark)
    .filter((c) => (c.method === 'execSync' && (c.args[1] as string[])[0] === 'drain') || c.method === 'stopContainer')
    .map((c) => c.method);
  assert.deepEqual(order.slice(0, 2), ['execSync', 'stopContainer'], 'preStop runs before the stop signal');
  await k.stop();
});

test('native sidecar: started first, the app waits for its startup probe, restarted when it exits, stopped after the app', async () => {
  const k = await startKubelet();
  let started = false;
  k.runtime.scriptExec(({ containerName }) => (containerName === 'proxy' ? { exitCode: started ? 0 : 1 } : undefined));
  k.runtime.scriptContainer({ name: 'job' }, { exitAfterMs: 20_000, exitCode: 0 });
  const pod = makePod('sidecar')
    .sidecar('proxy', { startupProbe: { exec: { command: ['up'] }, periodSeconds: 1, failureThreshold: 100 } })
    .container('job')
    .restartPolicy('Never')
    .build();
  k.add(pod);
  await k.advance(4000);
  assert.equal(created(k, 'job').length, 0, 'the app waits for the sidecar to be started');
  assert.equal(k.statusText(pod), 'Init:0/1');
  started = true;
  await k.advance(3000);
  assert.equal(k.statusText(pod), 'Running');
  assert.equal(k.status(pod)?.initContainerStatuses?.[0].started, true);
  // The sidecar crashes: restarted beside the app, the pod stays Running.
  const proxy = (await k.runtime.listContainers({ state: 'CONTAINER_RUNNING' })).find((c) => c.metadata.name === 'proxy')!;
  k.runtime.exitContainer(proxy.id, 1);
  await k.advance(3000);
  assert.equal(created(k, 'proxy').length, 2);
  assert.equal(k.status(pod)?.phase, 'Running');
  await k.advance(20_000);
  const s = k.status(pod)!;
  assert.equal(s.phase, 'Succeeded', 'the sidecar does not keep the pod alive');
  assert.ok(s.initContainerStatuses?.[0].state?.terminated);
  const stops = k.runtime.calls.filter((c) => c.method === 'stopContainer').map((c) => c.args[0]);
  assert.ok(stops.length >= 1);
  await k.stop();
});

test('restartPolicy Never/OnFailure: pods reach Succeeded/Failed (STATUS Completed/Error); OnFailure restarts a failure', async () => {
  const k = await startKubelet();
  k.runtime.scriptContainer({ name: 'ok' }, { exitAfterMs: 2000, exitCode: 0 });
  k.runtime.scriptContainer({ name: 'bad' }, { exitAfterMs: 2000, exitCode: 3 });
  const neverOk = makePod('never-ok').container('ok').restartPolicy('Never').build();
  const neverBad = makePod('never-bad').container('bad').restartPolicy('Never').build();
  const onFailureOk = makePod('onfailure-ok').container('ok').restartPolicy('OnFailure').build();
  const onFailureBad = makePod('onfailure-bad').container('bad').restartPolicy('OnFailure').build();
  for (const p of [neverOk, neverBad, onFailureOk, onFailureBad]) k.add(p);
  await k.advance(6000);
  assert.deepEqual(
    [neverOk, neverBad, onFailureOk].map((p) => [k.status(p)?.phase, k.statusText(p)]),
    [
      ['Succeeded', 'Completed'],
      ['Failed', 'Error'],
      ['Succeeded', 'Completed'],
    ],
  );
  assert.equal(k.status(onFailureBad)?.phase, 'Running');
  assert.ok(k.status(onFailureBad)!.containerStatuses![0].restartCount! >= 1);
  assert.equal(k.status(neverBad)?.containerStatuses?.[0].restartCount, 0);
  await k.stop();
});

test('graceful delete: SIGTERM handled within the grace period, or SIGKILL when it runs out; then the pod is handed back for deletion', async () => {
  const k = await startKubelet();
  k.runtime.scriptContainer({ name: 'polite' }, { stopDelayMs: 2000, stopExitCode: 0 });
  k.runtime.scriptContainer({ name: 'stubborn' }, { stopDelayMs: 3_600_000 });
  const polite = makePod('polite').container('polite').build();
  const stubborn = makePod('stubborn').container('stubborn').build();
  k.add(polite);
  k.add(stubborn);
  await k.advance(2000);
  k.update(deleting(k.apiPod(polite), 30), 'kill');
  k.update(deleting(k.apiPod(stubborn), 5), 'kill');
  await k.advance(1000);
  assert.equal(k.statusText(polite), 'Terminating');
  await k.advance(8000);
  const stopArgs = k.runtime.calls.filter((c) => c.method === 'stopContainer').map((c) => c.args[1]);
  assert.deepEqual([...stopArgs].sort(), [30, 5], 'the stop carries each pod’s grace period');
  const final = (p: Pod) => k.status(p)?.containerStatuses?.[0].state?.terminated;
  assert.deepEqual([final(polite)?.exitCode, k.status(polite)?.phase], [0, 'Succeeded']);
  assert.deepEqual([final(stubborn)?.exitCode, k.status(stubborn)?.phase], [137, 'Failed']);
  assert.deepEqual([...k.deleted].sort(), ['polite', 'stubborn']);
  assert.deepEqual(await k.runtime.listContainers(), []);
  assert.deepEqual(await k.runtime.listPodSandbox(), []);
  assert.deepEqual(events(k, 'Killing').map((e) => e.message).sort(), ['Stopping container polite', 'Stopping container stubborn']);
  await k.stop();
});

test('kubelet restart adopts running pods: no container restarts, restartCount and Ready unchanged', async () => {
  let k = await startKubelet();
  let booting = true; // the startup probe only passes while the app boots
  k.runtime.scriptExec(({ cmd }) => (cmd[0] === 'booted' ? { exitCode: booting ? 0 : 1 } : undefined));
  const pod = makePod('adopt')
    .container('web', {
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 },
      startupProbe: { exec: { command: ['booted'] }, periodSeconds: 1, failureThreshold: 2 },
    })
    .container('flaky')
    .build();
  k.add(pod);
  await k.advance(12_000);
  // flaky crashes once and is restarted at once (first exit: no back-off).
  const flaky = (await k.runtime.listContainers()).find((c) => c.metadata.name === 'flaky')!;
  k.runtime.exitContainer(flaky.id, 1);
  await k.advance(3000);
  const before = k.status(pod)!;
  const restarts = before.containerStatuses!.map((c) => c.restartCount);
  assert.deepEqual(restarts, [0, 1]);
  const creates = created(k).length;

  // The new kubelet's first readiness probe waits half a period (jitter): Ready must hold meanwhile. The
  // startup probe (failing now) is not run again for a container the API shows started.
  booting = false;
  k = await k.restart([pod], { probeRandom: () => 0.5 });
  for (let s = 0; s < 8; s++) {
    await k.advance(1000);
    const readyNow = k.status(pod)?.conditions?.find((c) => c.type === 'Ready')?.status;
    assert.equal(readyNow, 'True', `Ready after ${s + 1} s of the new kubelet`);
  }
  assert.equal(created(k).length, creates, 'nothing recreated');
  assert.equal(k.runtime.calls.filter((c) => c.method === 'stopContainer').length, 0, 'nothing stopped');
  const after = k.status(pod)!;
  assert.deepEqual(after.containerStatuses!.map((c) => c.restartCount), restarts);
  assert.deepEqual(
    after.containerStatuses!.map((c) => c.containerID),
    before.containerStatuses!.map((c) => c.containerID),
  );
  assert.equal(after.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(after.containerStatuses?.[0].started, true);
  assert.equal(after.startTime, before.startTime);
  await k.stop();
});

test('an image name that does not parse: InvalidImageName, retried at the back-off period, not in a storm', async () => {
  const k = await startKubelet();
  const pod = makePod('bad-image').container('c', { image: 'Busybox:1.35' }).build();
  k.add(pod);
  await k.advance(60_000);
  assert.equal(k.statusText(pod), 'InvalidImageName');
  const w = k.status(pod)!.containerStatuses![0].state?.waiting;
  assert.equal(w?.reason, 'InvalidImageName');
  assert.match(w?.message ?? '', /^Failed to apply default image tag "Busybox:1\.35": couldn't parse image name "Busybox:1\.35": /);
  const tries = k.runtime.calls.filter((c) => c.method === 'imageStatus' && c.args[0] === 'Busybox:1.35').length;
  assert.ok(tries >= 4 && tries <= 8, `about one try per 10 s back-off, got ${tries} in 60 s`);
  assert.ok(!k.runtime.callNames().includes('pullImage'));
  assert.equal(events(k, 'InspectFailed').length, tries);
  await k.stop();
});

test('readiness: a container that just started is probed at once (not a period later), as upstream triggers it', async () => {
  const k = await startKubelet();
  const pod = makePod('ready-fast')
    .container('web', { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } })
    .build();
  k.add(pod);
  await k.advance(2000);
  assert.equal(k.status(pod)?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const probes = () => k.runtime.calls.filter((c) => c.method === 'execSync').length;
  const n = probes();
  await k.advance(5000);
  assert.equal(probes(), n, 'then every period, not on every sync');
  await k.stop();
});

test('liveness-exec timeline: every run is killed; restarts are immediate while the back-off (10, 20, 40 s from the previous exit) is shorter than a run, then wait it out from the kill (80 s, 160 s) with BackOff', async () => {
  const k = await startKubelet();
  k.runtime.scriptExec(async ({ containerName, cmd }) => {
    if (cmd.join(' ') !== 'cat /tmp/healthy') return undefined;
    const running = await k.runtime.listContainers({ state: 'CONTAINER_RUNNING' });
    const id = running.find((c) => c.metadata.name === containerName)?.id;
    const startedAt = id ? (await k.runtime.containerStatus(id)).startedAt : 0;
    return k.clock.now() - startedAt < 30_000 ? { exitCode: 0 } : { exitCode: 1, stderr: Buffer.from('gone\n') };
  });
  const pod = makePod('liveness-exec')
    .container('liveness', {
      args: ['/bin/sh', '-c', 'touch /tmp/healthy; sleep 30; rm -rf /tmp/healthy; sleep 600'],
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 5, periodSeconds: 5 },
    })
    .build();
  const t0 = k.clock.now();
  const starts: number[] = [];
  const kills: number[] = [];
  const backOffs: number[] = [];
  const waitingMessages = new Set<string>();
  let seen = { starts: 0, kills: 0, backOffs: 0 };
  k.add(pod);
  for (let i = 0; i <= 420; i++) {
    await k.advance(0);
    const now = Math.round((k.clock.now() - t0) / 1000);
    const counts = {
      starts: k.runtime.calls.filter((c) => c.method === 'startContainer').length,
      kills: events(k, 'Killing').length,
      backOffs: events(k, 'BackOff').length,
    };
    for (let n = seen.starts; n < counts.starts; n++) starts.push(now);
    for (let n = seen.kills; n < counts.kills; n++) kills.push(now);
    if (counts.backOffs > seen.backOffs) backOffs.push(now);
    seen = counts;
    const waiting = k.status(pod)?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason === 'CrashLoopBackOff') waitingMessages.add(waiting.message ?? '');
    await k.advance(1000);
  }
  const timeline = JSON.stringify({ starts, kills, backOffs });
  // Each run is killed after three failed probes (5 s apart) once /tmp/healthy is gone at 30 s: 40 s.
  assert.deepEqual(kills.map((kill, i) => kill - starts[i]!), Array(kills.length).fill(40), timeline);
  // upstream doBackOff, run at the kill's sync with the status from before the kill: the newest exited
  // instance is the previous run (exited 40 s ago). Back-off 10 s, 20 s, 40 s are not longer than that, so
  // restarts 1–5 are immediate (each one doubling it); at the sixth kill the 80 s back-off holds, counted
  // from that kill; the restart then makes it 160 s.
  assert.deepEqual(starts, [0, 40, 80, 120, 160, 200, 320], timeline);
  assert.deepEqual(kills, [40, 80, 120, 160, 200, 240, 360], timeline);
  assert.ok(backOffs.length > 0 && backOffs.every((t) => (t >= 240 && t < 320) || t >= 360), timeline);
  assert.deepEqual([...waitingMessages], [
    'back-off 1m20s restarting failed container=liveness pod=liveness-exec_default(uid-liveness-exec)',
    'back-off 2m40s restarting failed container=liveness pod=liveness-exec_default(uid-liveness-exec)',
  ]);
  assert.equal(k.status(pod)!.containerStatuses![0]!.restartCount, 6);
  await k.stop();
});
