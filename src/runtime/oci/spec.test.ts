import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRuntimeError } from '../runtime.ts';
import { sharesToWeight } from './cgroups.ts';
import { runtimeDefaultSeccomp } from './seccomp.ts';
import {
  allCapabilities,
  heldCapabilities,
  containerSpec,
  DEFAULT_CAPABILITIES,
  mergeEnv,
  ociResources,
  resolveArgv,
  resolveCapabilities,
  resolveUser,
  rlimitsFromHost,
} from './spec.ts';

describe('resolveArgv (Kubernetes command/args over the image entrypoint/cmd)', () => {
  const image = { entrypoint: ['/ep', 'x'], cmd: ['c1', 'c2'] };
  const cases: [string, string[], string[], string[]][] = [
    ['neither: entrypoint + cmd', [], [], ['/ep', 'x', 'c1', 'c2']],
    ['args only: entrypoint + args', [], ['a'], ['/ep', 'x', 'a']],
    ['command only: image cmd ignored', ['/bin/sh'], [], ['/bin/sh']],
    ['command and args', ['/bin/sh', '-c'], ['echo'], ['/bin/sh', '-c', 'echo']],
  ];
  for (const [name, command, args, want] of cases) it(name, () => assert.deepEqual(resolveArgv(command, args, image), want));
  it('refuses an empty result', () => assert.throws(() => resolveArgv([], [], {}), (e) => isRuntimeError(e, 'InvalidArgument')));
});

describe('mergeEnv', () => {
  it('defaults PATH, lets the image override extras and the container override the image', () => {
    const env = mergeEnv(['PATH=/img', 'A=image', 'B=image'], [{ key: 'B', value: 'pod' }, { key: 'C', value: 'x=y' }], { HOSTNAME: 'h', A: 'extra' });
    assert.deepEqual(env, ['PATH=/img', 'HOSTNAME=h', 'A=image', 'B=pod', 'C=x=y']);
    assert.ok(mergeEnv(undefined, [], {})[0]!.startsWith('PATH=/usr/local/sbin'));
  });
});

describe('resolveUser', () => {
  const files = {
    passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n',
    group: 'root:x:0:\napp:x:1001:\nextra:x:2000:app,other\nwheel:x:10:\n',
  };
  it('defaults to root', () => assert.deepEqual(resolveUser({}, undefined, files), { uid: 0, gid: 0, additionalGids: [], home: '/root' }));
  it('resolves a name with its groups', () => assert.deepEqual(resolveUser({}, 'app', files), { uid: 1000, gid: 1001, additionalGids: [2000], home: '/home/app' }));
  it('takes uid:group from the image', () => assert.deepEqual(resolveUser({}, '1000:wheel', files), { uid: 1000, gid: 10, additionalGids: [2000], home: '/home/app' }));
  it('runAsUser/runAsGroup win over the image', () =>
    assert.deepEqual(resolveUser({ runAsUser: 5, runAsGroup: 6, supplementalGroups: [7] }, 'app', files), { uid: 5, gid: 6, additionalGids: [7] }));
  it('an unknown numeric uid gets gid 0', () => assert.deepEqual(resolveUser({ runAsUser: 4242 }, undefined, files), { uid: 4242, gid: 0, additionalGids: [] }));
  it('an unknown name is InvalidArgument', () => assert.throws(() => resolveUser({ runAsUsername: 'nope' }, undefined, files), (e) => isRuntimeError(e, 'InvalidArgument')));
  it('Merge (default) adds the image user\'s /etc/group groups to fsGroup and supplementalGroups', () =>
    assert.deepEqual(resolveUser({ runAsUser: 1000, supplementalGroups: [3000, 4000] }, undefined, files), { uid: 1000, gid: 1001, additionalGids: [2000, 3000, 4000], home: '/home/app' }));
  it('Strict keeps only the pod\'s groups', () =>
    assert.deepEqual(resolveUser({ runAsUser: 1000, supplementalGroups: [3000], supplementalGroupsPolicy: 'Strict' }, undefined, files), { uid: 1000, gid: 1001, additionalGids: [3000], home: '/home/app' }));
});

describe('resolveCapabilities', () => {
  const all = allCapabilities(40);
  it('defaults', () => assert.deepEqual(resolveCapabilities(undefined, false, all).sort(), [...DEFAULT_CAPABILITIES].sort()));
  it('adds and drops names with or without CAP_', () => {
    const caps = resolveCapabilities({ add: ['NET_ADMIN'], drop: ['CAP_KILL'] }, false, all);
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(!caps.includes('CAP_KILL'));
  });
  it('drop ALL keeps only what is added', () => assert.deepEqual(resolveCapabilities({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, false, all), ['CAP_NET_BIND_SERVICE']));
  it('add ALL and privileged give every capability the kernel knows', () => {
    assert.equal(resolveCapabilities({ add: ['ALL'], drop: [] }, false, all).length, 41);
    assert.equal(resolveCapabilities(undefined, true, allCapabilities(37)).length, 38);
  });
  it('refuses unknown names', () => assert.throws(() => resolveCapabilities({ add: ['FLY'], drop: [] }, false, all), (e) => isRuntimeError(e, 'InvalidArgument')));
});

describe('rlimitsFromHost', () => {
  it('uses the host hard limits, capped as podman does', () => {
    const text = 'Limit Soft Limit Hard Limit Units\nMax processes             96365                96365                processes \nMax open files            1024                 20000                files     \n';
    assert.deepEqual(rlimitsFromHost(text), [
      { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
      { type: 'RLIMIT_NPROC', hard: 96365, soft: 96365 },
    ]);
    assert.deepEqual(rlimitsFromHost('Max open files unlimited unlimited files\n')[0], { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 });
  });
});

describe('resources, cgroups and seccomp', () => {
  it('maps CRI resources to OCI', () => {
    assert.deepEqual(ociResources({ cpuQuota: 50000, cpuShares: 256, memoryLimitInBytes: 1 << 20, pidsLimit: 10 }), {
      devices: [{ allow: false, access: 'rwm' }],
      cpu: { shares: 256, quota: 50000, period: 100000 },
      memory: { limit: 1 << 20 },
      pids: { limit: 10 },
    });
  });
  it('converts shares to weight as the kubelet does', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
  });
  it('RuntimeDefault blocks namespace syscalls unless CAP_SYS_ADMIN is held', () => {
    const names = (p: Record<string, unknown>) => (p.syscalls as { names: string[] }[]).flatMap((s) => s.names);
    assert.ok(names(runtimeDefaultSeccomp(DEFAULT_CAPABILITIES)).includes('unshare'));
    assert.ok(!names(runtimeDefaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'])).includes('unshare'));
    assert.ok(names(runtimeDefaultSeccomp(['CAP_SYS_ADMIN'])).includes('kexec_load'));
  });
  it('a later mount for the same destination replaces a default one', () => {
    const spec = containerSpec({
      rootfs: '/r', readonlyRootfs: false, args: ['a'], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, tty: false,
      capabilities: [], privileged: false, noNewPrivs: false, maskedPaths: [], readonlyPaths: [],
      mounts: [{ destination: '/dev/shm', type: 'bind', source: '/s', options: ['rbind'] }, { destination: '/sys', type: 'bind', source: '/x', options: [] }],
      namespaces: [], cgroupsPath: '/p/c', rlimits: [], annotations: {},
    });
    const mounts = spec.mounts as { destination: string; source: string }[];
    assert.equal(mounts.filter((m) => m.destination === '/sys').length, 1);
    assert.equal(mounts.find((m) => m.destination === '/sys')!.source, '/x');
  });
});

describe('privileged containers', () => {
  it('get only the capabilities of the runtime\'s bounding set', () => {
    const all = allCapabilities(40);
    // CAP_SYS_RESOURCE (24) missing from the bounding set, as in a container that dropped it.
    assert.ok(!heldCapabilities(all, 'Name:\tnode\nCapBnd:\t000001fffeffffff\n').includes('CAP_SYS_RESOURCE'));
    assert.equal(heldCapabilities(all, 'CapBnd:\t000001fffeffffff\n').length, all.length - 1);
    assert.deepEqual(heldCapabilities(all, 'CapBnd:\t000001ffffffffff\n'), all);
    assert.deepEqual(heldCapabilities(all, ''), all);
  });
  const base = {
    rootfs: '/r', readonlyRootfs: false, args: ['a'], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, tty: false,
    capabilities: [], noNewPrivs: false, maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'],
    mounts: [], namespaces: [], cgroupsPath: '/p/c', rlimits: [], annotations: {},
  };
  it('get the given devices, every device allowed, rw /sys, nothing masked', () => {
    const kmsg = { path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 };
    const spec = containerSpec({ ...base, privileged: true, devices: [kmsg] });
    const linux = spec.linux as Record<string, unknown>;
    assert.deepEqual(linux.devices, [kmsg]);
    assert.deepEqual((linux.resources as { devices: unknown }).devices, [{ allow: true, access: 'rwm' }]);
    assert.equal(linux.maskedPaths, undefined);
    assert.equal(linux.readonlyPaths, undefined);
    assert.ok(((spec.mounts as { destination: string; options: string[] }[]).find((m) => m.destination === '/sys')!.options).includes('rw'));
  });
  it('unprivileged ones get no host device and keep the masks', () => {
    const linux = containerSpec({ ...base, privileged: false }).linux as Record<string, unknown>;
    assert.equal(linux.devices, undefined);
    assert.deepEqual((linux.resources as { devices: unknown }).devices, [{ allow: false, access: 'rwm' }]);
    assert.deepEqual(linux.maskedPaths, ['/proc/kcore']);
  });
});

describe('containerSpec memory defaults', () => {
  const base = {
    rootfs: '/r', readonlyRootfs: false, args: ['sh'], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, tty: false,
    capabilities: [], privileged: false, noNewPrivs: false, maskedPaths: [], readonlyPaths: [], mounts: [], namespaces: [],
    cgroupsPath: '/p/c', rlimits: [], annotations: {},
  };
  it('puts a memory+swap limit next to the memory limit, and cgroup v2 files under unified', () => {
    type Res = { resources: { memory?: unknown; unified?: unknown } };
    const v1 = containerSpec({ ...base, resources: { memoryLimitInBytes: 1 << 20 }, memorySwap: 1 << 20 }).linux as Res;
    assert.deepEqual(v1.resources.memory, { limit: 1 << 20, swap: 1 << 20 });
    assert.equal(v1.resources.unified, undefined);
    const v2 = containerSpec({ ...base, unified: { 'memory.swap.max': '0', 'memory.oom.group': '1' } }).linux as Res;
    assert.deepEqual(v2.resources.unified, { 'memory.swap.max': '0', 'memory.oom.group': '1' });
    assert.equal(v2.resources.memory, undefined, 'no swap without a memory limit');
  });
});
