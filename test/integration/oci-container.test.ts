/**
 * What OciRuntime puts into a container, with real containers: the image's entrypoint/cmd combined with
 * command/args as Kubernetes does, image env/user/working dir/stop signal, users by name, read-only root,
 * capabilities, seccomp, masked paths, volumes, cgroup limits, rlimits from the host, DNS config, /etc/hosts,
 * and host-network sandboxes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { favorDynmodsTarget } from '../../src/runtime/oci/cgroup-tuning.ts';
import { OciRuntime } from '../../src/runtime/oci/index.ts';
import { mountTable } from '../../src/runtime/oci/mounts.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/runtime.ts';
import { VARIANTS_ARCHIVE, ensureVariantsArchive } from '../fixtures/busybox.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();
const ns = { network: 'pod', pid: 'container', ipc: 'pod' } as const;

describe('oci containers (real containers)', { skip, timeout: 120_000 }, () => {
  let env: OciTestEnv;
  let sid: string;
  let cfg: PodSandboxConfig;
  let vol: string;
  const cgroupParent = `kubeling-test/pod-ctr-${process.pid}`;

  before(async () => {
    env = await makeOciEnv('ctr');
    await env.images.importArchive(await ensureVariantsArchive());
    void VARIANTS_ARCHIVE;
    cfg = sandboxConfig(env, {
      name: 'ctr',
      dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      linux: { cgroupParent, namespaceOptions: ns, sysctls: {} },
    });
    sid = await env.runtime.runPodSandbox(cfg);
    vol = mkdtempSync(join(tmpdir(), 'kubeling-oci-vol-'));
    writeFileSync(join(vol, 'data.txt'), 'from a volume\n');
  });
  after(async () => {
    await env?.cleanup();
    if (vol) rmSync(vol, { recursive: true, force: true });
  });

  /** Runs a container to completion and returns [exitCode, log payload]. */
  async function run(name: string, over: Partial<ContainerConfig>): Promise<[number, string]> {
    const rt = env.runtime;
    const id = await rt.createContainer(sid, containerConfig(name, [], over), cfg);
    await rt.startContainer(id);
    const st = await pollUntil(async () => {
      const now = await rt.containerStatus(id);
      return now.state === 'CONTAINER_EXITED' && now;
    }, `container ${name} to exit`, 30_000);
    const text = readFileSync(st.logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, ''))
      .join('\n');
    await rt.removeContainer(id);
    return [st.exitCode, text];
  }

  it('combines the image entrypoint and cmd with command and args as Kubernetes does', async () => {
    const image = 'kubeling.test/entrypoint:1';
    assert.deepEqual(await run('e1', { image }), [0, 'entrypoint default-arg']);
    assert.deepEqual(await run('e2', { image, args: ['given-arg'] }), [0, 'entrypoint given-arg']);
    assert.deepEqual(await run('e3', { image, command: ['/bin/echo', 'own'] }), [0, 'own']);
    assert.deepEqual(await run('e4', { image, command: ['/bin/echo', 'own'], args: ['and-args'] }), [0, 'own and-args']);
  });

  it('takes user, working dir and env from the image, container env winning; HOSTNAME set', async () => {
    const image = 'kubeling.test/config:1';
    const [code, out] = await run('cfg', {
      image,
      command: ['sh', '-c', 'echo "$(id -u):$(id -g) $(pwd) $FROM_IMAGE $OVERRIDE $HOSTNAME"; cat hello.txt'],
      envs: [{ key: 'OVERRIDE', value: 'pod' }],
    });
    assert.equal(code, 0);
    assert.equal(out, '65534:65534 /work yes pod ctr\nhello from the image');
    const [, named] = await run('named', { image: 'kubeling.test/named-user:1', command: ['sh', '-c', 'id -u; id -g'] });
    assert.equal(named, '65534\n65534');
    const [, overridden] = await run('runas', {
      image,
      command: ['sh', '-c', 'id -u; id -g; id -G'],
      workingDir: '/tmp',
      linux: { securityContext: { namespaceOptions: ns, runAsUser: 1234, runAsGroup: 2345, supplementalGroups: [3456] } },
    });
    assert.equal(overridden, '1234\n2345\n2345 3456');
    await assert.rejects(
      env.runtime.createContainer(sid, containerConfig('nouser', ['true'], { linux: { securityContext: { namespaceOptions: ns, runAsUsername: 'nosuchuser' } } }), cfg),
      /nosuchuser/,
    );
  });

  it('stops with the image\'s stop signal', async () => {
    const rt = env.runtime;
    const id = await rt.createContainer(
      sid,
      containerConfig('usr1', ['sh', '-c', 'trap "echo got-usr1; exit 0" USR1; echo ready; sleep 3600 & wait'], { image: 'kubeling.test/config:1' }),
      cfg,
    );
    await rt.startContainer(id);
    const st0 = await rt.containerStatus(id);
    await pollUntil(() => readFileSync(st0.logPath, 'utf8').includes('ready'), 'the container to trap USR1');
    await rt.stopContainer(id, 20);
    const st = await rt.containerStatus(id);
    assert.equal(st.exitCode, 0);
    assert.match(readFileSync(st.logPath, 'utf8'), /got-usr1/);
  });

  it('applies read-only root, capabilities, seccomp, masked and read-only paths', async () => {
    const sc = (extra: object) => ({ linux: { securityContext: { namespaceOptions: ns, ...extra } } });
    const [roCode, ro] = await run('ro', { command: ['sh', '-c', 'touch /x 2>&1; echo ok > /dev/shm/y && echo shm-writable'], ...sc({ readonlyRootfs: true }) });
    assert.equal(roCode, 0);
    assert.match(ro, /Read-only file system/);
    assert.match(ro, /shm-writable/);

    const capEff = async (name: string, extra: object) => {
      const [, out] = await run(name, { command: ['sh', '-c', 'grep CapEff /proc/self/status'], ...sc(extra) });
      return BigInt(`0x${out.split(/\s+/)[1]}`);
    };
    const defaults = await capEff('caps', {});
    // containerd's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
    assert.equal(defaults, 0xa80425fbn);
    assert.equal(await capEff('dropall', { capabilities: { add: [], drop: ['ALL'] } }), 0n);
    assert.equal(await capEff('netadmin', { capabilities: { add: ['NET_ADMIN'], drop: ['KILL'] } }), (defaults | (1n << 12n)) & ~(1n << 5n));

    const seccomp = async (name: string, extra: object) => (await run(name, { command: ['sh', '-c', 'grep ^Seccomp: /proc/self/status'], ...sc(extra) }))[1];
    assert.match(await seccomp('sc-default', { seccomp: { type: 'RuntimeDefault' } }), /Seccomp:\s+2/);
    assert.match(await seccomp('sc-none', { seccomp: { type: 'Unconfined' } }), /Seccomp:\s+0/);
    const [, blocked] = await run('sc-block', { command: ['sh', '-c', 'unshare -U true 2>&1; echo rc=$?'], ...sc({ seccomp: { type: 'RuntimeDefault' } }) });
    assert.match(blocked, /Operation not permitted/);

    const [, masked] = await run('masked', { command: ['sh', '-c', 'wc -c < /proc/timer_list; echo 1 > /proc/sys/vm/drop_caches 2>&1; echo done'] });
    assert.match(masked, /^0\n/m, '/proc/timer_list is masked');
    assert.match(masked, /Read-only file system/);
  });

  it('mounts volumes, and sets cgroup limits and rlimits', async () => {
    const [, vols] = await run('vol', {
      command: ['sh', '-c', 'cat /data/data.txt; echo x > /data/new 2>&1; cat /rw/data.txt; echo written > /rw/out'],
      mounts: [
        { containerPath: '/data', hostPath: vol, readonly: true },
        { containerPath: '/rw', hostPath: vol, readonly: false },
      ],
    });
    // stdout and stderr reach the log through different pipes: check each, not their order.
    assert.equal(vols.split('\n').filter((l) => l === 'from a volume').length, 2);
    assert.match(vols, /can't create \/data\/new: Read-only file system/);
    assert.equal(readFileSync(join(vol, 'out'), 'utf8'), 'written\n');
    await assert.rejects(
      env.runtime.createContainer(sid, containerConfig('badvol', ['true'], { mounts: [{ containerPath: '/x', hostPath: '/no/such/dir', readonly: false }] }), cfg),
      (e: Error & { code?: string }) => e.code === 'InvalidArgument',
    );

    const rt = env.runtime;
    const id = await rt.createContainer(
      sid,
      containerConfig('limits', ['sleep', '3600'], {
        linux: {
          resources: { cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512, memoryLimitInBytes: 64 * 1024 * 1024, pidsLimit: 100 },
          securityContext: { namespaceOptions: ns },
        },
      }),
      cfg,
    );
    await rt.startContainer(id);
    const read = (ctrl: string, file: string) => {
      const base = rt.cgroups.version === 2 ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${ctrl}`;
      return readFileSync(join(base, cgroupParent, id, file), 'utf8').trim();
    };
    if (rt.cgroups.version === 2) {
      assert.equal(read('', 'cpu.max'), '50000 100000');
      assert.equal(read('', 'memory.max'), String(64 * 1024 * 1024));
      assert.equal(read('', 'pids.max'), '100');
    } else {
      assert.equal(read('cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(read('cpu', 'cpu.shares'), '512');
      assert.equal(read('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
      assert.equal(read('pids', 'pids.max'), '100');
      // The kubelet's NoSwap: memory+swap no more than memory (where the kernel accounts swap).
      if (existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) {
        assert.equal(read('memory', 'memory.memsw.limit_in_bytes'), String(64 * 1024 * 1024));
      }
    }
    const hostNofile = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
    const ulimit = await rt.execSync(id, ['sh', '-c', 'ulimit -n'], 5000);
    assert.equal(ulimit.stdout.toString().trim(), String(Math.min(Number(hostNofile), 1048576)));
    await rt.removeContainer(id);
  });

  it('writes resolv.conf from dnsConfig and /etc/hosts with the pod IP', async () => {
    const [, out] = await run('dns', { command: ['sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /etc/hostname'] });
    const [resolv, hosts, host] = out.split('\n---\n');
    assert.equal(resolv, 'search default.svc.cluster.local svc.cluster.local\nnameserver 10.43.0.10\noptions ndots:5');
    const ip = (await env.runtime.podSandboxStatus(sid)).network!.ip;
    assert.match(hosts!, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+ctr$`, 'm'));
    assert.match(hosts!, /^127\.0\.0\.1\s+localhost$/m);
    assert.equal(host, 'ctr');
  });

  it('runs host-network sandboxes without CNI', async () => {
    const rt = env.runtime;
    const hostNs = { network: 'node', pid: 'container', ipc: 'pod' } as const;
    const hcfg = sandboxConfig(env, { name: 'hostnet', hostname: '', linux: { namespaceOptions: hostNs, sysctls: {} } });
    const hid = await rt.runPodSandbox(hcfg);
    const st = await rt.podSandboxStatus(hid);
    assert.equal(st.network!.ip, '');
    const c = await rt.createContainer(hid, containerConfig('h', ['sleep', '3600'], { linux: { securityContext: { namespaceOptions: hostNs } } }), hcfg);
    await rt.startContainer(c);
    const r = await rt.execSync(c, ['sh', '-c', 'hostname; readlink /proc/self/ns/net'], 5000);
    const [h, netns] = r.stdout.toString().trim().split('\n');
    assert.equal(h, hostname());
    assert.equal(netns, readlinkSync('/proc/self/ns/net'), 'the node\'s network namespace');
    await rt.removePodSandbox(hid);
  });

  it('sets favordynmods on the node\'s cgroup2 mount, unless told to protect kernel defaults', async () => {
    const result = env.runtime.cgroupFavorDynmods;
    const target = favorDynmodsTarget(mountTable());
    if (target && Number(release().split('.')[0]) >= 6) {
      assert.ok(result === 'enabled' || result === 'already', JSON.stringify(result));
      assert.equal(target.enabled, true, `${target.mountPoint} has favordynmods`);
    } else {
      assert.equal(typeof result, 'object', 'unavailable without a cgroup2 mount or before Linux 6.0');
    }
    const kept = new OciRuntime({
      root: join(env.root, 'protected'),
      cni: { bridge: env.bridge, podCidr: env.podCidr },
      images: env.images,
      protectKernelDefaults: true,
    });
    assert.equal(kept.cgroupFavorDynmods, 'protected');
    await kept.close();
  });
});
