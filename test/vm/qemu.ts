/**
 * Runs test files inside a throwaway qemu VM whose kernel mounts a pure cgroup v2 hierarchy with every
 * controller, so the runtime's cgroup v2 code path runs on real containers from a cgroup v1 host.
 *
 * The guest boots the installed Debian kernel (linux-image-amd64) with an initramfs built here
 * (busybox-static, test/vm/guest-init.sh as /init, the virtio/9p modules). It sees the host's whole root
 * filesystem read-only over 9p (the same node, crun, conmon, CNI plugins and repository), with tmpfs for
 * what it writes, and reports through a second, writable 9p share: the TAP output of
 * `node --test --test-reporter=tap FILES` and its exit code. The console log is kept for diagnostics.
 *
 * KVM is used when the host has a hardware KVM module (kvm_intel or kvm_amd); otherwise qemu emulates the
 * CPU (TCG), which is slower but works everywhere. KUBELING_VM_ACCEL=kvm|tcg overrides the choice.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findStaticBusybox } from '../fixtures/busybox.ts';
import { cpioArchive, moduleLoadOrder, type CpioEntry } from './initramfs.ts';

export const QEMU = 'qemu-system-x86_64';
/** What stage 1 needs to reach the host's files (and a fast entropy source for node's crypto). */
const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'virtio_rng'];
/** Built-in or loadable pieces the guest needs, checked in the kernel's config. */
const KERNEL_CONFIG = [
  'CONFIG_CGROUPS',
  'CONFIG_MEMCG',
  'CONFIG_CGROUP_PIDS',
  'CONFIG_CFS_BANDWIDTH',
  'CONFIG_9P_FS',
  'CONFIG_NET_9P_VIRTIO',
  'CONFIG_OVERLAY_FS',
  'CONFIG_VETH',
  'CONFIG_BRIDGE',
];

export interface GuestKernel {
  version: string;
  image: string;
  modulesDir: string;
}

/** The newest installed kernel with its modules and the features the guest needs, or why there is none. */
export function findGuestKernel(): GuestKernel | string {
  let names: string[];
  try {
    names = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    names = [];
  }
  const versions = names
    .map((n) => n.slice('vmlinuz-'.length))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const version of versions) {
    const modulesDir = `/lib/modules/${version}`;
    if (!existsSync(join(modulesDir, 'modules.dep'))) continue;
    let config = '';
    try {
      config = readFileSync(`/boot/config-${version}`, 'utf8');
    } catch {}
    if (KERNEL_CONFIG.every((c) => new RegExp(`^${c}=[ym]$`, 'm').test(config))) {
      return { version, image: `/boot/vmlinuz-${version}`, modulesDir };
    }
  }
  return 'needs a kernel image with its modules in /boot and /lib/modules (Debian linux-image-amd64: scripts/setup-host.sh)';
}

/** kvm when the host has hardware virtualisation that a stock kernel can use, else tcg (emulation). */
export function chooseAccel(): 'kvm' | 'tcg' {
  const forced = process.env.KUBELING_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  // Some hosts offer /dev/kvm through a paravirtual module (e.g. kvm_pvm) that only runs specially built
  // guest kernels; a stock kernel hangs there before its first message. Only trust kvm_intel / kvm_amd.
  const hardware = existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd');
  return hardware && existsSync('/dev/kvm') ? 'kvm' : 'tcg';
}

export interface VmRunOptions {
  /** Test files, relative to `repo`. */
  tests: string[];
  /** The repository the guest runs from (default: this one). */
  repo?: string;
  /** Guest memory in MiB (default 1536). */
  memoryMiB?: number;
  cpus?: number;
  /** Kill the VM after this long (default 15 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface VmRunResult {
  accel: 'kvm' | 'tcg';
  kernel: string;
  /** The tests' exit code in the guest, or undefined when they did not finish. */
  exitCode: number | undefined;
  tap: string;
  stderr: string;
  /** Kernel version and the cgroup mount seen by the guest. */
  info: string;
  /** The guest kernel's log after the tests. */
  dmesg: string;
  /** Set when the guest's init failed before the tests. */
  error: string;
  console: string;
  ms: number;
}

function initramfs(kernel: GuestKernel, env: Record<string, string>): Buffer {
  const modules = moduleLoadOrder(kernel.modulesDir, INITRAMFS_MODULES);
  const entries: CpioEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readFileSync(findStaticBusybox()), mode: 0o755 },
    { type: 'file', path: 'init', content: readFileSync(join(import.meta.dirname, 'guest-init.sh')), mode: 0o755 },
    { type: 'dir', path: 'modules' },
    ...modules.map((m): CpioEntry => ({
      type: 'file',
      path: `modules/${m.replaceAll('/', '_')}`,
      content: readFileSync(join(kernel.modulesDir, m)),
    })),
  ];
  const envFile = Object.entries({ ...env, KVM_MODULES: modules.map((m) => m.replaceAll('/', '_')).join(' ') })
    .map(([k, v]) => `${k}='${v.replaceAll("'", `'\\''`)}'\n`)
    .join('');
  entries.push({ type: 'file', path: 'kubeling-vm.env', content: envFile });
  return cpioArchive(entries);
}

/** Boots the VM, runs `node --test` on `tests` in it and returns what it reported. */
export async function runTestsInCgroupV2Vm(opts: VmRunOptions): Promise<VmRunResult> {
  const kernel = findGuestKernel();
  if (typeof kernel === 'string') throw new Error(kernel);
  const repo = resolve(opts.repo ?? join(import.meta.dirname, '../..'));
  for (const t of opts.tests) {
    if (!/^[\w./-]+$/.test(t) || t.startsWith('/') || t.split('/').includes('..'))
      throw new Error(`test path must be repo-relative without spaces: ${JSON.stringify(t)}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'kubeling-vm-'));
  const out = join(work, 'out');
  try {
    spawnSync('mkdir', ['-p', out]);
    const initrd = join(work, 'initrd.cpio');
    writeFileSync(
      initrd,
      initramfs(kernel, { KVM_NODE: process.execPath, KVM_REPO: repo, KVM_TESTS: opts.tests.join(' ') }),
    );
    const accel = chooseAccel();
    const args = [
      '-machine',
      `q35,accel=${accel}`,
      '-cpu',
      // TCG: a model without AVX (qemu 7.2's AVX emulation is new).
      accel === 'kvm' ? 'host' : 'Westmere',
      '-m',
      String(opts.memoryMiB ?? 1536),
      // One vCPU by default: with two (multi-threaded TCG) node died of SIGTRAP/SIGSEGV inside V8 in about
      // half the runs here; with one, none did.
      '-smp',
      String(opts.cpus ?? 1),
      '-kernel',
      kernel.image,
      '-initrd',
      initrd,
      // cgroup_no_v1=all leaves every controller to the v2 hierarchy; panic=-1 + -no-reboot end qemu if init dies.
      '-append',
      'console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1',
      '-nographic',
      '-nodefaults',
      '-no-reboot',
      '-serial',
      'stdio',
      '-device',
      'virtio-rng-pci',
      '-virtfs',
      'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      '-virtfs',
      `local,path=${out},mount_tag=out,security_model=none`,
    ];
    const started = Date.now();
    const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let consoleLog = '';
    child.stdout.on('data', (d: Buffer) => (consoleLog += d.toString()));
    child.stderr.on('data', (d: Buffer) => (consoleLog += d.toString()));
    const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    await new Promise<void>((res) => child.once('close', () => res()));
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    const read = (f: string) => {
      try {
        return readFileSync(join(out, f), 'utf8');
      } catch {
        return '';
      }
    };
    const exit = read('exit').trim();
    return {
      accel,
      kernel: kernel.version,
      exitCode: exit === '' ? undefined : Number(exit),
      tap: read('tap'),
      stderr: read('stderr'),
      info: read('info'),
      dmesg: read('dmesg'),
      error: read('error'),
      console: consoleLog,
      ms: Date.now() - started,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
