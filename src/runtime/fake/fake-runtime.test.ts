import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { isRuntimeError, RuntimeError } from '../runtime.ts';
import { FakeRuntime, normalizeImageRef } from './fake-runtime.ts';
import { testContainerConfig, testSandboxConfig } from './test-configs.ts';

const sandboxConfig = testSandboxConfig('p', 'u1', '/nonexistent/logs');

test('normalizeImageRef adds docker.io, library and latest', () => {
  assert.equal(normalizeImageRef('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImageRef('busybox:1.35'), 'docker.io/library/busybox:1.35');
  assert.equal(normalizeImageRef('localhost:5000/x/y'), 'localhost:5000/x/y:latest');
  assert.equal(normalizeImageRef('quay.io/a/b@sha256:abc'), 'quay.io/a/b@sha256:abc');
});

test('scripted containers exit on the fake clock with code and reason', async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime({ clock });
  rt.scriptContainer({ name: 'crash' }, { exitAfterMs: 5000, exitCode: 2 });
  rt.scriptContainer({ name: 'oom' }, { exitAfterMs: 1000, oom: true });
  const sb = await rt.runPodSandbox(sandboxConfig);
  assert.match((await rt.podSandboxStatus(sb)).network!.ip, /^10\.42\.0\.\d+$/);
  await assert.rejects(rt.createContainer(sb, testContainerConfig('crash'), sandboxConfig), (e) =>
    isRuntimeError(e, 'NotFound'),
  );
  await rt.pullImage('busybox:1.35');
  const crash = await rt.createContainer(sb, testContainerConfig('crash'), sandboxConfig);
  const oom = await rt.createContainer(sb, testContainerConfig('oom'), sandboxConfig);
  await rt.startContainer(crash);
  await rt.startContainer(oom);
  assert.equal((await rt.containerStatus(crash)).state, 'CONTAINER_RUNNING');
  await clock.step(1000);
  const o = await rt.containerStatus(oom);
  assert.deepEqual([o.state, o.exitCode, o.reason], ['CONTAINER_EXITED', 137, 'OOMKilled']);
  await clock.step(4000);
  const c = await rt.containerStatus(crash);
  assert.deepEqual([c.state, c.exitCode, c.reason, c.finishedAt - c.startedAt], ['CONTAINER_EXITED', 2, 'Error', 5000]);
  await assert.rejects(rt.createContainer(sb, testContainerConfig('crash'), sandboxConfig), (e) =>
    isRuntimeError(e, 'AlreadyExists'),
  );
});

test('stopContainer waits for a slow process up to the timeout, then SIGKILLs', async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime({ clock });
  rt.scriptContainer({ name: 'slow' }, { stopDelayMs: 60_000 });
  rt.scriptContainer({ name: 'nice' }, { stopDelayMs: 3_000, stopExitCode: 0 });
  await rt.pullImage('busybox:1.35');
  const sb = await rt.runPodSandbox(sandboxConfig);
  const slow = await rt.createContainer(sb, testContainerConfig('slow'), sandboxConfig);
  const nice = await rt.createContainer(sb, testContainerConfig('nice'), sandboxConfig);
  await rt.startContainer(slow);
  await rt.startContainer(nice);
  let slowDone = false;
  const stopping = rt.stopContainer(slow, 10).then(() => (slowDone = true));
  const niceStop = rt.stopContainer(nice, 10);
  await clock.step(3000);
  await niceStop;
  assert.deepEqual([(await rt.containerStatus(nice)).exitCode, slowDone], [0, false]);
  await clock.step(7000);
  await stopping;
  assert.equal((await rt.containerStatus(slow)).exitCode, 137);
});

test('exec scripts, pull failures and injected errors', async () => {
  const rt = new FakeRuntime();
  rt.failPull('bad:1', 'manifest unknown');
  await assert.rejects(
    rt.pullImage('bad:1'),
    (e) => isRuntimeError(e, 'ImagePullFailed') && /manifest unknown/.test(e.message),
  );
  rt.scriptExec(({ cmd }) => (cmd[0] === 'fail' ? { exitCode: 1, stdout: Buffer.from('nope') } : undefined));
  await rt.pullImage('busybox:1.35');
  const sb = await rt.runPodSandbox(sandboxConfig);
  const id = await rt.createContainer(sb, testContainerConfig('c'), sandboxConfig);
  await assert.rejects(rt.execSync(id, ['true'], 0), (e) => isRuntimeError(e, 'FailedPrecondition'));
  await rt.startContainer(id);
  assert.equal((await rt.execSync(id, ['true'], 0)).exitCode, 0);
  const r = await rt.execSync(id, ['fail'], 0);
  assert.deepEqual([r.exitCode, r.stdout.toString()], [1, 'nope']);
  rt.injectError('listContainers', new RuntimeError('Unavailable', 'down'));
  await assert.rejects(rt.listContainers(), /down/);
  assert.equal((await rt.listContainers()).length, 1);
  await rt.removePodSandbox(sb);
  assert.deepEqual(await rt.listContainers(), []);
  assert.ok(rt.callNames().includes('removePodSandbox'));
});

test('image references are checked as the real image service does; pulls record a repo digest', async () => {
  const rt = new FakeRuntime();
  for (const bad of ['BusyBox:1.35', 'busybox:bad tag', 'a//b', 'busybox:-x'])
    await assert.rejects(rt.imageStatus(bad), (e) => isRuntimeError(e, 'InvalidArgument') && /^couldn't parse image name /.test(e.message), bad);
  await assert.rejects(rt.pullImage('Nope'), (e) => isRuntimeError(e, 'InvalidArgument'));
  const id = await rt.pullImage('busybox:1.35');
  const img = (await rt.imageStatus(id))!;
  assert.deepEqual(img.repoTags, ['docker.io/library/busybox:1.35']);
  assert.match(img.repoDigests[0], /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  const imported = (await rt.imageStatus(rt.addImage('quay.io/x/y:1')))!;
  assert.deepEqual(imported.repoDigests, []);
});

test('sh -c \'trap "exit 0" TERM; ...\' exits 0 on a graceful stop', async () => {
  const clock = new FakeClock();
  const rt = new FakeRuntime({ clock });
  await rt.pullImage('busybox:1.35');
  const sb = await rt.runPodSandbox(sandboxConfig);
  const cfg = { ...testContainerConfig('t'), command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] };
  const id = await rt.createContainer(sb, cfg, sandboxConfig);
  await rt.startContainer(id);
  await rt.stopContainer(id, 30);
  assert.equal((await rt.containerStatus(id)).exitCode, 0);
});

test('pod addresses go round the /24: a stopped sandbox gives its address back', async () => {
  const rt = new FakeRuntime();
  const ips = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const sb = await rt.runPodSandbox(testSandboxConfig(`p${i}`, `u${i}`, '/nonexistent/logs'));
    const ip = (await rt.podSandboxStatus(sb)).network?.ip ?? '';
    assert.match(ip, /^10\.42\.0\.(\d+)$/);
    ips.add(ip);
    await rt.stopPodSandbox(sb);
  }
  assert.equal(ips.size, 253, 'every address of .2–.254 used, none twice at a time');
  // 253 running sandboxes fill the range; the next one has none left.
  const rt2 = new FakeRuntime();
  for (let i = 0; i < 253; i++) await rt2.runPodSandbox(testSandboxConfig(`q${i}`, `v${i}`, '/nonexistent/logs'));
  await assert.rejects(rt2.runPodSandbox(testSandboxConfig('x', 'x', '/nonexistent/logs')), (e) => isRuntimeError(e) && e.code === 'FailedPrecondition');
});

test('sandbox network and writable layer figures: settable, none for host network or removed containers', async () => {
  const rt = new FakeRuntime();
  rt.addImage('busybox:1.35');
  const config = testSandboxConfig('p', 'u1', '/nonexistent/logs');
  const sb = await rt.runPodSandbox(config);
  assert.deepEqual(await rt.podSandboxNetworkStats(sb), [{ name: 'eth0', rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 }]);
  rt.setSandboxNetworkStats(sb, [{ name: 'eth0', rxBytes: 10, rxErrors: 0, txBytes: 20, txErrors: 0 }]);
  assert.equal((await rt.podSandboxNetworkStats(sb))?.[0]?.rxBytes, 10);
  const host = testSandboxConfig('h', 'u2', '/nonexistent/logs');
  host.linux.namespaceOptions = { ...host.linux.namespaceOptions, network: 'node' };
  assert.equal(await rt.podSandboxNetworkStats(await rt.runPodSandbox(host)), undefined);
  const id = await rt.createContainer(sb, testContainerConfig('c'), config);
  rt.setWritableLayerBytes(id, 4096);
  assert.equal((await rt.containerWritableLayer(id))?.usedBytes, 4096);
  await rt.removeContainer(id);
  assert.equal(await rt.containerWritableLayer(id), undefined);
  await rt.stopPodSandbox(sb);
  assert.equal(await rt.podSandboxNetworkStats(sb), undefined);
});
