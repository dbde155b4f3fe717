/**
 * What a test needs from the machine, for every tier, in one place. Each `missing...()` function answers with
 * a reason string naming everything that is missing (and how to get it: `bash scripts/setup-host.sh`
 * installs every Debian package named here), or undefined when the tests can run. Files pass the answer to
 * node:test as `{ skip: missing...() }`, so the skip message is the reason.
 *
 * A skip is no pass: under `CI=true` the test runner (scripts/test.ts) fails the run on any skip except
 * the one it lists (CGROUP_V1_HOST, the cgroup v2 suite on a v1 host, which the VM test covers).
 *
 * Binaries are looked up in PATH here, in-process (no shell), so a test that removes one from PATH sees
 * its name in the reason.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findStaticBusybox } from './fixtures/busybox.ts';
import { findGuestKernel, QEMU } from './vm/qemu.ts';

const SETUP = 'bash scripts/setup-host.sh';

/** The Debian package each binary comes from (named in the reasons). */
const PACKAGES: Record<string, string> = {
  crun: 'crun',
  runc: 'runc',
  conmon: 'conmon',
  catatonit: 'catatonit',
  ip: 'iproute2',
  mount: 'mount',
  nsenter: 'util-linux',
  busybox: 'busybox-static',
  tar: 'tar',
  getfattr: 'attr',
  'docker-registry': 'docker-registry',
  tmux: 'tmux',
  chromium: 'chromium',
  skopeo: 'skopeo',
  nft: 'nftables',
  conntrack: 'conntrack',
  [QEMU]: 'qemu-system-x86',
};

/** Where the CNI plugins may live (Debian's containernetworking-plugins, or the upstream tarball). */
export const CNI_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

/** The reason oci-cgroup-v2.test.ts skips on a cgroup v1 host: the one skip CI accepts (scripts/test.ts). */
export const CGROUP_V1_HOST =
  'this host uses cgroup v1; test/integration/cgroup-v2-vm.test.ts runs this file in a cgroup v2 VM';

/** The full path of `bin` in PATH (or in `path`), or undefined. */
export function which(bin: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Joins the problems into one reason, or undefined when there are none. */
function reason(problems: (string | undefined)[]): string | undefined {
  const found = problems.filter((p): p is string => !!p);
  return found.length > 0 ? found.join('; ') : undefined;
}

export function missingLinux(): string | undefined {
  return process.platform === 'linux' ? undefined : `needs Linux (this is ${process.platform})`;
}

export function missingRoot(what = 'namespaces, mounts, cgroups'): string | undefined {
  return process.getuid?.() === 0 ? undefined : `needs root (${what})`;
}

/** The binaries not in PATH, as one reason naming each with its Debian package. */
export function missingBinaries(bins: string[]): string | undefined {
  const absent = bins.filter((b) => !which(b));
  if (absent.length === 0) return undefined;
  const packages = [...new Set(absent.map((b) => PACKAGES[b] ?? b))];
  return `needs ${absent.join(', ')} in PATH (Debian ${packages.join(', ')}: ${SETUP})`;
}

export function missingCniPlugins(): string | undefined {
  const found = CNI_DIRS.some((d) =>
    ['bridge', 'host-local', 'loopback', 'portmap'].every((p) => existsSync(join(d, p))),
  );
  return found
    ? undefined
    : `needs the CNI plugins bridge, host-local, loopback, portmap in ${CNI_DIRS.join(' or ')} (Debian containernetworking-plugins: ${SETUP})`;
}

/** crun refuses to run on a hybrid cgroup host whose hugetlb controller is not mounted. */
export function missingHugetlbCgroup(): string | undefined {
  const hybrid = existsSync('/sys/fs/cgroup/unified') && existsSync('/sys/fs/cgroup/memory');
  if (!hybrid || existsSync('/sys/fs/cgroup/hugetlb/cgroup.procs')) return undefined;
  return `crun needs the hugetlb cgroup mounted on this hybrid cgroup host (${SETUP} mounts it)`;
}

/** The static busybox the test images are built from (test/fixtures/busybox.ts). */
export function missingTestImages(): string | undefined {
  try {
    findStaticBusybox();
    return undefined;
  } catch (err) {
    return `cannot build the test images: ${(err as Error).message}`;
  }
}

/** The OCI runtime the tests use: crun, or runc with KUBELING_OCI_RUNTIME=runc. */
export function ociRuntimeName(): string {
  return process.env.KUBELING_OCI_RUNTIME ?? 'crun';
}

/** Real containers: pods on the oci runtime (integration tier) and `kubeling server --runtime oci` (e2e). */
export function missingRealContainers(): string | undefined {
  return reason([
    missingLinux(),
    missingRoot(),
    missingBinaries([ociRuntimeName(), 'conmon', 'catatonit', 'ip', 'mount', 'nsenter', 'busybox']),
    missingCniPlugins(),
    missingHugetlbCgroup(),
    missingTestImages(),
  ]);
}

/** A cgroup v2 host (unless told this is the cgroup v2 VM, where v1 must fail instead of skipping). */
export function missingCgroupV2(cgroupVersion: 1 | 2): string | undefined {
  if (process.env.KUBELING_EXPECT_CGROUP_V2 === '1') return undefined;
  return cgroupVersion === 2 ? undefined : CGROUP_V1_HOST;
}

/** The image store against Debian's docker-registry, unpacking layers as root. */
export function missingRegistry(): string | undefined {
  return reason([
    missingRoot('layer owners, devices, trusted xattrs'),
    missingBinaries(['docker-registry', 'tar']),
    missingTestImages(),
  ]);
}

/** Layers under a real overlay mount. */
export function missingOverlay(): string | undefined {
  const overlay = existsSync('/proc/filesystems') && readFileSync('/proc/filesystems', 'utf8').includes('overlay');
  return reason([
    missingRoot('overlay mounts, devices, trusted xattrs'),
    overlay ? undefined : 'needs overlayfs (modprobe overlay)',
    missingBinaries(['tar', 'getfattr']),
  ]);
}

/** A tmpfs mount (the kubelet's volume tests). */
export function missingMounts(): string | undefined {
  return reason([missingLinux(), missingRoot('to mount tmpfs')]);
}

/** Debian's etcd (etcd-server), which the etcd store tests start on loopback. */
export const ETCD = '/usr/bin/etcd';
export function missingEtcd(): string | undefined {
  return existsSync(ETCD) ? undefined : `needs ${ETCD} (Debian etcd-server: ${SETUP})`;
}

/** The service proxy's tools (nftables and conntrack), beside what real containers need. */
export function missingServiceProxy(): string | undefined {
  return reason([missingLinux(), missingRoot('nftables'), missingBinaries(['nft', 'conntrack', 'ip', 'busybox'])]);
}

/** The pod network between hosts (routes, vxlan, masquerade) on hosts made of network namespaces, beside real containers. */
export function missingPodNetwork(): string | undefined {
  return reason([missingRealContainers(), missingRoot('network namespaces, vxlan devices, nftables'), missingBinaries(['nft', 'ip', 'bridge', 'nsenter'])]);
}

/** A terminal multiplexer, for `kubectl exec -it` from a real tty. */
export function missingTmux(): string | undefined {
  return missingBinaries(['tmux']);
}

/** skopeo, which pushes Docker schema 2 images to the test registry. */
export function missingSkopeo(): string | undefined {
  return missingBinaries(['skopeo']);
}

/** The cgroup v2 VM test: qemu, a Debian kernel with its modules, and a static busybox for the initramfs. */
export function missingVm(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'needs Linux on x86-64';
  const kernel = findGuestKernel();
  return reason([
    missingRoot('the VM shares the host tree as root'),
    missingBinaries([QEMU]),
    typeof kernel === 'string' ? kernel : undefined,
    missingTestImages(),
  ]);
}

/** Debian's Chromium, which the dashboard's browser test drives headless (puppeteer-core). */
export const CHROMIUM = '/usr/bin/chromium';

export function missingChromium(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `needs ${CHROMIUM} (Debian chromium: ${SETUP})`;
}
