import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { FakeClock } from '../../machinery/index.ts';
import { RecordingEventRecorder } from '../index.ts';
import { FakeMounter } from './mounter.ts';
import { MapObjectSource } from './objects.ts';
import { ServiceAccountTokenManager } from './token-manager.ts';
import { PodDirs } from './pod-dirs.ts';
import { NodeVolumeManager } from './volume-manager.ts';
import { NodeContainerEnvironment } from './container-environment.ts';
import { poll } from '../../machinery/testing/poll.ts';

const node = () => ({ hostIPs: ['192.168.1.10'], allocatable: { cpu: '2', memory: '1Gi' } });

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vm-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const dirs = new PodDirs(root);
  const objects = new MapObjectSource();
  const mounter = new FakeMounter();
  const recorder = new RecordingEventRecorder();
  const clock = new FakeClock();
  const vm = new NodeVolumeManager({ dirs, objects, node, mounter, recorder, clock, mountTimeoutMs: 5_000 });
  return { root, dirs, objects, mounter, recorder, clock, vm };
}

function makePod(volumes: NonNullable<IPod['spec']>['volumes']): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { app: 'x' } },
    spec: {
      volumes,
      containers: [
        { name: 'c', resources: { limits: { memory: '128Mi' } }, terminationMessagePath: '/dev/termination-log' },
      ],
    },
  };
}

const read = (p: string) => fs.readFile(p, 'utf8');
const mode = async (p: string) => (await fs.stat(p)).mode & 0o777;

test('emptyDir on disk and in memory, hostPath, and teardown', async (t) => {
  const { root, dirs, mounter, vm } = await setup(t);
  const host = path.join(root, 'host-data');
  const pod = makePod([
    { name: 'scratch', emptyDir: {} },
    { name: 'nosource' } as never,
    { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'memdefault', emptyDir: { medium: 'Memory' } },
    { name: 'data', hostPath: { path: host, type: 'DirectoryOrCreate' } },
  ]);
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const scratch = dirs.volumeDir('uid-1', 'empty-dir', 'scratch');
  assert.equal(await mode(scratch), 0o777);
  assert.ok((await fs.stat(dirs.volumeDir('uid-1', 'empty-dir', 'nosource'))).isDirectory());
  assert.equal(mounter.mounts.get(dirs.volumeDir('uid-1', 'empty-dir', 'mem')), 64 * 2 ** 20);
  assert.equal(
    mounter.mounts.get(dirs.volumeDir('uid-1', 'empty-dir', 'memdefault')),
    2 ** 30,
    'sized to node allocatable memory',
  );
  assert.ok((await fs.stat(host)).isDirectory(), 'DirectoryOrCreate created the host directory');
  assert.equal(vm.allMounted(pod), true);

  await fs.writeFile(path.join(host, 'keep'), 'x');
  await vm.unmountPodVolumes('uid-1');
  assert.equal(mounter.mounts.size, 0);
  await assert.rejects(fs.stat(dirs.volumesDir('uid-1')));
  assert.equal(await read(path.join(host, 'keep')), 'x', 'host paths are never removed');
  await vm.unmountPodVolumes('uid-1'); // idempotent
});

test('hostPath type mismatches fail with the kubelet messages and FailedMount events, then time out', async (t) => {
  const { root, recorder, clock, vm } = await setup(t);
  const file = path.join(root, 'file');
  await fs.writeFile(file, '');
  const pod = makePod([
    { name: 'd', hostPath: { path: file, type: 'Directory' } },
    { name: 's', hostPath: { path: file, type: 'Socket' } },
  ]);
  const done = vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const failure = assert.rejects(done, {
    message: 'unmounted volumes=[d s], unattached volumes=[], failed to process volumes=[]: context deadline exceeded',
  });
  for (let i = 0; i < 20; i++) await clock.step(1000);
  await failure;
  const msgs = recorder.events.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(
    msgs.includes(
      `FailedMount: MountVolume.SetUp failed for volume "d" : hostPath type check failed: ${file} is not a directory`,
    ),
  );
  assert.ok(
    msgs.includes(
      `FailedMount: MountVolume.SetUp failed for volume "s" : hostPath type check failed: ${file} is not a socket file`,
    ),
  );
  assert.ok(msgs.some((m) => m.startsWith('FailedMount: Unable to attach or mount volumes: unmounted volumes=[d s]')));
});

test('volume types this node cannot mount fail with FailedMount events naming them, then time out', async (t) => {
  const { recorder, clock, vm } = await setup(t);
  const pod = makePod([
    { name: 'ok', emptyDir: {} },
    { name: 'share', nfs: { server: 'nfs.example', path: '/export' } },
    { name: 'gen', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
  ]);
  const done = vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const failure = assert.rejects(done, {
    message: 'unmounted volumes=[share gen], unattached volumes=[], failed to process volumes=[]: context deadline exceeded',
  });
  for (let i = 0; i < 20; i++) await clock.step(1000);
  await failure;
  const msgs = recorder.events.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(msgs.includes('FailedMount: MountVolume.SetUp failed for volume "share" : no volume plugin matched: kubeling does not mount nfs volumes'));
  assert.ok(msgs.includes('FailedMount: MountVolume.SetUp failed for volume "gen" : no volume plugin matched: kubeling does not mount ephemeral volumes'));
  assert.ok(!msgs.some((m) => m.includes('"ok"')), 'the emptyDir is set up');
});

test('configMap and secret volumes: items, modes, optional, tmpfs, atomic refresh', async (t) => {
  const { dirs, objects, mounter, vm, clock } = await setup(t);
  objects.putConfigMap('ns', 'cfg', { 'app.conf': 'a=1', other: 'o' });
  objects.putSecret('ns', 'creds', { user: 'admin', pass: 'pw' });
  const pod = makePod([
    { name: 'cfg', configMap: { name: 'cfg' } },
    {
      name: 'picked',
      configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }], defaultMode: 0o640 },
    },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'optional', secret: { secretName: 'absent', optional: true } },
  ]);
  const ac = new AbortController();
  t.after(() => ac.abort());
  await vm.waitForAttachAndMount(pod, ac.signal);
  const cfg = dirs.volumeDir('uid-1', 'configmap', 'cfg');
  assert.equal(await read(path.join(cfg, 'app.conf')), 'a=1');
  assert.equal(await mode(path.join(cfg, 'other')), 0o644);
  const picked = dirs.volumeDir('uid-1', 'configmap', 'picked');
  assert.equal(await read(path.join(picked, 'conf/app.conf')), 'a=1');
  assert.equal(await mode(path.join(picked, 'conf/app.conf')), 0o600);
  assert.deepEqual(
    (await fs.readdir(picked)).filter((n) => !n.startsWith('..')),
    ['conf'],
  );
  const creds = dirs.volumeDir('uid-1', 'secret', 'creds');
  assert.equal(await read(path.join(creds, 'pass')), 'pw');
  assert.equal(await mode(path.join(creds, 'user')), 0o400);
  assert.ok(mounter.mounts.has(creds), 'secrets live on tmpfs');
  assert.ok(!mounter.mounts.has(cfg), 'configMaps live on disk');
  assert.deepEqual(
    (await fs.readdir(dirs.volumeDir('uid-1', 'secret', 'optional'))).filter((n) => !n.startsWith('..')),
    [],
  );

  // An update reaches the volume through the refresh loop, swapped atomically.
  const before = await fs.readlink(path.join(cfg, '..data'));
  objects.putConfigMap('ns', 'cfg', { 'app.conf': 'a=2' });
  const loop = vm.run(ac.signal);
  await clock.step(10_000);
  await poll(async () => (await read(path.join(cfg, 'app.conf')).catch(() => '')) === 'a=2', 'the new configMap data', {
    intervalMs: 10,
    timeoutMs: 500,
  }).catch(() => undefined);
  assert.equal(await read(path.join(cfg, 'app.conf')), 'a=2');
  assert.notEqual(await fs.readlink(path.join(cfg, '..data')), before);
  await assert.rejects(fs.stat(path.join(cfg, 'other')));
  ac.abort();
  await loop;
});

test('missing configMap key and object are reported as the kubelet does', async (t) => {
  const { objects, recorder, clock, vm } = await setup(t);
  objects.putConfigMap('ns', 'cfg', { a: '1' });
  const pod = makePod([
    { name: 'k', configMap: { name: 'cfg', items: [{ key: 'zzz', path: 'z' }] } },
    { name: 'o', configMap: { name: 'nope' } },
  ]);
  const ac = new AbortController();
  const done = vm.waitForAttachAndMount(pod, ac.signal);
  await clock.step(1);
  ac.abort(new Error('stop'));
  await assert.rejects(done, /stop/);
  const msgs = recorder.events.map((e) => e.message);
  assert.ok(
    msgs.includes('MountVolume.SetUp failed for volume "k" : configmap references non-existent config key: zzz'),
  );
  assert.ok(msgs.includes('MountVolume.SetUp failed for volume "o" : configmap "nope" not found'));
});

test('downwardAPI and projected (kube-api-access) volumes', async (t) => {
  const { dirs, objects, vm } = await setup(t);
  objects.putConfigMap('ns', 'kube-root-ca.crt', { 'ca.crt': 'CERT' });
  objects.token = 'tok';
  const pod = makePod([
    {
      name: 'podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
        ],
      },
    },
    {
      name: 'kube-api-access-abcde',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ]);
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const info = dirs.volumeDir('uid-1', 'downward-api', 'podinfo');
  assert.equal(await read(path.join(info, 'labels')), 'app="x"');
  assert.equal(await read(path.join(info, 'name')), 'p');
  assert.equal(await read(path.join(info, 'mem')), '128');
  const sa = dirs.volumeDir('uid-1', 'projected', 'kube-api-access-abcde');
  assert.deepEqual(
    Object.fromEntries(
      await Promise.all(['token', 'ca.crt', 'namespace'].map(async (f) => [f, await read(path.join(sa, f))])),
    ),
    { token: 'tok', 'ca.crt': 'CERT', namespace: 'ns' },
  );
  // The token is asked for the pod's service account, bound to the pod, with the admission plugin's lifetime.
  assert.deepEqual(objects.tokenRequests[0], {
    namespace: 'ns',
    serviceAccountName: 'default',
    audience: undefined,
    expirationSeconds: 3607,
    pod: { name: 'p', uid: 'uid-1' },
  });
});

test('container mounts: volumes, subPath, read-only rules, /etc/hosts and termination log', async (t) => {
  const { root, dirs, objects, vm } = await setup(t);
  objects.putConfigMap('ns', 'cfg', { 'nginx.conf': 'x' });
  const pod = makePod([
    { name: 'shared', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'cfg' } },
  ]);
  pod.spec!.hostAliases = [{ ip: '1.1.1.1', hostnames: ['foo.remote'] }];
  pod.spec!.containers[0]!.env = [{ name: 'SUB', value: 'logs' }];
  pod.spec!.containers[0]!.volumeMounts = [
    { name: 'shared', mountPath: '/data' },
    { name: 'shared', mountPath: '/ro', readOnly: true },
    { name: 'shared', mountPath: '/sub', subPathExpr: '$(SUB)/x' },
    { name: 'cfg', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' },
  ];
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const env = new NodeContainerEnvironment({ dirs, objects, node });
  const { envs, mounts } = await env.makeContainerEnvironment(pod, pod.spec!.containers[0]!, ['10.42.0.7']);
  assert.deepEqual(envs, [{ key: 'SUB', value: 'logs' }]);
  const shared = dirs.volumeDir('uid-1', 'empty-dir', 'shared');
  const byPath = Object.fromEntries(mounts.map((m) => [m.containerPath, m]));
  assert.deepEqual(byPath['/data'], {
    containerPath: '/data',
    hostPath: shared,
    readonly: false,
    propagation: 'private',
  });
  assert.equal(byPath['/ro']!.readonly, true);
  assert.equal(byPath['/sub']!.hostPath, path.join(await fs.realpath(shared), 'logs/x'));
  assert.ok((await fs.stat(path.join(shared, 'logs/x'))).isDirectory(), 'missing subPath directory is created');
  assert.equal(byPath['/etc/nginx/nginx.conf']!.readonly, true, 'configMap mounts are read-only');
  assert.equal(await read(byPath['/etc/nginx/nginx.conf']!.hostPath), 'x');
  assert.equal(byPath['/etc/hosts']!.hostPath, dirs.etcHostsPath('uid-1'));
  assert.match(
    await read(dirs.etcHostsPath('uid-1')),
    /^# Kubernetes-managed hosts file\.\n[\s\S]*10\.42\.0\.7\tp\n\n# Entries added by HostAliases\.\n1\.1\.1\.1\tfoo\.remote\n$/,
  );
  const term = byPath['/dev/termination-log']!;
  assert.ok(term.hostPath.startsWith(dirs.containerDir('uid-1', 'c')));
  assert.equal(await mode(term.hostPath), 0o666);

  // A subPath that escapes through a symlink is refused.
  await fs.symlink(root, path.join(shared, 'evil'));
  const evil = { ...pod.spec!.containers[0]!, volumeMounts: [{ name: 'shared', mountPath: '/x', subPath: 'evil' }] };
  await assert.rejects(env.makeContainerEnvironment(pod, evil, []), /points outside the volume/);
  const dotdot = { ...pod.spec!.containers[0]!, volumeMounts: [{ name: 'shared', mountPath: '/x', subPath: '../x' }] };
  await assert.rejects(env.makeContainerEnvironment(pod, dotdot, []), /without "\.\."/);
});

test('fsGroup: volume files get the group, group permissions and setgid directories', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to chown');
  const { dirs, objects, vm } = await setup(t);
  objects.putSecret('ns', 'creds', { pass: 'pw' });
  const pod = makePod([
    { name: 'scratch', emptyDir: {} },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
  ]);
  pod.spec!.securityContext = { fsGroup: 2000 };
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const scratch = await fs.stat(dirs.volumeDir('uid-1', 'empty-dir', 'scratch'));
  assert.equal(scratch.gid, 2000);
  assert.equal(scratch.mode & 0o2000, 0o2000, 'setgid directory');
  const pass = await fs.stat(path.join(dirs.volumeDir('uid-1', 'secret', 'creds'), 'pass'));
  assert.equal(pass.gid, 2000);
  assert.equal(pass.mode & 0o777, 0o440, 'group may read a read-only volume');
  // A refresh with unchanged contents leaves the files alone (no new ..data version).
  const data = await fs.readlink(path.join(dirs.volumeDir('uid-1', 'secret', 'creds'), '..data'));
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  assert.equal(await fs.readlink(path.join(dirs.volumeDir('uid-1', 'secret', 'creds'), '..data')), data);
  // An emptyDir is set up once: a later pass neither resets its mode nor walks it again (a reset would drop
  // setgid for a moment, and files made then would miss the group).
  await fs.chmod(dirs.volumeDir('uid-1', 'empty-dir', 'scratch'), 0o2750);
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  assert.equal((await fs.stat(dirs.volumeDir('uid-1', 'empty-dir', 'scratch'))).mode & 0o7777, 0o2750);
});

test('a projected token is renewed in place once 80% of its lifetime has passed, and forgotten with the pod', async (t) => {
  const { dirs, mounter, clock } = await setup(t);
  const objects = new MapObjectSource();
  let issued = 0;
  const tokens = new ServiceAccountTokenManager({
    clock,
    random: () => 0,
    request: async (r) => ({
      token: `token-${++issued}-for-${r.pod.name}`,
      expirationTimestamp: new Date(clock.now() + r.expirationSeconds * 1000).toISOString(),
      expirationSeconds: r.expirationSeconds,
    }),
  });
  objects.serviceAccountToken = (r) => tokens.getToken(r);
  objects.releasePod = (uid) => tokens.deletePodTokens(uid);
  const vm = new NodeVolumeManager({ dirs, objects, node, mounter, clock, refreshPeriodMs: 10_000 });
  const pod = makePod([
    {
      name: 'kube-api-access-x',
      projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
    },
  ]);
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const file = path.join(dirs.volumeDir('uid-1', 'projected', 'kube-api-access-x'), 'token');
  assert.equal(await fs.readFile(file, 'utf8'), 'token-1-for-p');
  const ac = new AbortController();
  const loop = vm.run(ac.signal);
  // The refresh runs every 10 s; the token stays until 80% of 3607 s (2885.6 s), then a new one is written.
  const asleep = () => poll(() => clock.waiting > 0, 'the refresh loop asleep on the clock', { intervalMs: 5, timeoutMs: 30_000 });
  await asleep();
  await clock.step(2_880_000);
  await asleep(); // one refresh at 2880 s, then asleep again
  assert.equal(await fs.readFile(file, 'utf8'), 'token-1-for-p');
  await clock.step(10_000);
  await poll(async () => (await fs.readFile(file, 'utf8')) !== 'token-1-for-p', 'the token file rewritten', { intervalMs: 5, timeoutMs: 30_000 });
  assert.equal(await fs.readFile(file, 'utf8'), 'token-2-for-p');
  ac.abort();
  await loop;
  await vm.unmountPodVolumes('uid-1');
  assert.equal(tokens.size, 0);
});

test('persistentVolumeClaim: waits while the claim is missing or unbound, then links to its volume (readOnly honoured); teardown keeps the data', async (t) => {
  const { root, dirs, objects, recorder, clock, vm } = await setup(t);
  const data = path.join(root, 'storage', 'pvc-1_ns_data');
  const pod = makePod([
    { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    { name: 'ro', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
  ]);
  pod.spec!.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }, { name: 'ro', mountPath: '/ro' }];
  const done = vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  await poll(() => recorder.events.length >= 2, 'FailedMount events for the missing claim');
  assert.ok(recorder.events.some((e) => e.reason === 'FailedMount' &&
    e.message === 'MountVolume.SetUp failed for volume "data" : error processing PVC ns/data: failed to fetch PVC from API server: persistentvolumeclaim "data" not found'));
  objects.claims.set('ns/data', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns', uid: 'pvc-uid' }, spec: {}, status: { phase: 'Pending' } });
  await clock.step(1000);
  await poll(() => recorder.events.some((e) => e.message.endsWith('error processing PVC ns/data: PVC is not bound')), 'the unbound claim reported');
  assert.equal(vm.allMounted(pod), false);
  objects.volumes.set('pvc-1', {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-1' },
    spec: { hostPath: { path: data, type: 'DirectoryOrCreate' }, claimRef: { name: 'data', namespace: 'ns', uid: 'pvc-uid' } },
  });
  objects.claims.set('ns/data', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns', uid: 'pvc-uid' }, spec: { volumeName: 'pvc-1' }, status: { phase: 'Bound' } });
  for (let i = 0; i < 5 && !vm.allMounted(pod); i++) await clock.step(4000);
  await done;
  const link = dirs.volumeDir('uid-1', 'persistent-volume-claim', 'data');
  assert.equal(await fs.readlink(link), data);
  await fs.writeFile(path.join(link, 'kept'), 'yes');
  const env = new NodeContainerEnvironment({ dirs, objects, node });
  const { mounts } = await env.makeContainerEnvironment(pod, pod.spec!.containers[0]!, []);
  assert.deepEqual(mounts.filter((m) => m.containerPath === '/data' || m.containerPath === '/ro').map((m) => [m.containerPath, m.hostPath, m.readonly]), [
    ['/data', link, false],
    ['/ro', dirs.volumeDir('uid-1', 'persistent-volume-claim', 'ro'), true],
  ]);
  await vm.unmountPodVolumes('uid-1');
  assert.equal(await read(path.join(data, 'kept')), 'yes');
});

test('a claim being deleted is not mounted', async (t) => {
  const { objects, recorder, clock, vm } = await setup(t);
  objects.claims.set('ns/gone', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'gone', namespace: 'ns', uid: 'u', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { volumeName: 'v' }, status: { phase: 'Bound' } });
  const done = vm.waitForAttachAndMount(makePod([{ name: 'gone', persistentVolumeClaim: { claimName: 'gone' } }]), AbortSignal.timeout(10_000));
  const failure = assert.rejects(done, /unmounted volumes=\[gone\]/);
  for (let i = 0; i < 20; i++) await clock.step(1000);
  await failure;
  assert.ok(recorder.events.some((e) => e.message.endsWith('error processing PVC ns/gone: PVC is being deleted')));
});

test('a pod waits for its slowest volume, not their sum: volumes, projected sources and the tmpfs are made at once', async (t) => {
  const { dirs, objects, mounter, vm } = await setup(t);
  objects.configMaps.set('ns/kube-root-ca.crt', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': 'CA' } });
  objects.configMaps.set('ns/app', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { k: 'v' } });
  // The TokenRequest is held until the other fetches and the mount have begun.
  const asked: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const getConfigMap = objects.getConfigMap.bind(objects);
  objects.getConfigMap = async (ns, name) => {
    asked.push(`configmap ${name}`);
    return getConfigMap(ns, name);
  };
  objects.serviceAccountToken = async () => {
    asked.push('token');
    await held;
    return 'tok';
  };
  const mountTmpfs = mounter.mountTmpfs.bind(mounter);
  mounter.mountTmpfs = async (dir, size) => {
    asked.push(`tmpfs ${path.basename(dir)}`);
    return mountTmpfs(dir, size);
  };
  const pod = makePod([
    {
      name: 'kube-api-access',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    },
    { name: 'config', configMap: { name: 'app' } },
  ]);
  const mounted = vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  await poll(() => asked.length >= 4, 'the fetches and the mount to begin', { timeoutMs: 5_000, intervalMs: 5 });
  assert.deepEqual(
    [...asked].sort(),
    ['configmap app', 'configmap kube-root-ca.crt', 'tmpfs kube-api-access', 'token'],
    'all asked for while the token is still outstanding',
  );
  release();
  await mounted;
  const access = dirs.volumeDir('uid-1', 'projected', 'kube-api-access');
  assert.equal(await read(path.join(access, 'token')), 'tok');
  assert.equal(await read(path.join(access, 'ca.crt')), 'CA');
  assert.equal(await read(path.join(dirs.volumeDir('uid-1', 'configmap', 'config'), 'k')), 'v');
});
