/**
 * The runtime's cgroup v2 code path on real containers: a pure v2 hierarchy is detected, pod-level limits
 * land in the pod cgroup's memory.max / cpu.max / cpu.weight / pids.max, container limits in the container
 * cgroup crun makes under it, the kernel enforces them (pids, memory → OOMKilled, also from a pod-level
 * limit), the kubelet's memory defaults (no swap, an OOM kill ends the whole container), each container's own
 * cgroup namespace (as containerd and CRI-O make on v2), processes sit in leaf cgroups only, and removal
 * leaves no cgroup directory behind.
 *
 * On a cgroup v1 host it skips: test/integration/cgroup-v2-vm.test.ts runs it inside a cgroup v2 VM, which
 * sets KUBELING_EXPECT_CGROUP_V2=1 so that a v1 layout there fails instead of skipping.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detectCgroupLayout } from '../../src/runtime/oci/index.ts';
import type { ContainerConfig, LinuxResources, PodSandboxConfig } from '../../src/runtime/runtime.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingCgroupV2, missingRealContainers } from '../prerequisites.ts';

const ROOT = '/sys/fs/cgroup';
// In the VM (KUBELING_EXPECT_CGROUP_V2=1) a v1 layout fails instead of skipping.
const skip = missingRealContainers() ?? missingCgroupV2(detectCgroupLayout().version);
const ns = { network: 'pod', pid: 'container', ipc: 'pod' } as const;
const MiB = 1024 * 1024;

function cg(path: string, file: string): string {
  return readFileSync(join(ROOT, path, file), 'utf8').trim();
}

function procs(path: string): number[] {
  return cg(path, 'cgroup.procs').split('\n').filter(Boolean).map(Number);
}

/** A `key value` line of a flat-keyed cgroup file (memory.events, pids.events). */
function counter(path: string, file: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(cg(path, file));
  assert.ok(m, `${file} of ${path} has no ${key}`);
  return Number(m[1]);
}

describe('oci cgroup v2 (real containers)', { skip, timeout: 300_000 }, () => {
  let env: OciTestEnv;
  const parent = `kubeling-test/v2-${process.pid}`;

  before(async () => {
    env = await makeOciEnv('cgv2');
  });
  after(async () => {
    await env?.cleanup();
    // The pods' parent cgroups (empty once the pods are gone; cleanup() could not remove kubeling-test yet),
    // in every hierarchy: on a v1 host run with KUBELING_EXPECT_CGROUP_V2=1 the pods made v1 cgroups.
    for (const h of detectCgroupLayout().hierarchies) {
      for (const dir of [parent, 'kubeling-test']) {
        try {
          rmdirSync(join(h, dir));
        } catch {}
      }
    }
  });

  /** A pod under `parent` (or, with cgroupParent null, in the runtime's default pod cgroup). */
  async function pod(name: string, resources?: LinuxResources, cgroupParent: string | null = `${parent}/${name}`) {
    const cfg: PodSandboxConfig = sandboxConfig(env, {
      name,
      linux: {
        ...(cgroupParent ? { cgroupParent } : {}),
        ...(resources ? { resources } : {}),
        namespaceOptions: ns,
        sysctls: {},
      },
    });
    const id = await env.runtime.runPodSandbox(cfg);
    return { id, cfg };
  }

  async function start(
    sid: string,
    cfg: PodSandboxConfig,
    name: string,
    command: string[],
    over: Partial<ContainerConfig> = {},
  ) {
    const id = await env.runtime.createContainer(sid, containerConfig(name, command, over), cfg);
    await env.runtime.startContainer(id);
    return id;
  }

  async function waitExited(id: string, ms = 60_000) {
    return pollUntil(async () => {
      const st = await env.runtime.containerStatus(id);
      return st.state === 'CONTAINER_EXITED' && st;
    }, `container ${id} to exit`, ms);
  }

  it('detects a pure cgroup v2 hierarchy with the cpu, memory, pids and cpuset controllers', () => {
    const layout = detectCgroupLayout();
    assert.equal(
      layout.version,
      2,
      `expected cgroup v2 at ${ROOT}, found v1 hierarchies ${layout.hierarchies.join(', ')}`,
    );
    assert.deepEqual(layout.hierarchies, [ROOT]);
    assert.equal(env.runtime.cgroups.version, 2);
    const controllers = cg('', 'cgroup.controllers').split(' ');
    for (const c of ['cpu', 'memory', 'pids', 'cpuset'])
      assert.ok(controllers.includes(c), `${c} in ${controllers.join(' ')}`);
  });

  it('writes pod-level limits to the pod cgroup and keeps processes in leaf cgroups only', async () => {
    const { id } = await pod('podlimits', {
      cpuQuota: 150000,
      cpuPeriod: 100000,
      cpuShares: 1024,
      memoryLimitInBytes: 256 * MiB,
      pidsLimit: 500,
    });
    const podPath = `${parent}/podlimits`;
    assert.equal(cg(podPath, 'cpu.max'), '150000 100000');
    assert.equal(cg(podPath, 'cpu.weight'), '39'); // 1 + (1024 - 2) * 9999 / 262142, as the kubelet converts
    assert.equal(cg(podPath, 'memory.max'), String(256 * MiB));
    assert.equal(cg(podPath, 'pids.max'), '500');
    // v2 allows processes only in leaves once controllers are on: the pause sits in <pod>/<sandbox id>.
    assert.deepEqual(procs(podPath), []);
    assert.equal(procs(`${podPath}/${id}`).length, 1, 'the pause process is in its own cgroup under the pod');
    for (const c of ['cpu', 'memory', 'pids'])
      assert.ok(cg(parent, 'cgroup.subtree_control').split(' ').includes(c), `${c} enabled above the pod`);
    await env.runtime.removePodSandbox(id);
    assert.equal(existsSync(join(ROOT, podPath)), false, 'pod cgroup removed');
  });

  it('writes container limits to the container cgroup, and the kernel enforces pids.max', async () => {
    const { id: sid, cfg } = await pod('ctrlimits');
    const podPath = `${parent}/ctrlimits`;
    const resources = {
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpuShares: 512,
      memoryLimitInBytes: 64 * MiB,
      pidsLimit: 8,
      cpusetCpus: '0',
    };
    const id = await start(sid, cfg, 'limits', ['sleep', '3600'], {
      linux: { resources, securityContext: { namespaceOptions: ns } },
    });
    const path = `${podPath}/${id}`;
    assert.equal(cg(path, 'cpu.max'), '50000 100000');
    assert.equal(cg(path, 'cpu.weight'), '20');
    assert.equal(cg(path, 'memory.max'), String(64 * MiB));
    assert.equal(cg(path, 'pids.max'), '8');
    assert.equal(cg(path, 'cpuset.cpus'), '0');
    // The kubelet's defaults: no swap (NoSwap), and an OOM kill takes the whole container.
    assert.equal(cg(path, 'memory.swap.max'), '0');
    assert.equal(cg(path, 'memory.oom.group'), '1');
    const [pid] = procs(path);
    assert.ok(pid, 'the container process is in the container cgroup');
    assert.equal(readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim(), `0::/${path}`);
    assert.deepEqual(procs(podPath).length, 0);

    // Forks past pids.max fail (the exec'd shell joins the container cgroup) and pids.events counts them.
    const r = await env.runtime.execSync(
      id,
      ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 </dev/null >/dev/null 2>&1 & done; echo spawned'],
      30_000,
    );
    assert.match(r.stderr.toString() + r.stdout.toString(), /can't fork|Resource temporarily unavailable/);
    assert.ok(counter(path, 'pids.events', 'max') > 0, 'pids.events max > 0');

    await env.runtime.stopContainer(id, 0);
    await env.runtime.removeContainer(id);
    assert.equal(existsSync(join(ROOT, path)), false, 'container cgroup removed with the container');
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, podPath)), false, 'pod cgroup removed');
  });

  it('a container memory limit ends in OOMKilled (memory.events oom_kill)', async () => {
    const { id: sid, cfg } = await pod('oom');
    const id = await start(sid, cfg, 'hog', ['sh', '-c', 'exec dd if=/dev/zero of=/dev/null bs=256M count=1'], {
      linux: { resources: { memoryLimitInBytes: 32 * MiB }, securityContext: { namespaceOptions: ns } },
    });
    const path = `${parent}/oom/${id}`;
    const st = await waitExited(id);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
    if (existsSync(join(ROOT, path))) assert.ok(counter(path, 'memory.events', 'oom_kill') > 0);
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, `${parent}/oom`)), false);
  });

  it('an OOM kill ends the whole container (memory.oom.group), not only the largest process', async () => {
    const { id: sid, cfg } = await pod('oomgroup');
    // Without memory.oom.group only dd would die, and the shell would sleep on.
    const id = await start(sid, cfg, 'hog', ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=256M count=1; sleep 3600'], {
      linux: { resources: { memoryLimitInBytes: 32 * MiB }, securityContext: { namespaceOptions: ns } },
    });
    const st = await waitExited(id);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, `${parent}/oomgroup`)), false);
  });

  it('a pod-level memory limit OOM-kills a container without its own limit', async () => {
    const { id: sid, cfg } = await pod('podoom', { memoryLimitInBytes: 32 * MiB });
    const id = await start(sid, cfg, 'hog', ['sh', '-c', 'exec dd if=/dev/zero of=/dev/null bs=256M count=1']);
    const st = await waitExited(id);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
    assert.ok(counter(`${parent}/podoom`, 'memory.events', 'oom_kill') > 0, 'the pod cgroup counted the OOM kill');
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, `${parent}/podoom`)), false);
  });

  it('stopping a container kills every process in its cgroup, also ones outside its pid namespace', async () => {
    // With the node's pid namespace, the container's init dying does not take its children along: only the
    // runtime's cgroup sweep (cgroup.procs) does.
    const host = { network: 'pod', pid: 'node', ipc: 'pod' } as const;
    const { id: sid, cfg } = await pod('sweep');
    const id = await start(sid, cfg, 'forker', ['sh', '-c', 'sleep 7001 & sleep 7002 & exec sleep 7003'], {
      linux: { securityContext: { namespaceOptions: host } },
    });
    const path = `${parent}/sweep/${id}`;
    await pollUntil(() => procs(path).length >= 3, `3 processes in ${path}`, 30_000);
    await env.runtime.stopContainer(id, 0);
    const left = () => (existsSync(join(ROOT, path)) ? procs(path) : []);
    await pollUntil(() => left().length === 0, `no process left in ${path}`).catch(() => undefined);
    assert.deepEqual(left(), []);
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, `${parent}/sweep`)), false);
  });

  it('stop and removal kill what sits in child cgroups below a container, and leave no cgroup', async () => {
    // Nested runtimes (a privileged container running its own containers) make cgroups below their own and
    // move processes there; with the node's pid namespace those outlive the container's main process. The
    // test plays the nested runtime from outside: it moves one of the container's processes into a child.
    const host = { network: 'pod', pid: 'node', ipc: 'pod' } as const;
    const { id: sid, cfg } = await pod('nested');
    const id = await start(sid, cfg, 'nester', ['sh', '-c', 'sleep 7101 & exec sleep 7102'], {
      linux: { securityContext: { namespaceOptions: host } },
    });
    const path = `${parent}/nested/${id}`;
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    const orphan = await pollUntil(() => procs(path).find((p) => cmdline(p) === 'sleep 7101'), `sleep 7101 in ${path}`, 30_000);
    mkdirSync(join(ROOT, path, 'sub'));
    writeFileSync(join(ROOT, path, 'sub', 'cgroup.procs'), String(orphan));
    assert.deepEqual(procs(`${path}/sub`), [orphan]);
    await env.runtime.stopContainer(id, 0);
    await env.runtime.removeContainer(id);
    assert.equal(
      existsSync(`/proc/${orphan}`) && cmdline(orphan) === 'sleep 7101',
      false,
      'the process in the child cgroup was killed',
    );
    assert.equal(existsSync(join(ROOT, path)), false, 'container cgroup and its child removed');
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, `${parent}/nested`)), false);
  });

  // containerd and CRI-O give every non-privileged container a cgroup namespace of its own on v2: it sees
  // `0::/` in /proc/self/cgroup and its own limits at /sys/fs/cgroup (JVMs and .NET size their heaps from
  // memory.max there).
  it(
    'a container has a cgroup namespace of its own and reads its limits at /sys/fs/cgroup',
    async () => {
      const { id: sid, cfg } = await pod('cgns');
      try {
        const id = await start(sid, cfg, 'c', ['sleep', '3600'], {
          linux: { resources: { memoryLimitInBytes: 64 * MiB }, securityContext: { namespaceOptions: ns } },
        });
        const r = await env.runtime.execSync(
          id,
          ['sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max'],
          30_000,
        );
        assert.equal(r.stdout.toString(), `0::/\n${64 * MiB}\n`, r.stderr.toString());
      } finally {
        await env.runtime.removePodSandbox(sid);
      }
    },
  );

  it('the default pod cgroup (kubeling/pod-<id>) is made and removed with the pod', async () => {
    const { id: sid, cfg } = await pod('default', { pidsLimit: 100 }, null);
    const podPath = `kubeling/pod-${sid}`;
    const id = await start(sid, cfg, 'c', ['sleep', '3600']);
    assert.equal(cg(podPath, 'pids.max'), '100');
    assert.equal(procs(`${podPath}/${id}`).length, 1);
    await env.runtime.removePodSandbox(sid);
    assert.equal(existsSync(join(ROOT, podPath)), false, 'no cgroup left behind');
  });
});
