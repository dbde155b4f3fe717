/**
 * The oci runtime's sandbox pool on real containers: pooled sandboxes are hidden from the CRI listing; a pod
 * that fits takes one and gets the pooled IP, its own hostname (in the UTS namespace its containers join,
 * and in /etc/hosts), its pod cgroup (the pause moves there, the pool cgroup goes) and a working network
 * (it reaches another pod); the pool refills; a pod with sysctls is built as before; removing the pod leaves
 * nothing; stopping the pool leaves no pooled netns, cgroup or pause.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { poll } from '../../src/machinery/testing/poll.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();

interface Record {
  id: string;
  netns: string;
  cgroupPath: string;
  pausePid: number;
  pooled?: boolean;
}

function records(env: OciTestEnv): Record[] {
  const dir = `${env.root}/runtime/run/sandboxes`;
  const out: Record[] = [];
  for (const id of existsSync(dir) ? execFileSync('ls', [dir], { encoding: 'utf8' }).split('\n').filter(Boolean) : []) {
    try {
      out.push(JSON.parse(readFileSync(`${dir}/${id}/state.json`, 'utf8')) as Record);
    } catch {
      // being written or removed
    }
  }
  return out;
}

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const cgroupDirs = (path: string) => ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup'].filter((h) => existsSync(`${h}/${path}`));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

describe('oci sandbox pool (real containers)', { skip, timeout: 120_000 }, () => {
  let env: OciTestEnv;
  const ac = new AbortController();
  let pool: Promise<void>;
  const errors: unknown[] = [];

  before(async () => {
    env = await makeOciEnv('pool');
    pool = env.runtime.sandboxPool.run(2, ac.signal, (err) => errors.push(err));
  });
  after(async () => {
    ac.abort();
    await pool;
    await env?.cleanup();
  });

  it('a pod takes a pooled sandbox: pooled IP, its hostname and cgroup, a working network; the pool refills', async () => {
    const rt = env.runtime;
    await pollUntil(() => rt.sandboxPool.ready === 2, 'two pooled sandboxes', 30_000);
    const pooled = records(env).filter((r) => r.pooled);
    assert.equal(pooled.length, 2);
    assert.deepEqual(await rt.listPodSandbox(), [], 'pooled sandboxes are no pod\'s: not listed');

    const cfg = sandboxConfig(env, { name: 'pooled-web' });
    cfg.linux.cgroupParent = `kubeling-test/pod${cfg.metadata.uid}`;
    const id = await rt.runPodSandbox(cfg);
    const taken = pooled.find((r) => r.id === id);
    assert.ok(taken, 'the pod got a pooled sandbox');
    const st = await rt.podSandboxStatus(id);
    assert.equal(st.state, 'SANDBOX_READY');
    assert.equal(st.hostname, 'pooled-web');
    assert.deepEqual((await rt.listPodSandbox()).map((s) => s.id), [id]);

    const web = await rt.createContainer(id, containerConfig('web', ['sh', '-c', 'mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 8080 -h /w']), cfg);
    await rt.startContainer(web);
    assert.equal((await rt.execSync(web, ['hostname'], 5000)).stdout.toString().trim(), 'pooled-web');
    assert.equal((await rt.execSync(web, ['cat', '/etc/hostname'], 5000)).stdout.toString().trim(), 'pooled-web');
    const ip = st.network!.ip;
    assert.match((await rt.execSync(web, ['cat', '/etc/hosts'], 5000)).stdout.toString(), new RegExp(`^${ip.replaceAll('.', '\\.')}\\tpooled-web$`, 'm'));
    const ownIp = (await rt.execSync(web, ['ip', '-4', '-o', 'addr', 'show', 'eth0'], 5000)).stdout.toString();
    assert.ok(ownIp.includes(` ${ip}/`), `eth0 holds the pod IP ${ip}: ${ownIp}`);
    // The pause joined the pod cgroup; the pool's cgroup is gone.
    const pauseCgroups = readFileSync(`/proc/${taken.pausePid}/cgroup`, 'utf8');
    assert.ok(pauseCgroups.includes(`/kubeling-test/pod${cfg.metadata.uid}/${id}`), pauseCgroups);
    assert.deepEqual(cgroupDirs(taken.cgroupPath), [], `the pool cgroup ${taken.cgroupPath} is gone`);

    // Another pod (cold: it asks for a sysctl, which a pooled sandbox cannot take) reaches this one by IP.
    const coldCfg = sandboxConfig(env, { name: 'cold-client' });
    coldCfg.linux.sysctls = { 'net.ipv4.ping_group_range': '0 0' };
    const cold = await rt.runPodSandbox(coldCfg);
    assert.ok(!pooled.some((r) => r.id === cold), 'a pod with sysctls gets a sandbox of its own');
    const client = await rt.createContainer(cold, containerConfig('client', ['sleep', '3600']), coldCfg);
    await rt.startContainer(client);
    const body = await poll(
      async () => {
        const r = await rt.execSync(client, ['wget', '-qO-', `http://${ip}:8080/`], 5000);
        return r.exitCode === 0 ? r.stdout.toString() : undefined;
      },
      'the pooled pod answers over the pod network',
      { intervalMs: 50, timeoutMs: 10_000 },
    );
    assert.equal(body.trim(), 'pooled-web');

    await pollUntil(() => rt.sandboxPool.ready === 2, 'the pool refilled', 30_000);
    const refilled = records(env).filter((r) => r.pooled);
    assert.equal(refilled.filter((r) => r.id !== taken.id).length, 2);

    await rt.removePodSandbox(id);
    await rt.removePodSandbox(cold);
    assert.doesNotMatch(netnsList(), new RegExp(`^${taken.netns}\\b`, 'm'), 'the pod\'s netns is gone');
    assert.deepEqual(cgroupDirs(`kubeling-test/pod${cfg.metadata.uid}`), [], 'the pod cgroup is gone');
    assert.ok(!alive(taken.pausePid), 'the pause is gone');
    assert.deepEqual(errors, []);
  });

  it('stopping the pool removes every pooled sandbox: netns, cgroup, pause', async () => {
    const rt = env.runtime;
    await pollUntil(() => rt.sandboxPool.ready === 2, 'two pooled sandboxes', 30_000);
    const pooled = records(env).filter((r) => r.pooled);
    ac.abort();
    await pool;
    assert.deepEqual(records(env), [], 'no sandbox record left');
    const list = netnsList();
    for (const r of pooled) {
      assert.doesNotMatch(list, new RegExp(`^${r.netns}\\b`, 'm'));
      assert.deepEqual(cgroupDirs(r.cgroupPath), []);
      assert.ok(!alive(r.pausePid), `pause ${r.pausePid} gone`);
    }
    assert.equal(rt.sandboxPool.ready, 0);
    // A pod now is built as before.
    const cfg = sandboxConfig(env, { name: 'after-pool' });
    const id = await rt.runPodSandbox(cfg);
    assert.ok(!pooled.some((r) => r.id === id));
    await rt.removePodSandbox(id);
  });
});
