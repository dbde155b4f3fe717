/**
 * FakeRuntime: an in-memory ContainerRuntime for unit tests and scale runs, after CRI's FakeRuntimeService.
 * Nothing runs: containers are records whose life is scripted (exit after N ms with code C, OOM, slow start,
 * slow or stubborn stop) and whose state moves forward lazily against an injected clock, so a test drives
 * time with FakeClock.step() and every query sees the state "now". It records every call (`calls`) and takes
 * one-shot injected errors per method (`injectError`).
 *
 * Assumption: scripted exits are evaluated whenever the runtime is asked anything (list, status, exec), so an
 * exit is observed at the first query after its time, which is how a relisting PLEG sees real exits too.
 */
import { PassThrough, Duplex } from 'node:stream';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerState,
  type ContainerStatus,
  type ExecSyncResult,
  type Image,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type PullProgress,
  type AuthConfig,
  type RuntimeCondition,
  type StreamOptions,
  type StreamSession,
  type Labels,
  noRuntimeForHandler,
  type NetworkInterfaceStats,
  type WritableLayerUsage,
} from '../runtime.ts';

/** The subset of machinery's Clock the fake needs (runtime/fake imports only runtime.ts). */
export interface FakeRuntimeClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemClock: FakeRuntimeClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    }),
};

/** How a scripted container lives once started. Every field is optional: the default runs until stopped. */
export interface ContainerScript {
  /** The process exits this long after start (undefined: runs until stopped). */
  exitAfterMs?: number;
  /** Exit code of that exit (default 0). */
  exitCode?: number;
  /** The exit is an OOM kill: reason OOMKilled, exit code 137. */
  oom?: boolean;
  /** startContainer takes this long (clock time). */
  startDelayMs?: number;
  /** startContainer fails with this message (code Internal); the container stays CONTAINER_CREATED. */
  startError?: string;
  /** After the stop signal the process takes this long to exit (default 0); beyond the timeout it is SIGKILLed. */
  stopDelayMs?: number;
  /** Exit code on a graceful stop (default 143, killed by SIGTERM). */
  stopExitCode?: number;
  /** Lines written to the container's log file (CRI format) when it starts. */
  logs?: string[];
  /** Message reported on exit (what a runtime reads from the termination-message file). */
  message?: string;
}

export interface ContainerScriptMatch {
  /** Container name (metadata.name) to match. */
  name?: string;
  /** Image as given in the config (normalised) to match. */
  image?: string;
}

export type ExecScript = (ctx: {
  containerName: string;
  cmd: string[];
}) => Partial<ExecSyncResult> | undefined | Promise<Partial<ExecSyncResult> | undefined>;

export interface FakeRuntimeConfig {
  clock?: FakeRuntimeClock;
  runtimeName?: string;
  /** Any image reference can be pulled unless told otherwise (default true). */
  pullableByDefault?: boolean;
  /** First three octets of pod IPs (default 10.42.0). */
  podSubnet?: string;
}

export interface RecordedCall {
  method: keyof ContainerRuntime;
  args: unknown[];
}

interface SandboxRecord {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface ContainerRecord {
  status: ContainerStatus;
  config: ContainerConfig;
  script: ContainerScript;
  /** When a scripted exit happens (ms since epoch), while running. */
  exitAt?: number;
  exitWaiters: (() => void)[];
}

const NAME_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Checks a reference as distribution's ParseNormalizedNamed does (the real image service's reference.ts),
 * throwing 'InvalidArgument' with its message: the kubelet turns that into InvalidImageName.
 */
function validateImageRef(ref: string): void {
  const bad = (reason: string) => new RuntimeError('InvalidArgument', `couldn't parse image name ${JSON.stringify(ref)}: ${reason}`);
  if (ref === '' || /\s/.test(ref)) throw bad('invalid reference format');
  let name = ref;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    if (!TAG.test(name.slice(colon + 1))) throw bad('invalid reference format');
    name = name.slice(0, colon);
  }
  const parts = name.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasDomain ? parts.slice(1) : parts;
  if (path.join('/') !== path.join('/').toLowerCase())
    throw bad('invalid reference format: repository name must be lowercase');
  if (path.length === 0 || !path.every((c) => NAME_COMPONENT.test(c))) throw bad('invalid reference format');
}

/** Normalises an image reference as a registry client does: default domain, library/ and the latest tag. */
export function normalizeImageRef(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  let name = ref;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) [name, digest] = [name.slice(0, at), name.slice(at)];
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = `docker.io/${slash >= 0 ? name : `library/${name}`}`;
  const lastSlash = name.lastIndexOf('/');
  if (!digest && !name.slice(lastSlash).includes(':')) name += ':latest';
  return name + digest;
}

function fakeDigest(text: string): string {
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 'sha256:' + h.toString(16).padStart(8, '0').repeat(8);
}

/**
 * The little shell the fake understands, so commands written for a real runtime mean the same here:
 * `sh -c 'echo TEXT; exit N'` prints TEXT and exits N soon after start; anything else runs until stopped.
 */
function interpretShell(argv: string[]): ContainerScript {
  const i = argv.indexOf('-c');
  if (i < 0 || !/(^|\/)sh$/.test(argv[i - 1] ?? '')) return {};
  const script: ContainerScript = {};
  for (const part of (argv[i + 1] ?? '').split(/;|&&/).map((p) => p.trim())) {
    // `trap "exit N" TERM`: the process handles SIGTERM by exiting N.
    const trap = /^trap\s+(['"])exit\s+(\d+)\1\s+(?:SIG)?TERM$/.exec(part);
    if (trap) script.stopExitCode = Number(trap[2]);
    const echo = /^echo\s+(.*)$/.exec(part);
    if (echo) (script.logs ??= []).push(echo[1].replace(/^(['"])(.*)\1$/, '$2'));
    const exit = /^exit\s+(\d+)$/.exec(part);
    if (exit) {
      script.exitCode = Number(exit[1]);
      script.exitAfterMs = 10;
      break;
    }
  }
  return script;
}

function matches(labels: Labels, selector?: Labels): boolean {
  return !selector || Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class FakeRuntime implements ContainerRuntime {
  readonly calls: RecordedCall[] = [];
  readonly runtimeName: string;
  #clock: FakeRuntimeClock;
  #pullableByDefault: boolean;
  #subnet: string;
  #nextIp = 2;
  #nextId = 1;
  #sandboxes = new Map<string, SandboxRecord>();
  #containers = new Map<string, ContainerRecord>();
  #images = new Map<string, Image>();
  #pullErrors = new Map<string, string>();
  #errors = new Map<string, Error[]>();
  #scripts: { match: ContainerScriptMatch; script: ContainerScript }[] = [];
  #execScripts: ExecScript[] = [];
  #networkStats = new Map<string, NetworkInterfaceStats[]>();
  #writableLayers = new Map<string, number>();
  #conditions: RuntimeCondition[] = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    { type: 'NetworkReady', status: true, reason: '', message: '' },
  ];

  constructor(config: FakeRuntimeConfig = {}) {
    this.#clock = config.clock ?? systemClock;
    this.runtimeName = config.runtimeName ?? 'fake';
    this.#pullableByDefault = config.pullableByDefault ?? true;
    this.#subnet = config.podSubnet ?? '10.42.0';
  }

  // ------------------------------------------------------------ scripting

  /** The next call of `method` throws `err` (queued: several injections fail several calls). */
  injectError(method: keyof ContainerRuntime, err: Error): void {
    const list = this.#errors.get(method) ?? [];
    list.push(err);
    this.#errors.set(method, list);
  }

  /** Containers matching `match` created from now on live by `script` (later scripts win). */
  scriptContainer(match: ContainerScriptMatch, script: ContainerScript): void {
    this.#scripts.unshift({ match: { ...match, image: match.image && normalizeImageRef(match.image) }, script });
  }

  /** execSync/exec results: the first script returning a result wins; otherwise exit 0 with no output. */
  scriptExec(script: ExecScript): void {
    this.#execScripts.unshift(script);
  }

  /**
   * Makes an image present, as if imported (`pulled: false`, the default: no repo digest, as a docker archive
   * has none) or pulled from a registry (a repo digest `<repository>@sha256:…`, as a pull records). Returns its id.
   */
  addImage(ref: string, config: Image['config'] = {}, options: { pulled?: boolean; size?: number } = {}): string {
    const name = normalizeImageRef(ref);
    const existing = this.#images.get(name);
    if (existing) return existing.id;
    const id = fakeDigest(name);
    const repository = name.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
    const repoDigests = options.pulled ? [`${repository}@${fakeDigest(`manifest of ${name}`)}`] : [];
    this.#images.set(name, { id, repoTags: name.includes('@') ? [] : [name], repoDigests, size: options.size ?? 1024, config });
    return id;
  }

  /** Pulls of `ref` fail with `message` (undefined: pulls succeed again). */
  failPull(ref: string, message: string | undefined): void {
    if (message === undefined) this.#pullErrors.delete(normalizeImageRef(ref));
    else this.#pullErrors.set(normalizeImageRef(ref), message);
  }

  setConditions(conditions: RuntimeCondition[]): void {
    this.#conditions = conditions;
  }

  /** Names of the recorded calls, e.g. ['runPodSandbox', 'pullImage', 'createContainer', ...]. */
  callNames(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Ends a running container now, as if its process exited (a crash the test decides on). */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    const rec = this.#containers.get(id);
    if (!rec || rec.status.state !== 'CONTAINER_RUNNING')
      throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    this.#exit(rec, exitCode, reason);
  }

  // ------------------------------------------------------------ runtime service

  async version() {
    this.#record('version', []);
    return { runtimeName: this.runtimeName, runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeCondition[]> {
    this.#record('status', []);
    return this.#conditions.map((c) => ({ ...c }));
  }

  async runPodSandbox(config: PodSandboxConfig, signal?: AbortSignal): Promise<string> {
    this.#record('runPodSandbox', [config]);
    signal?.throwIfAborted();
    // The fake node serves one handler, named as the runtime.
    if (config.runtimeHandler && config.runtimeHandler !== this.runtimeName) throw noRuntimeForHandler(config.runtimeHandler);
    const m = config.metadata;
    if (!m?.name || !m.uid || !m.namespace)
      throw new RuntimeError('InvalidArgument', 'sandbox metadata needs name, uid and namespace');
    for (const s of this.#sandboxes.values()) {
      const o = s.status.metadata;
      if (o.uid === m.uid && o.attempt === m.attempt && o.name === m.name && o.namespace === m.namespace)
        throw new RuntimeError('AlreadyExists', `sandbox ${m.namespace}/${m.name} attempt ${m.attempt} exists`);
    }
    const id = this.#newId();
    const hostNetwork = config.linux.namespaceOptions.network === 'node';
    const ip = hostNetwork ? '' : this.#allocateIp();
    this.#sandboxes.set(id, {
      config: structuredClone(config),
      status: {
        id,
        metadata: { ...m },
        state: 'SANDBOX_READY',
        createdAt: this.#clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        network: { ip, additionalIps: [] },
        linux: { namespaceOptions: { ...config.linux.namespaceOptions } },
        hostname: config.hostname,
        logDirectory: config.logDirectory,
      },
    });
    return id;
  }

  /**
   * The next free address of the /24 (2–254), going round: a stopped sandbox gives its address back, as CNI's
   * host-local does on teardown, so a node can run more than 253 pods over its life.
   */
  #allocateIp(): string {
    const used = new Set([...this.#sandboxes.values()].map((s) => s.status.network?.ip).filter(Boolean));
    for (let i = 0; i < 253; i++) {
      const n = ((this.#nextIp - 2 + i) % 253) + 2;
      const ip = `${this.#subnet}.${n}`;
      if (used.has(ip)) continue;
      this.#nextIp = n + 1;
      return ip;
    }
    throw new RuntimeError('FailedPrecondition', `no free address left in ${this.#subnet}.0/24`);
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.#record('stopPodSandbox', [id]);
    const sb = this.#sandboxes.get(id);
    if (!sb) return;
    this.#advance();
    for (const c of this.#containers.values())
      if (c.status.podSandboxId === id && c.status.state === 'CONTAINER_RUNNING') this.#exit(c, 137, 'Error');
    sb.status.state = 'SANDBOX_NOTREADY';
    if (sb.status.network) sb.status.network.ip = '';
  }

  async removePodSandbox(id: string): Promise<void> {
    this.#record('removePodSandbox', [id]);
    if (!this.#sandboxes.has(id)) return;
    this.#advance();
    for (const [cid, c] of this.#containers) {
      if (c.status.podSandboxId !== id) continue;
      if (c.status.state === 'CONTAINER_RUNNING') this.#exit(c, 137, 'Error');
      this.#containers.delete(cid);
    }
    this.#sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    this.#record('podSandboxStatus', [id]);
    const sb = this.#sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${id} not found`);
    return structuredClone(sb.status);
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    this.#record('listPodSandbox', [filter]);
    const out: PodSandbox[] = [];
    for (const { status: s } of this.#sandboxes.values()) {
      if (filter.id && s.id !== filter.id) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matches(s.labels, filter.labelSelector)) continue;
      const { id, metadata, state, createdAt, labels, annotations } = structuredClone(s);
      out.push({ id, metadata, state, createdAt, labels, annotations });
    }
    return out;
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    this.#record('createContainer', [podSandboxId, config, sandboxConfig]);
    const sb = this.#sandboxes.get(podSandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${podSandboxId} not found`);
    if (sb.status.state !== 'SANDBOX_READY')
      throw new RuntimeError('FailedPrecondition', `sandbox ${podSandboxId} is not ready`);
    if (!config.metadata?.name) throw new RuntimeError('InvalidArgument', 'container metadata needs a name');
    const image = this.#findImage(config.image);
    if (!image) throw new RuntimeError('NotFound', `image ${config.image} not found`);
    for (const c of this.#containers.values()) {
      if (
        c.status.podSandboxId === podSandboxId &&
        c.status.metadata.name === config.metadata.name &&
        c.status.metadata.attempt === config.metadata.attempt
      )
        throw new RuntimeError(
          'AlreadyExists',
          `container ${config.metadata.name} attempt ${config.metadata.attempt} exists in sandbox ${podSandboxId}`,
        );
    }
    const id = this.#newId();
    const normalized = config.image.startsWith('sha256:')
      ? (image.repoTags[0] ?? config.image)
      : normalizeImageRef(config.image);
    const script =
      this.#scripts.find(
        (s) =>
          (!s.match.name || s.match.name === config.metadata.name) && (!s.match.image || s.match.image === normalized),
      )?.script ?? interpretShell([...config.command, ...config.args]);
    this.#containers.set(id, {
      config: structuredClone(config),
      script,
      exitWaiters: [],
      status: {
        id,
        podSandboxId,
        metadata: { ...config.metadata },
        image: config.image,
        imageRef: image.id,
        state: 'CONTAINER_CREATED',
        createdAt: this.#clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        reason: '',
        message: '',
        mounts: config.mounts.map((m) => ({ ...m })),
        logPath: join(sb.config.logDirectory, config.logPath),
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.#record('startContainer', [id]);
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (rec.status.state !== 'CONTAINER_CREATED')
      throw new RuntimeError('FailedPrecondition', `container ${id} is not created (${rec.status.state})`);
    const { script } = rec;
    if (script.startDelayMs) await this.#clock.sleep(script.startDelayMs);
    if (script.startError) throw new RuntimeError('Internal', script.startError);
    const now = this.#clock.now();
    rec.status.state = 'CONTAINER_RUNNING';
    rec.status.startedAt = now;
    if (script.exitAfterMs !== undefined) rec.exitAt = now + script.exitAfterMs;
    if (script.logs?.length) this.#writeLogs(rec, script.logs);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.#record('stopContainer', [id, timeoutSeconds]);
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    this.#advance();
    if (rec.status.state === 'CONTAINER_CREATED') {
      rec.status.state = 'CONTAINER_EXITED';
      rec.status.finishedAt = this.#clock.now();
      return;
    }
    if (rec.status.state !== 'CONTAINER_RUNNING') return;
    const delay = rec.script.stopDelayMs ?? 0;
    const timeoutMs = Math.max(0, timeoutSeconds) * 1000;
    const graceful = delay <= timeoutMs;
    const wait = graceful ? delay : timeoutMs;
    if (wait > 0) {
      // The process may exit by itself (scripted) while we wait; stop waiting then.
      const exited = new Promise<void>((resolve) => rec.exitWaiters.push(resolve));
      const ac = new AbortController();
      await Promise.race([exited, this.#clock.sleep(wait, ac.signal).catch(() => {})]);
      ac.abort();
      this.#advance();
    }
    if (rec.status.state === 'CONTAINER_RUNNING') this.#exit(rec, graceful ? (rec.script.stopExitCode ?? 143) : 137);
  }

  async removeContainer(id: string): Promise<void> {
    this.#record('removeContainer', [id]);
    const rec = this.#containers.get(id);
    if (!rec) return;
    if (rec.status.state === 'CONTAINER_RUNNING') this.#exit(rec, 137);
    this.#containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    this.#record('containerStatus', [id]);
    this.#advance();
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    return structuredClone(rec.status);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    this.#record('listContainers', [filter]);
    this.#advance();
    const out: Container[] = [];
    for (const { status: s } of this.#containers.values()) {
      if (filter.id && s.id !== filter.id) continue;
      if (filter.podSandboxId && s.podSandboxId !== filter.podSandboxId) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matches(s.labels, filter.labelSelector)) continue;
      const { id, podSandboxId, metadata, image, imageRef, state, createdAt, labels, annotations } = structuredClone(s);
      out.push({ id, podSandboxId, metadata, image, imageRef, state, createdAt, labels, annotations });
    }
    return out;
  }

  async execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    this.#record('execSync', [id, cmd, timeoutMs]);
    const rec = this.#running(id);
    return this.#execResult(rec, cmd);
  }

  async exec(id: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    this.#record('exec', [id, cmd, options]);
    const rec = this.#running(id);
    const result = await this.#execResult(rec, cmd);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(result.stdout);
    stderr.end(result.stderr);
    const stdin = options.stdin ? new PassThrough() : undefined;
    stdin?.resume();
    return {
      stdin,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? stderr : undefined,
      resize() {},
      exit: Promise.resolve({ exitCode: result.exitCode }),
      close() {},
    };
  }

  async attach(id: string, options: StreamOptions): Promise<StreamSession> {
    this.#record('attach', [id, options]);
    const rec = this.#running(id);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let done!: (v: { exitCode: number }) => void;
    const exit = new Promise<{ exitCode: number }>((r) => (done = r));
    rec.exitWaiters.push(() => {
      stdout.end();
      stderr.end();
      done({ exitCode: rec.status.exitCode });
    });
    return {
      stdin: options.stdin ? new PassThrough() : undefined,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? stderr : undefined,
      resize() {},
      exit,
      close() {
        stdout.end();
        stderr.end();
        done({ exitCode: 0 });
      },
    };
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    this.#record('portForward', [podSandboxId, port]);
    const sb = this.#sandboxes.get(podSandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${podSandboxId} not found`);
    if (sb.status.state !== 'SANDBOX_READY')
      throw new RuntimeError('FailedPrecondition', `sandbox ${podSandboxId} is not ready`);
    // An echo server stands in for whatever listens on the port.
    return new PassThrough();
  }

  /** Sets what podSandboxNetworkStats answers for a sandbox (default: eth0 with zero counters). */
  setSandboxNetworkStats(id: string, interfaces: NetworkInterfaceStats[]): void {
    this.#networkStats.set(id, interfaces);
  }

  /** Sets the bytes containerWritableLayer answers for a container (default 0). */
  setWritableLayerBytes(id: string, bytes: number): void {
    this.#writableLayers.set(id, bytes);
  }

  async podSandboxNetworkStats(id: string): Promise<NetworkInterfaceStats[] | undefined> {
    const sb = this.#sandboxes.get(id);
    if (!sb || sb.status.state !== 'SANDBOX_READY' || sb.config.linux.namespaceOptions.network === 'node') return undefined;
    return this.#networkStats.get(id) ?? [{ name: 'eth0', rxBytes: 0, rxErrors: 0, txBytes: 0, txErrors: 0 }];
  }

  async containerWritableLayer(id: string): Promise<WritableLayerUsage | undefined> {
    if (!this.#containers.has(id)) return undefined;
    return { mountpoint: '/', usedBytes: this.#writableLayers.get(id) ?? 0, inodesUsed: 0 };
  }

  async reopenContainerLog(id: string): Promise<void> {
    this.#record('reopenContainerLog', [id]);
    this.#running(id);
  }

  // ------------------------------------------------------------ image service

  async pullImage(
    ref: string,
    options: { auth?: AuthConfig; signal?: AbortSignal; onProgress?: (p: PullProgress) => void } = {},
  ): Promise<string> {
    this.#record('pullImage', [ref]);
    options.signal?.throwIfAborted();
    if (!ref.startsWith('sha256:')) validateImageRef(ref);
    const name = normalizeImageRef(ref);
    const failure = this.#pullErrors.get(name);
    if (failure) throw new RuntimeError('ImagePullFailed', failure);
    const present = this.#findImage(ref);
    if (present) return present.id;
    if (!this.#pullableByDefault)
      throw new RuntimeError('ImagePullFailed', `failed to resolve reference "${name}": not found`);
    options.onProgress?.({ downloaded: 1024, total: 1024 });
    return this.addImage(ref, {}, { pulled: true });
  }

  async imageStatus(ref: string): Promise<Image | undefined> {
    this.#record('imageStatus', [ref]);
    if (!ref.startsWith('sha256:')) validateImageRef(ref);
    const img = this.#findImage(ref);
    return img && structuredClone(img);
  }

  async listImages(): Promise<Image[]> {
    this.#record('listImages', []);
    return [...this.#images.values()].map((i) => structuredClone(i));
  }

  async removeImage(ref: string): Promise<void> {
    this.#record('removeImage', [ref]);
    const img = this.#findImage(ref);
    if (!img) return;
    for (const [k, v] of this.#images) if (v.id === img.id) this.#images.delete(k);
  }

  async imageFsInfo() {
    this.#record('imageFsInfo', []);
    const used = [...this.#images.values()].reduce((n, i) => n + i.size, 0);
    return {
      mountpoint: '/fake/images',
      usedBytes: used,
      capacityBytes: 100 << 30,
      availableBytes: (100 << 30) - used,
    };
  }

  // ------------------------------------------------------------ internals

  #record(method: keyof ContainerRuntime, args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.#errors.get(method);
    const err = queued?.shift();
    if (err) throw err;
  }

  #newId(): string {
    return (this.#nextId++).toString(16).padStart(12, '0') + 'f'.repeat(52);
  }

  #findImage(ref: string): Image | undefined {
    if (ref.startsWith('sha256:')) return [...this.#images.values()].find((i) => i.id === ref);
    return this.#images.get(normalizeImageRef(ref));
  }

  #running(id: string): ContainerRecord {
    this.#advance();
    const rec = this.#containers.get(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (rec.status.state !== 'CONTAINER_RUNNING')
      throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    return rec;
  }

  async #execResult(rec: ContainerRecord, cmd: string[]): Promise<ExecSyncResult> {
    for (const script of this.#execScripts) {
      const r = await script({ containerName: rec.status.metadata.name, cmd });
      if (r)
        return { stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr ?? Buffer.alloc(0), exitCode: r.exitCode ?? 0 };
    }
    const shell = interpretShell(cmd);
    return {
      stdout: Buffer.from(shell.logs?.map((l) => l + '\n').join('') ?? ''),
      stderr: Buffer.alloc(0),
      exitCode: shell.exitCode ?? 0,
    };
  }

  /** Applies every scripted exit whose time has come. */
  #advance(): void {
    const now = this.#clock.now();
    for (const rec of this.#containers.values()) {
      if (rec.status.state === 'CONTAINER_RUNNING' && rec.exitAt !== undefined && rec.exitAt <= now) {
        const s = rec.script;
        this.#exit(rec, s.oom ? 137 : (s.exitCode ?? 0), s.oom ? 'OOMKilled' : undefined, rec.exitAt);
      }
    }
  }

  #exit(rec: ContainerRecord, exitCode: number, reason?: string, at = this.#clock.now()): void {
    rec.status.state = 'CONTAINER_EXITED' satisfies ContainerState;
    rec.status.exitCode = exitCode;
    rec.status.finishedAt = at;
    rec.status.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    rec.status.message = rec.script.message ?? '';
    rec.exitAt = undefined;
    for (const w of rec.exitWaiters.splice(0)) w();
  }

  #writeLogs(rec: ContainerRecord, lines: string[]): void {
    try {
      mkdirSync(dirname(rec.status.logPath), { recursive: true });
      const ts = new Date(this.#clock.now()).toISOString();
      appendFileSync(rec.status.logPath, lines.map((l) => `${ts} stdout F ${l}\n`).join(''));
    } catch {
      // A log directory the fake cannot write (tests that do not care about logs) just means no log file.
    }
  }
}
