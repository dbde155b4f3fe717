/**
 * Shared set-up for the oci integration tests and the runtime benchmark (their prerequisites are
 * missingRealContainers() in test/prerequisites.ts): a data dir with the busybox test image imported, a bridge
 * name and pod subnet unique to this process (parallel test files don't collide), and a cleanup that removes
 * the bridge and the data dir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poll } from '../../src/machinery/testing/poll.ts';
import { OciImageService } from '../../src/runtime/images/index.ts';
import { OciRuntime, unmountUnder } from '../../src/runtime/oci/index.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/runtime.ts';
import { BUSYBOX_IMAGE, ensureBusyboxArchive } from '../fixtures/busybox.ts';

export { BUSYBOX_IMAGE };

/** The first truthy value `get` gives, asked every 25 ms; after `ms` the test fails naming `what` (the shared poll). */
export async function pollUntil<T>(get: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  return poll(get, what, { intervalMs: 25, timeoutMs: ms });
}

export interface OciTestEnv {
  runtime: OciRuntime;
  images: OciImageService;
  root: string;
  bridge: string;
  podCidr: string;
  gateway: string;
  logDir: string;
  newRuntime(): OciRuntime;
  cleanup(): Promise<void>;
}

/**
 * A runtime over a fresh data dir, with a bridge and a /24 from 10.200-250.x chosen by pid. `runtime` picks
 * the OCI runtime binary (default: KUBELING_OCI_RUNTIME, else crun).
 */
export async function makeOciEnv(label: string, options: { runtime?: 'crun' | 'runc' } = {}): Promise<OciTestEnv> {
  const root = mkdtempSync(join(tmpdir(), `kubeling-oci-${label}-`));
  const n = (process.pid * 7 + label.length * 131 + Math.floor(Math.random() * 1000)) % 250;
  const bridge = `klt${process.pid % 100000}${label.slice(0, 4)}`.slice(0, 15);
  const podCidr = `10.${200 + (n % 50)}.${n}.0/24`;
  const gateway = podCidr.replace(/0\/24$/, '1');
  const images = new OciImageService({ root: join(root, 'images') });
  await images.importArchive(await ensureBusyboxArchive());
  // KUBELING_OCI_RUNTIME=runc runs the same tests on runc; oci-runc.test.ts asks for runc itself.
  const runtimeName = options.runtime ?? process.env.KUBELING_OCI_RUNTIME ?? 'crun';
  const make = () => new OciRuntime({ root: join(root, 'runtime'), runtime: runtimeName, cni: { bridge, podCidr }, images });
  const runtime = make();
  const made: OciRuntime[] = [runtime];
  return {
    runtime,
    images,
    root,
    bridge,
    podCidr,
    gateway,
    logDir: join(root, 'logs'),
    newRuntime() {
      const r = make();
      made.push(r);
      return r;
    },
    async cleanup() {
      // Newest first: a runtime closed earlier (a "restarted kubelet") has handed its pods on.
      for (const r of [...made].reverse()) {
        for (const s of await r.listPodSandbox().catch(() => [])) await r.removePodSandbox(s.id).catch(() => {});
        await r.close();
      }
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      // Parent cgroups the tests' pods used; rmdir refuses while another test file's pods live there.
      spawnSync('sh', ['-c', 'for d in /sys/fs/cgroup/*/kubeling-test /sys/fs/cgroup/kubeling-test /sys/fs/cgroup/*/kubeling /sys/fs/cgroup/kubeling; do [ -d "$d" ] && rmdir "$d"; done; true'], { stdio: 'ignore' });
      unmountUnder(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

let seq = 0;

export function sandboxConfig(env: OciTestEnv, over: Partial<PodSandboxConfig> & { name?: string } = {}): PodSandboxConfig {
  const n = ++seq;
  const name = over.name ?? `pod${n}`;
  const uid = `11111111-2222-4333-8444-${String(process.pid).padStart(6, '0')}${String(n).padStart(6, '0')}`;
  const { name: _ignored, ...rest } = over;
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname: name,
    logDirectory: join(env.logDir, `default_${name}_${uid}`),
    portMappings: [],
    labels: { pod: name },
    annotations: {},
    linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} },
    ...rest,
  };
}

export function containerConfig(name: string, command: string[], over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: BUSYBOX_IMAGE,
    command,
    args: [],
    envs: [],
    mounts: [],
    labels: {},
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { securityContext: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' } } },
    ...over,
  };
}

/** Lines of `ps` on the host that mention `needle` (processes left behind). */
export function hostProcessesMatching(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

export function mountsMatching(needle: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(needle));
}
