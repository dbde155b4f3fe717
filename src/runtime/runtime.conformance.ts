/**
 * The runtime conformance suite: the contracts written on `RuntimeService` (runtime.ts), checked through the
 * interface alone, so one suite runs against every backend. `FakeRuntime` runs it as a unit test; `OciRuntime`
 * runs it in test/integration/oci-conformance.test.ts with real containers. Backend specifics (namespaces,
 * cgroups, CNI) are tested beside each backend, not here.
 *
 * What a container "does" is given by commands in `RuntimeConformanceOptions` (a shell for real backends; a
 * fake interprets the same commands or ignores them). Checks that need a container to exit by itself with a
 * chosen code or to run a command are skipped when the options leave those commands out.
 *
 *   runRuntimeConformance('fake', () => new FakeRuntime(), { exitCommand: undefined });
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, ContainerRuntime, PodSandboxConfig } from './runtime.ts';
import { isRuntimeError } from './runtime.ts';

export interface RuntimeConformanceOptions {
  /** Image every container uses; pulled once before the tests (default `docker.io/library/busybox:1.35`). */
  image?: string;
  /** A command that keeps running until signalled (default `['sleep', '3600']`). */
  sleepCommand?: string[];
  /**
   * A command that exits with code 0 on SIGTERM (default a shell trap); undefined makes the graceful-stop
   * test check only that the container exited.
   */
  trapTermCommand?: string[] | undefined;
  /** A command that exits by itself with `code` soon after start; undefined skips the exit-code checks. */
  exitCommand?: ((code: number) => string[]) | undefined;
  /** A command for execSync that prints `text` on stdout and exits with `code`; undefined skips exec checks. */
  execCommand?: ((text: string, code: number) => string[]) | undefined;
  /** Pod network to use: 'pod' (default) gives sandboxes an IP; 'node' uses the host network. */
  network?: 'pod' | 'node';
  /** Skip everything, with this reason (missing root or binaries). */
  skip?: string | false;
  /** Called once after the suite (after the runtime's own cleanup). */
  cleanup?: () => Promise<void> | void;
  /** Per-test timeout in ms (default 30000). */
  timeout?: number;
}

const defaults = {
  image: 'docker.io/library/busybox:1.35',
  sleepCommand: ['sleep', '3600'],
  trapTermCommand: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
  exitCommand: (code: number) => ['sh', '-c', `exit ${code}`],
  execCommand: (text: string, code: number) => ['sh', '-c', `echo ${text}; exit ${code}`],
};

let seq = 0;

/**
 * Registers the conformance tests under `describe(name)`. `makeRuntime` is called once for the suite; the
 * suite removes every sandbox it made, even when a test fails.
 */
export function runRuntimeConformance(
  name: string,
  makeRuntime: () => ContainerRuntime | Promise<ContainerRuntime>,
  options: RuntimeConformanceOptions = {},
): void {
  const image = options.image ?? defaults.image;
  const sleepCommand = options.sleepCommand ?? defaults.sleepCommand;
  const trapTermCommand = 'trapTermCommand' in options ? options.trapTermCommand : defaults.trapTermCommand;
  const exitCommand = 'exitCommand' in options ? options.exitCommand : defaults.exitCommand;
  const execCommand = 'execCommand' in options ? options.execCommand : defaults.execCommand;
  const network = options.network ?? 'pod';
  const timeout = options.timeout ?? 30_000;

  describe(`runtime conformance: ${name}`, { skip: options.skip || false, timeout: timeout * 20 }, () => {
    let rt: ContainerRuntime;
    let logRoot: string;
    const made = new Set<string>();

    before(async () => {
      rt = await makeRuntime();
      logRoot = mkdtempSync(join(tmpdir(), 'kubeling-conformance-logs-'));
      await rt.pullImage(image);
    });

    after(async () => {
      if (rt) for (const id of made) await rt.removePodSandbox(id).catch(() => {});
      if (logRoot) rmSync(logRoot, { recursive: true, force: true });
      await options.cleanup?.();
    });

    function sandboxConfig(overrides: Partial<PodSandboxConfig['metadata']> = {}, labels = {}): PodSandboxConfig {
      const n = ++seq;
      const uid = `00000000-0000-4000-8000-${String(process.pid % 100000).padStart(5, '0')}${String(n).padStart(7, '0')}`;
      return {
        metadata: { name: `conf-${n}`, uid, namespace: 'default', attempt: 0, ...overrides },
        hostname: network === 'node' ? '' : `conf-${n}`,
        logDirectory: join(logRoot, `default_conf-${n}_${uid}`),
        portMappings: [],
        labels: { app: 'conformance', n: String(n), ...labels },
        annotations: { 'conformance/note': 'yes' },
        linux: { namespaceOptions: { network, pid: 'container', ipc: 'pod' }, sysctls: {} },
      };
    }

    function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
      return {
        metadata: { name, attempt: 0 },
        image,
        command,
        args: [],
        envs: [{ key: 'CONFORMANCE', value: '1' }],
        mounts: [],
        labels: { container: name },
        annotations: {},
        logPath: `${name}/0.log`,
        stdin: false,
        stdinOnce: false,
        tty: false,
        linux: { securityContext: { namespaceOptions: { network, pid: 'container', ipc: 'pod' } } },
        ...extra,
      };
    }

    async function newSandbox(config = sandboxConfig()): Promise<{ id: string; config: PodSandboxConfig }> {
      const id = await rt.runPodSandbox(config);
      made.add(id);
      return { id, config };
    }

    async function waitExited(id: string): Promise<void> {
      for (let i = 0; i < timeout / 20; i++) {
        const s = await rt.containerStatus(id);
        if (s.state === 'CONTAINER_EXITED') return;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail(`container ${id} did not exit`);
    }

    it('reports version and status', { timeout }, async () => {
      const v = await rt.version();
      assert.equal(typeof v.runtimeName, 'string');
      assert.ok(v.runtimeName.length > 0);
      assert.equal(typeof v.runtimeVersion, 'string');
      assert.equal(typeof v.runtimeApiVersion, 'string');
      const conditions = await rt.status();
      const types = conditions.map((c) => c.type).sort();
      assert.deepEqual(types, ['NetworkReady', 'RuntimeReady']);
      for (const c of conditions) assert.equal(c.status, true, `${c.type}: ${c.reason} ${c.message}`);
    });

    it('has the image after pullImage', { timeout }, async () => {
      const img = await rt.imageStatus(image);
      assert.ok(img, 'imageStatus finds the pulled image');
      assert.match(img.id, /^sha256:[0-9a-f]{64}$/);
      const again = await rt.pullImage(image);
      assert.equal(again, img.id, 'pulling a present image returns its id');
      const listed = await rt.listImages();
      assert.ok(listed.some((i) => i.id === img.id));
      assert.equal(await rt.imageStatus('docker.io/library/no-such-image:never'), undefined);
    });

    it('runs, lists, stops and removes a sandbox', { timeout }, async () => {
      const before = Date.now();
      const { id, config } = await newSandbox();
      assert.equal(typeof id, 'string');
      assert.ok(id.length > 0);

      const st = await rt.podSandboxStatus(id);
      assert.equal(st.id, id);
      assert.equal(st.state, 'SANDBOX_READY');
      assert.deepEqual(st.metadata, config.metadata);
      assert.deepEqual(st.labels, config.labels);
      assert.deepEqual(st.annotations, config.annotations);
      assert.equal(st.hostname, config.hostname);
      assert.equal(st.logDirectory, config.logDirectory);
      assert.ok(st.createdAt >= before - 1000 && st.createdAt <= Date.now() + 1000, 'createdAt is now (ms)');
      if (network === 'pod') {
        assert.ok(st.network, 'a pod-network sandbox reports its network');
        assert.match(st.network.ip, /^\d+\.\d+\.\d+\.\d+$|:/);
      }

      assert.ok((await rt.listPodSandbox()).some((s) => s.id === id));
      assert.deepEqual(
        (await rt.listPodSandbox({ id })).map((s) => s.id),
        [id],
      );
      assert.deepEqual(
        (await rt.listPodSandbox({ labelSelector: { n: config.labels.n! } })).map((s) => s.id),
        [id],
      );
      assert.deepEqual(await rt.listPodSandbox({ labelSelector: { n: 'no-such' } }), []);
      assert.ok((await rt.listPodSandbox({ state: 'SANDBOX_READY' })).some((s) => s.id === id));

      await rt.stopPodSandbox(id);
      assert.equal((await rt.podSandboxStatus(id)).state, 'SANDBOX_NOTREADY');
      await rt.stopPodSandbox(id); // idempotent
      assert.ok(!(await rt.listPodSandbox({ state: 'SANDBOX_READY' })).some((s) => s.id === id));
      assert.ok((await rt.listPodSandbox({ state: 'SANDBOX_NOTREADY' })).some((s) => s.id === id));

      await rt.removePodSandbox(id);
      await rt.removePodSandbox(id); // idempotent
      made.delete(id);
      assert.ok(!(await rt.listPodSandbox()).some((s) => s.id === id));
      await assert.rejects(rt.podSandboxStatus(id), (e) => isRuntimeError(e, 'NotFound'));
    });

    it('refuses a second sandbox with the same metadata, accepts the next attempt', { timeout }, async () => {
      const config = sandboxConfig();
      const { id } = await newSandbox(config);
      await assert.rejects(rt.runPodSandbox(config), (e) => isRuntimeError(e, 'AlreadyExists'));
      const next = { ...config, metadata: { ...config.metadata, attempt: 1 } };
      const { id: id2 } = await newSandbox(next);
      assert.notEqual(id2, id);
      await rt.removePodSandbox(id);
      await rt.removePodSandbox(id2);
      made.delete(id);
      made.delete(id2);
    });

    it('answers NotFound for unknown ids and idempotent stop/remove', { timeout }, async () => {
      await assert.rejects(rt.podSandboxStatus('no-such-sandbox'), (e) => isRuntimeError(e, 'NotFound'));
      await assert.rejects(rt.containerStatus('no-such-container'), (e) => isRuntimeError(e, 'NotFound'));
      await rt.stopPodSandbox('no-such-sandbox');
      await rt.removePodSandbox('no-such-sandbox');
      await rt.removeContainer('no-such-container');
      await assert.rejects(rt.startContainer('no-such-container'), (e) => isRuntimeError(e, 'NotFound'));
      await assert.rejects(
        rt.createContainer('no-such-sandbox', containerConfig('x', sleepCommand), sandboxConfig()),
        (e) => isRuntimeError(e, 'NotFound'),
      );
      assert.deepEqual(await rt.listContainers({ podSandboxId: 'no-such-sandbox' }), []);
    });

    it('creates, starts, stops and removes a container', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      const before = Date.now();
      const cid = await rt.createContainer(sid, containerConfig('main', sleepCommand), config);
      let st = await rt.containerStatus(cid);
      assert.equal(st.id, cid);
      assert.equal(st.podSandboxId, sid);
      assert.equal(st.state, 'CONTAINER_CREATED');
      assert.deepEqual(st.metadata, { name: 'main', attempt: 0 });
      assert.equal(st.image, image);
      assert.ok(st.imageRef.length > 0);
      assert.deepEqual(st.labels, { container: 'main' });
      assert.equal(st.startedAt, 0);
      assert.equal(st.finishedAt, 0);
      assert.equal(st.logPath, join(config.logDirectory, 'main/0.log'));
      assert.ok(st.createdAt >= before - 1000);

      assert.deepEqual(
        (await rt.listContainers({ podSandboxId: sid })).map((c) => [c.id, c.state]),
        [[cid, 'CONTAINER_CREATED']],
      );

      await rt.startContainer(cid);
      st = await rt.containerStatus(cid);
      assert.equal(st.state, 'CONTAINER_RUNNING');
      assert.ok(st.startedAt >= before - 1000 && st.startedAt <= Date.now() + 1000);
      await assert.rejects(rt.startContainer(cid), (e) => isRuntimeError(e, 'FailedPrecondition'));
      assert.deepEqual(
        (await rt.listContainers({ state: 'CONTAINER_RUNNING', podSandboxId: sid })).map((c) => c.id),
        [cid],
      );
      assert.deepEqual(
        (await rt.listContainers({ labelSelector: { container: 'main' }, podSandboxId: sid })).map((c) => c.id),
        [cid],
      );
      assert.deepEqual((await rt.listContainers({ id: cid })).map((c) => c.id), [cid]);

      await rt.stopContainer(cid, 0);
      st = await rt.containerStatus(cid);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.ok(st.finishedAt >= st.startedAt, 'finishedAt after startedAt');
      assert.notEqual(st.exitCode, 0, 'a killed container exits non-zero');
      await rt.stopContainer(cid, 0); // idempotent
      await assert.rejects(rt.startContainer(cid), (e) => isRuntimeError(e, 'FailedPrecondition'));

      await rt.removeContainer(cid);
      await rt.removeContainer(cid); // idempotent
      await assert.rejects(rt.containerStatus(cid), (e) => isRuntimeError(e, 'NotFound'));
      assert.deepEqual(await rt.listContainers({ podSandboxId: sid }), []);
    });

    it('stops a container gracefully within the timeout', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      const cid = await rt.createContainer(sid, containerConfig('graceful', trapTermCommand ?? sleepCommand), config);
      await rt.startContainer(cid);
      // Give the process time to install its signal handler (a signal before that would be ignored by a
      // pid-namespace init and the stop would end in SIGKILL after the timeout).
      await new Promise((r) => setTimeout(r, 500));
      await rt.stopContainer(cid, 20);
      const st = await rt.containerStatus(cid);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.ok(st.finishedAt > 0);
      if (trapTermCommand) assert.equal(st.exitCode, 0, 'the stop signal reached the process, which exited by itself');
    });

    it('reports exit codes and reasons of containers that exit by themselves', {
      timeout,
      skip: exitCommand ? false : 'no exitCommand for this backend',
    }, async () => {
      const { id: sid, config } = await newSandbox();
      const ok = await rt.createContainer(sid, containerConfig('ok', exitCommand!(0)), config);
      const bad = await rt.createContainer(sid, containerConfig('bad', exitCommand!(3)), config);
      await Promise.all([rt.startContainer(ok), rt.startContainer(bad)]);
      await Promise.all([waitExited(ok), waitExited(bad)]);
      const [a, b] = await Promise.all([rt.containerStatus(ok), rt.containerStatus(bad)]);
      assert.equal(a.exitCode, 0);
      assert.equal(a.reason, 'Completed');
      assert.equal(b.exitCode, 3);
      assert.equal(b.reason, 'Error');
      assert.ok(b.finishedAt >= b.startedAt && b.startedAt > 0);
      assert.ok((await rt.listContainers({ state: 'CONTAINER_EXITED', podSandboxId: sid })).length === 2);
    });

    it('runs execSync in a running container and refuses it in a stopped one', {
      timeout,
      skip: execCommand ? false : 'no execCommand for this backend',
    }, async () => {
      const { id: sid, config } = await newSandbox();
      const cid = await rt.createContainer(sid, containerConfig('exec', sleepCommand), config);
      await rt.startContainer(cid);
      const r = await rt.execSync(cid, execCommand!('hello', 0), 10_000);
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout.toString().trim(), 'hello');
      const r2 = await rt.execSync(cid, execCommand!('bye', 7), 10_000);
      assert.equal(r2.exitCode, 7);
      assert.equal(r2.stdout.toString().trim(), 'bye');
      await rt.stopContainer(cid, 0);
      await assert.rejects(rt.execSync(cid, execCommand!('x', 0), 10_000), (e) =>
        isRuntimeError(e, 'FailedPrecondition'),
      );
    });

    it('removes a sandbox with running containers, and stopPodSandbox stops them', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      const a = await rt.createContainer(sid, containerConfig('a', sleepCommand), config);
      const b = await rt.createContainer(sid, containerConfig('b', sleepCommand), config);
      await Promise.all([rt.startContainer(a), rt.startContainer(b)]);
      await rt.stopPodSandbox(sid);
      for (const c of await rt.listContainers({ podSandboxId: sid })) assert.equal(c.state, 'CONTAINER_EXITED');
      await assert.rejects(
        rt.createContainer(sid, containerConfig('late', sleepCommand), config),
        (e) => isRuntimeError(e, 'FailedPrecondition') || isRuntimeError(e, 'NotFound'),
        'no new containers in a stopped sandbox',
      );
      await rt.removePodSandbox(sid);
      made.delete(sid);
      await assert.rejects(rt.containerStatus(a), (e) => isRuntimeError(e, 'NotFound'));
      await assert.rejects(rt.containerStatus(b), (e) => isRuntimeError(e, 'NotFound'));
      assert.deepEqual(await rt.listContainers({ podSandboxId: sid }), []);
    });

    it('removes a sandbox whose containers still run, without a stop first', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      const a = await rt.createContainer(sid, containerConfig('a', sleepCommand), config);
      await rt.startContainer(a);
      await rt.removePodSandbox(sid);
      made.delete(sid);
      await assert.rejects(rt.containerStatus(a), (e) => isRuntimeError(e, 'NotFound'));
      assert.ok(!(await rt.listPodSandbox()).some((s) => s.id === sid));
    });

    it('refuses a container with a missing image', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      await assert.rejects(
        rt.createContainer(sid, { ...containerConfig('noimg', sleepCommand), image: 'docker.io/library/nope:0' }, config),
        (e) => isRuntimeError(e, 'NotFound'),
      );
      assert.deepEqual(await rt.listContainers({ podSandboxId: sid }), []);
    });

    it('runs sandboxes and containers concurrently', { timeout }, async () => {
      const sandboxes = await Promise.all([0, 1, 2].map(() => newSandbox()));
      const ids = new Set(sandboxes.map((s) => s.id));
      assert.equal(ids.size, 3);
      const containers = await Promise.all(
        sandboxes.map(async ({ id, config }) => {
          const cid = await rt.createContainer(id, containerConfig('c', sleepCommand), config);
          await rt.startContainer(cid);
          return cid;
        }),
      );
      assert.equal(new Set(containers).size, 3);
      for (const cid of containers) assert.equal((await rt.containerStatus(cid)).state, 'CONTAINER_RUNNING');
      if (network === 'pod') {
        const ips = await Promise.all(sandboxes.map(async (s) => (await rt.podSandboxStatus(s.id)).network!.ip));
        assert.equal(new Set(ips).size, 3, 'each sandbox has its own IP');
      }
      await Promise.all(sandboxes.map((s) => rt.removePodSandbox(s.id)));
      for (const s of sandboxes) made.delete(s.id);
      for (const cid of containers) await assert.rejects(rt.containerStatus(cid), (e) => isRuntimeError(e, 'NotFound'));
    });

    it('keeps the metadata of a new container attempt apart', { timeout }, async () => {
      const { id: sid, config } = await newSandbox();
      const c0 = await rt.createContainer(sid, containerConfig('r', sleepCommand), config);
      await rt.startContainer(c0);
      await rt.stopContainer(c0, 0);
      const c1 = await rt.createContainer(
        sid,
        { ...containerConfig('r', sleepCommand), metadata: { name: 'r', attempt: 1 }, logPath: 'r/1.log' },
        config,
      );
      assert.notEqual(c1, c0);
      const s1 = await rt.containerStatus(c1);
      assert.deepEqual(s1.metadata, { name: 'r', attempt: 1 });
      assert.equal(s1.logPath, join(config.logDirectory, 'r/1.log'));
      const listed = await rt.listContainers({ podSandboxId: sid });
      assert.deepEqual(listed.map((c) => c.id).sort(), [c0, c1].sort());
    });
  });
}
