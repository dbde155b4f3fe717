/**
 * OciRuntime lifecycle with real containers: a container outlives its runtime object (a kubelet restart) and
 * is adopted by a new one; exec with exit codes and with a TTY (resize); attach; port-forward; CRI-format
 * logs and log reopening; and after removal nothing is left (processes, mounts, netns, veths, cgroups, IP
 * leases).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupExists, filesystemType } from '../../src/runtime/oci/index.ts';
import type { StreamSession } from '../../src/runtime/runtime.ts';
import {
  containerConfig,
  hostProcessesMatching,
  makeOciEnv,
  mountsMatching,
  pollUntil as until,
  sandboxConfig,
  type OciTestEnv,
} from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();

function collect(s: NodeJS.ReadableStream | undefined): { text: () => string } {
  const chunks: Buffer[] = [];
  s?.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
  return { text: () => Buffer.concat(chunks).toString() };
}

describe('oci lifecycle (real containers)', { skip, timeout: 120_000 }, () => {
  let env: OciTestEnv;

  before(async () => {
    env = await makeOciEnv('life');
  });
  after(async () => {
    await env?.cleanup();
  });

  it('a running container survives a new runtime instance and is adopted by it', async () => {
    const cfg = sandboxConfig(env, { name: 'adopt' });
    const sid = await env.runtime.runPodSandbox(cfg);
    const cid = await env.runtime.createContainer(sid, containerConfig('main', ['sh', '-c', 'echo before; trap "echo bye; exit 7" TERM; sleep 3600 & wait']), cfg);
    await env.runtime.startContainer(cid);
    const ip = (await env.runtime.podSandboxStatus(sid)).network!.ip;

    // "Restart the kubelet": a second runtime object on the same data dir, the first one dropped.
    await env.runtime.close();
    const rt = env.newRuntime();
    assert.deepEqual((await rt.listPodSandbox()).map((s) => [s.id, s.state]), [[sid, 'SANDBOX_READY']]);
    assert.equal((await rt.podSandboxStatus(sid)).network!.ip, ip);
    const listed = await rt.listContainers({ podSandboxId: sid });
    assert.deepEqual(listed.map((c) => [c.id, c.state]), [[cid, 'CONTAINER_RUNNING']]);
    const r = await rt.execSync(cid, ['sh', '-c', 'echo adopted; exit 5'], 5000);
    assert.equal(r.exitCode, 5);
    assert.equal(r.stdout.toString(), 'adopted\n');

    await rt.stopContainer(cid, 10);
    const st = await rt.containerStatus(cid);
    assert.equal(st.state, 'CONTAINER_EXITED');
    assert.equal(st.exitCode, 7, 'the exit code comes from conmon\'s exit file');
    assert.ok(st.finishedAt >= st.startedAt);
    assert.match(readFileSync(st.logPath, 'utf8'), /stdout F bye/);
    await rt.removePodSandbox(sid);
    assert.deepEqual(await rt.listPodSandbox(), []);
  });

  it('a sandbox whose pause process dies is not ready, and is torn down cleanly', async () => {
    const rt = env.newRuntime();
    const cfg = sandboxConfig(env, { name: 'pausedies' });
    const sid = await rt.runPodSandbox(cfg);
    assert.equal((await rt.podSandboxStatus(sid)).state, 'SANDBOX_READY');
    const pausePid = Number(readFileSync(join(env.root, 'runtime', 'run', 'sandboxes', sid, 'pid'), 'utf8'));
    process.kill(pausePid, 'SIGKILL');
    await until(() => !existsSync(`/proc/${pausePid}`), `pause process ${pausePid} to be gone`);
    assert.equal((await rt.podSandboxStatus(sid)).state, 'SANDBOX_NOTREADY');
    assert.ok((await rt.listPodSandbox({ state: 'SANDBOX_NOTREADY' })).some((s) => s.id === sid));
    await rt.stopPodSandbox(sid);
    await rt.removePodSandbox(sid);
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(sid), 'netns removed');
    await rt.close();
  });

  it('a pause process crun refuses fails the sandbox with crun\'s reason and leaves nothing', async () => {
    const rt = env.newRuntime();
    const sandboxDirs = () => readdirSync(join(env.root, 'runtime', 'run', 'sandboxes')).sort();
    const before = sandboxDirs();
    const cfg = sandboxConfig(env, { name: 'badpause', linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: { 'net.ipv4.kubeling_no_such_sysctl': '1' } } });
    await assert.rejects(rt.runPodSandbox(cfg), (err: Error) => /pause process: .*kubeling_no_such_sysctl/.test(err.message));
    assert.ok(!(await rt.listPodSandbox()).some((s) => s.metadata.name === 'badpause'));
    assert.deepEqual(sandboxDirs(), before, 'no sandbox directory left');
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes('badpause'));
    await rt.close();
  });

  it('releases its state tmpfs on an idle shutdown, and keeps it while a pod remains', async () => {
    const own = await makeOciEnv('rel');
    try {
      const state = join(own.root, 'runtime', 'run');
      const mounted = filesystemType(own.root) !== 'tmpfs'; // on a tmpfs already, the runtime mounts nothing
      const cfg = sandboxConfig(own, { name: 'stays' });
      const sid = await own.runtime.runPodSandbox(cfg);
      assert.equal(mountsMatching(` ${join(state, 'bin')}/`).length, 1, 'the OCI runtime runs from a read-only view');
      await own.runtime.close();
      assert.equal(own.runtime.releaseStateIfIdle(), false, 'a sandbox remains: the state stays');
      assert.equal(filesystemType(state), 'tmpfs');
      const rt = own.newRuntime();
      assert.deepEqual((await rt.listPodSandbox()).map((s) => s.id), [sid], 'adopted from the state tmpfs');
      await rt.removePodSandbox(sid);
      await rt.close();
      assert.equal(rt.releaseStateIfIdle(), mounted);
      if (mounted) assert.notEqual(filesystemType(state), 'tmpfs', 'unmounted');
      assert.deepEqual(mountsMatching(`${own.root}/`), [], 'nothing stays mounted, the read-only crun binary neither');
    } finally {
      await own.cleanup();
    }
  });

  it('writes logs in the CRI format and reopens them after rotation', async () => {
    const rt = env.newRuntime();
    const cfg = sandboxConfig(env, { name: 'logs' });
    const sid = await rt.runPodSandbox(cfg);
    const cid = await rt.createContainer(
      sid,
      containerConfig('talk', ['sh', '-c', 'echo out-line; echo err-line >&2; printf partial; sleep 0.3; echo; while true; do sleep 0.05; [ -f /tmp/go ] && echo after-rotate && break; done; sleep 3600']),
      cfg,
    );
    await rt.startContainer(cid);
    const st = await rt.containerStatus(cid);
    assert.equal(st.logPath, join(cfg.logDirectory, 'talk/0.log'));
    await until(() => existsSync(st.logPath) && readFileSync(st.logPath, 'utf8').includes('partial'), 'log lines');
    const lines = readFileSync(st.logPath, 'utf8').trim().split('\n');
    const re = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] .*$/;
    for (const l of lines) assert.match(l, re);
    assert.ok(lines.some((l) => / stdout F out-line$/.test(l)));
    assert.ok(lines.some((l) => / stderr F err-line$/.test(l)));

    renameSync(st.logPath, `${st.logPath}.1`);
    await rt.reopenContainerLog(cid);
    await rt.execSync(cid, ['touch', '/tmp/go'], 5000);
    await until(() => existsSync(st.logPath) && readFileSync(st.logPath, 'utf8').includes('after-rotate'), 'the reopened log');
    assert.ok(!readFileSync(`${st.logPath}.1`, 'utf8').includes('after-rotate'));
    await rt.removePodSandbox(sid);
    assert.ok(existsSync(st.logPath), 'log files outlive the container (the kubelet removes them)');
    await rt.close();
  });

  it('execs with a TTY, stdin and resize; streams without one; attaches; port-forwards', async () => {
    const rt = env.newRuntime();
    const cfg = sandboxConfig(env, { name: 'streams' });
    const sid = await rt.runPodSandbox(cfg);
    const web = ['sh', '-c', 'mkdir -p /tmp/w && echo forwarded > /tmp/w/index.html && httpd -p 8080 -h /tmp/w; while read line; do echo "got:$line"; done; sleep 3600'];
    const cid = await rt.createContainer(sid, containerConfig('main', web, { stdin: true, stdinOnce: false }), cfg);
    await rt.startContainer(cid);

    // Non-TTY streaming exec: stdout and stderr apart, stdin to EOF, the exit code.
    let s: StreamSession = await rt.exec(cid, ['sh', '-c', 'cat; echo to-err >&2; exit 3'], { stdin: true, stdout: true, stderr: true, tty: false });
    let out = collect(s.stdout);
    const err = collect(s.stderr);
    s.stdin!.end('piped input\n');
    assert.deepEqual(await s.exit, { exitCode: 3 });
    assert.equal(out.text(), 'piped input\n');
    assert.equal(err.text(), 'to-err\n');

    // TTY exec: the process sees a terminal, its size follows resize, typed input is echoed and run.
    s = await rt.exec(cid, ['sh'], { stdin: true, stdout: true, stderr: false, tty: true });
    out = collect(s.stdout);
    s.resize({ width: 123, height: 45 });
    // busybox ash asks the terminal for the cursor position (ESC[6n) at each prompt; type after the prompt.
    await until(() => out.text().includes('# '), 'the shell prompt');
    s.stdin!.write('[ -t 0 ] && [ -t 1 ] && echo is-a-terminal; tty; stty size\n');
    await until(() => /45 123/.test(out.text()), 'stty size in the tty', 10_000);
    assert.match(out.text(), /\r\nis-a-terminal\r\n/, 'stdin and stdout are a terminal (CRLF from the line discipline)');
    assert.match(out.text(), /\r\n\/dev\/pts\/\d+\r\n/, 'a pty of the container\'s own /dev/pts');
    assert.doesNotMatch(out.text(), /job control turned off/, 'the terminal is the controlling terminal');
    s.resize({ width: 80, height: 24 });
    // The new size applies asynchronously: ask until the shell reports it.
    // Each ask that does not see the answer yet asks the shell again (the poll's interval lets it arrive).
    await until(() => {
      if (/24 80/.test(out.text())) return true;
      s.stdin!.write('stty size\n');
      return false;
    }, 'the resized terminal');
    s.stdin!.write('exit 4\n');
    assert.deepEqual(await s.exit, { exitCode: 4 });
    assert.match(out.text(), /24 80/);

    // Attach: the main process's output, and stdin into it.
    const a = await rt.attach(cid, { stdin: true, stdout: true, stderr: true, tty: false });
    const aout = collect(a.stdout);
    a.stdin!.write('hello-attach\n');
    await until(() => aout.text().includes('got:hello-attach'), 'attached output');
    a.close();
    assert.deepEqual(await a.exit, { exitCode: 0 });
    assert.equal((await rt.containerStatus(cid)).state, 'CONTAINER_RUNNING', 'detaching leaves the container running');

    // Port-forward: a TCP stream into the pod's network namespace.
    const conn = await rt.portForward(sid, 8080);
    const body = collect(conn);
    conn.write('GET / HTTP/1.0\r\n\r\n');
    await until(() => body.text().includes('forwarded'), 'HTTP over port-forward');
    conn.destroy();
    // A port nothing listens on: the stream fails with the dial's error (kubectl prints it), never just ends.
    const closed = await rt.portForward(sid, 9999);
    closed.resume();
    const [failed] = (await once(closed, 'error')) as [Error];
    assert.match(failed.message, /^failed to connect to localhost:9999 inside namespace ".+": .*refused/);
    await rt.removePodSandbox(sid);
    await rt.close();
  });

  it('leaves nothing behind after removePodSandbox', async () => {
    const rt = env.newRuntime();
    const cfg = sandboxConfig(env, { name: 'gone', linux: { cgroupParent: `kubeling-test/pod-gone-${process.pid}`, namespaceOptions: { network: 'pod', pid: 'pod', ipc: 'pod' }, sysctls: {} } });
    const sid = await rt.runPodSandbox(cfg);
    const ids = await Promise.all(
      ['a', 'b'].map(async (n) => {
        const c = await rt.createContainer(sid, containerConfig(n, ['sleep', '3600']), cfg);
        await rt.startContainer(c);
        return c;
      }),
    );
    const ip = (await rt.podSandboxStatus(sid)).network!.ip;
    const leaseDir = join(env.root, 'runtime', 'run', 'cni', 'networks', 'kubeling');
    assert.ok(readdirSync(leaseDir).includes(ip), 'host-local holds a lease for the pod IP');
    assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`kubeling-${sid}`));
    const veths = () => execFileSync('ip', ['-o', 'link', 'show', 'master', env.bridge], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`kubeling-${sid}`));
    assert.equal(veths().length, 1, 'the pod\'s veth is on the bridge');
    assert.ok(cgroupExists(rt.cgroups, cfg.linux.cgroupParent!));
    for (const id of ids) assert.ok(hostProcessesMatching(id).length > 0, `conmon of ${id} runs`);
    // The pause process runs without conmon: know it by its pid.
    const pausePid = Number(readFileSync(join(env.root, 'runtime', 'run', 'sandboxes', sid, 'pid'), 'utf8'));
    assert.match(readFileSync(`/proc/${pausePid}/cmdline`, 'utf8'), /catatonit/);

    await rt.removePodSandbox(sid);

    assert.ok(!existsSync(`/proc/${pausePid}`), 'the pause process has ended and been reaped');

    for (const id of [sid, ...ids]) {
      assert.deepEqual(hostProcessesMatching(id), [], `no process mentions ${id}`);
      assert.deepEqual(mountsMatching(id), [], `no mount of ${id}`);
    }
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(sid), 'netns removed');
    assert.deepEqual(veths(), [], 'no veth of the pod left on the bridge');
    assert.ok(!cgroupExists(rt.cgroups, cfg.linux.cgroupParent!), 'pod cgroup removed in every hierarchy');
    assert.ok(!readdirSync(leaseDir).includes(ip), 'IP lease released');
    for (const dir of ['run/sandboxes', 'run/containers', 'run/crun', 'run/exits', 'run/s', 'layers']) {
      const left = readdirSync(join(env.root, 'runtime', dir)).filter((n) => [sid, ...ids].includes(n));
      assert.deepEqual(left, [], `nothing of the pod left in ${dir}/`);
    }
    execFileSync('sh', ['-c', 'for h in /sys/fs/cgroup/*/kubeling-test /sys/fs/cgroup/kubeling-test; do [ -d "$h" ] && rmdir "$h"; done; true']);
    await rt.close();
  });
});
