/**
 * Real pods on OciRuntime: what makes a sandbox a "logical host". Two containers share localhost, the
 * hostname and IPC; a port bound by one is taken for the other; the pod IP answers from the node; hostPort
 * goes through portmap; a shared PID namespace shows both containers' processes; a memory limit ends in
 * OOMKilled.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PodSandboxConfig } from '../../src/runtime/runtime.ts';
import { poll } from '../../src/machinery/testing/poll.ts';
import { containerConfig, makeOciEnv, sandboxConfig, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const HTTPD = ['sh', '-c', 'mkdir -p /tmp/www && echo "hello from $(hostname)" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'];

describe('oci pods (real containers)', { skip, timeout: 120_000 }, () => {
  let env: OciTestEnv;

  before(async () => {
    env = await makeOciEnv('pod');
  });
  after(async () => {
    await env?.cleanup();
  });

  /** A failing `fn` (a refused connection, a failed exec) means "not yet" here. */
  function waitFor<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
    return poll(fn, what, { intervalMs: 50, timeoutMs: ms, retryErrors: true });
  }

  async function pod(over: Partial<PodSandboxConfig> & { name?: string } = {}) {
    const cfg = sandboxConfig(env, over);
    const id = await env.runtime.runPodSandbox(cfg);
    return { id, cfg };
  }

  it('two containers share localhost, the hostname and IPC; the pod IP answers from the node', async () => {
    const rt = env.runtime;
    const { id, cfg } = await pod({ name: 'shared' });
    const web = await rt.createContainer(id, containerConfig('web', HTTPD), cfg);
    const client = await rt.createContainer(id, containerConfig('client', ['sleep', '3600']), cfg);
    await Promise.all([rt.startContainer(web), rt.startContainer(client)]);

    const body = await waitFor(async () => {
      const r = await rt.execSync(client, ['wget', '-qO-', 'http://127.0.0.1:8080/'], 5000);
      return r.exitCode === 0 ? r.stdout.toString() : undefined;
    }, 'httpd on localhost');
    assert.equal(body.trim(), 'hello from shared');

    for (const c of [web, client]) {
      assert.equal((await rt.execSync(c, ['hostname'], 5000)).stdout.toString().trim(), 'shared');
    }
    const nsOf = async (c: string, ns: string) => (await rt.execSync(c, ['readlink', `/proc/self/ns/${ns}`], 5000)).stdout.toString().trim();
    assert.equal(await nsOf(web, 'ipc'), await nsOf(client, 'ipc'), 'one IPC namespace');
    assert.equal(await nsOf(web, 'net'), await nsOf(client, 'net'), 'one network namespace');
    assert.notEqual(await nsOf(web, 'mnt'), await nsOf(client, 'mnt'), 'each its own mount namespace');
    assert.notEqual(await nsOf(web, 'ipc'), readlinkSync('/proc/self/ns/ipc'), 'not the node\'s IPC namespace');

    // POSIX shared memory: a file in /dev/shm written by one container is read by the other.
    await rt.execSync(web, ['sh', '-c', 'echo shared-secret > /dev/shm/note'], 5000);
    assert.equal((await rt.execSync(client, ['cat', '/dev/shm/note'], 5000)).stdout.toString().trim(), 'shared-secret');
    // /dev/shm is per pod: not the node's.
    assert.throws(() => readFileSync('/dev/shm/note'));

    const st = await rt.podSandboxStatus(id);
    assert.match(st.network!.ip, /^10\.\d+\.\d+\.\d+$/);
    assert.equal((await httpGet(st.network!.ip, 8080)).trim(), 'hello from shared', 'pod IP reachable from the node');
    await rt.removePodSandbox(id);
  });

  it('two containers binding the same port conflict', async () => {
    const rt = env.runtime;
    const { id, cfg } = await pod({ name: 'conflict' });
    const first = await rt.createContainer(id, containerConfig('first', HTTPD), cfg);
    await rt.startContainer(first);
    await waitFor(async () => ((await rt.execSync(first, ['wget', '-qO-', 'http://127.0.0.1:8080/'], 5000)).exitCode === 0 ? true : undefined), 'first httpd');
    const second = await rt.createContainer(id, containerConfig('second', ['httpd', '-f', '-p', '8080', '-h', '/tmp']), cfg);
    await rt.startContainer(second);
    const st = await waitFor(async () => {
      const s = await rt.containerStatus(second);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 'second httpd to fail');
    assert.notEqual(st.exitCode, 0);
    assert.equal(st.reason, 'Error');
    assert.match(readFileSync(st.logPath, 'utf8'), /Address (already )?in use/i);
    assert.equal((await rt.containerStatus(first)).state, 'CONTAINER_RUNNING');
    await rt.removePodSandbox(id);
  });

  it('maps a hostPort through portmap', async () => {
    const rt = env.runtime;
    const hostPort = await freePort();
    const { id, cfg } = await pod({ name: 'hostport', portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }] });
    const web = await rt.createContainer(id, containerConfig('web', HTTPD), cfg);
    await rt.startContainer(web);
    const nodeIp = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\\.2[0-4][0-9]\\.' | head -1"], { encoding: 'utf8' }).trim();
    const body = await waitFor(async () => (await httpGet(nodeIp, hostPort)).trim(), `http://${nodeIp}:${hostPort}`);
    assert.equal(body, 'hello from hostport');
    assert.equal((await httpGet('127.0.0.1', hostPort)).trim(), 'hello from hostport', 'through 127.0.0.1 too');
    await rt.removePodSandbox(id);
    const rules = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
    assert.ok(!rules.includes(`--dport ${hostPort} `), 'port mapping rules removed with the sandbox');
  });

  it('a shared PID namespace shows both containers\' processes', async () => {
    const rt = env.runtime;
    const shared = { network: 'pod', pid: 'pod', ipc: 'pod' } as const;
    const { id, cfg } = await pod({ name: 'sharepid', linux: { namespaceOptions: shared, sysctls: {} } });
    const sc = { securityContext: { namespaceOptions: shared } };
    const a = await rt.createContainer(id, containerConfig('a', ['sleep', '1234'], { linux: sc }), cfg);
    const b = await rt.createContainer(id, containerConfig('b', ['sleep', '5678'], { linux: sc }), cfg);
    await Promise.all([rt.startContainer(a), rt.startContainer(b)]);
    const ps = (await rt.execSync(b, ['ps', '-o', 'pid,args'], 5000)).stdout.toString();
    assert.match(ps, /sleep 1234/);
    assert.match(ps, /sleep 5678/);
    assert.match(ps, /^\s*1\s+\/catatonit -P$/m, 'the pause process is PID 1');
    // Without sharing, a container sees only itself.
    const { id: id2, cfg: cfg2 } = await pod({ name: 'ownpid' });
    const c = await rt.createContainer(id2, containerConfig('c', ['sleep', '4321']), cfg2);
    await rt.startContainer(c);
    const ps2 = (await rt.execSync(c, ['ps', '-o', 'pid,args'], 5000)).stdout.toString();
    assert.match(ps2, /^\s*1\s+sleep 4321$/m);
    assert.doesNotMatch(ps2, /catatonit/);
    await Promise.all([rt.removePodSandbox(id), rt.removePodSandbox(id2)]);
  });

  it('a memory limit ends in OOMKilled', async () => {
    const rt = env.runtime;
    const { id, cfg } = await pod({ name: 'oom' });
    const hog = await rt.createContainer(
      id,
      containerConfig('hog', ['sh', '-c', 'echo start; exec dd if=/dev/zero of=/dev/null bs=256M count=1'], {
        linux: {
          resources: { memoryLimitInBytes: 32 * 1024 * 1024 },
          securityContext: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' } },
        },
      }),
      cfg,
    );
    await rt.startContainer(hog);
    const st = await waitFor(async () => {
      const s = await rt.containerStatus(hog);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 'the container to be OOM-killed', 30_000);
    assert.equal(st.reason, 'OOMKilled');
    assert.equal(st.exitCode, 137);
    await rt.removePodSandbox(id);
  });
});
