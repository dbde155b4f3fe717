/**
 * `kubeling killall [--data-dir DIR]`, as k3s's k3s-killall.sh: for a user who wants the machine clean
 * without starting the server again. A stopped server or agent leaves its pods running by design (the next
 * start adopts them); this stops every pod container of DIR's node through the oci runtime's own records
 * (containers, then sandboxes: pause, network namespace, CNI, pod cgroups, rootfs mounts) and the sandboxes
 * its pool kept ready, unmounts what is
 * left under DIR (volumes, the runtime's state tmpfs), and removes the node's CNI bridge, its nftables
 * tables (service proxy and masquerade) and its vxlan device, which DIR/node.json names (node-record.ts).
 * Images, the store and the kubeconfig stay: a later `kubeling server --data-dir DIR` starts as after a
 * clean stop. It refuses while a kubeling server or agent still runs on DIR.
 */
import { execFile as execFileCb } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { VXLAN_DEVICE, networkAddress } from '../network/index.ts';
import { readNodeRecord } from './node-record.ts';

const execFile = promisify(execFileCb);

export const KILLALL_USAGE = 'kubeling killall [--data-dir DIR]';

/** The data dir a kubeling server or agent process works on, from its command line and cwd. */
export function dataDirOf(argv: readonly string[], cwd: string): string | undefined {
  const at = argv.findIndex((a) => /(^|\/)kubeling(\.ts)?$/.test(a));
  const command = at >= 0 ? argv[at + 1] : undefined;
  if (command !== 'server' && command !== 'agent') return undefined;
  let dir = command === 'server' ? './.kubeling' : './.kubeling-agent';
  for (let i = at + 2; i < argv.length; i++) {
    if (argv[i] === '--data-dir' && argv[i + 1] !== undefined) dir = argv[i + 1]!;
    else if (argv[i]!.startsWith('--data-dir=')) dir = argv[i]!.slice('--data-dir='.length);
  }
  return resolve(cwd, dir);
}

/** Pids of kubeling servers and agents running on `dataDir`. */
function runningOn(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (dataDirOf(argv, readlinkSync(`/proc/${entry}/cwd`)) === dataDir) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

async function quietly(cmd: string, args: string[]): Promise<boolean> {
  return execFile(cmd, args).then(() => true, () => false);
}

export async function runKillall(argv: string[]): Promise<number> {
  let dataDir = './.kubeling';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir' && argv[i + 1]) dataDir = argv[++i]!;
    else if (arg.startsWith('--data-dir=') && arg.length > '--data-dir='.length) dataDir = arg.slice('--data-dir='.length);
    else {
      process.stderr.write(`kubeling killall: unexpected ${JSON.stringify(arg)} (usage: ${KILLALL_USAGE})\n`);
      return 2;
    }
  }
  const dir = resolve(dataDir);
  const busy = runningOn(dir);
  if (busy.length > 0) {
    process.stderr.write(`kubeling killall: kubeling still runs on ${dir} (pid ${busy.join(', ')}); stop it first\n`);
    return 1;
  }
  const record = readNodeRecord(dir);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const runtimeRoot = join(dir, 'runtime');
  if (record) {
    const [{ OciRuntime }, { OciImageService }] = await Promise.all([import('../runtime/oci/index.ts'), import('../runtime/images/index.ts')]);
    const runtime = new OciRuntime({
      root: runtimeRoot,
      cni: { bridge: record.bridge, podCidr: record.podCidr },
      images: new OciImageService({ root: join(dir, 'images') }),
      protectKernelDefaults: true,
    });
    try {
      // Sandboxes a node kept ready for pods to come (--sandbox-pool-size), when it did not stop cleanly.
      const pooled = await runtime.sandboxPool.drain();
      if (pooled > 0) say(`removed ${pooled} pooled sandbox${pooled === 1 ? '' : 'es'}`);
      for (const sandbox of await runtime.listPodSandbox()) {
        const pod = `${sandbox.metadata.namespace}/${sandbox.metadata.name}`;
        for (const c of await runtime.listContainers({ podSandboxId: sandbox.id })) {
          await runtime.stopContainer(c.id, 0);
          await runtime.removeContainer(c.id);
        }
        await runtime.stopPodSandbox(sandbox.id);
        await runtime.removePodSandbox(sandbox.id);
        say(`stopped pod ${pod} (sandbox ${sandbox.id.slice(0, 12)})`);
      }
    } finally {
      await runtime.close();
      runtime.releaseStateIfIdle();
    }
  }
  const { unmountUnder } = await import('../runtime/oci/index.ts');
  unmountUnder(dir);
  // The runtime's volatile state went with its tmpfs; what remains on disk would list pods that are gone.
  rmSync(join(runtimeRoot, 'run'), { recursive: true, force: true });
  if (record) {
    if (await quietly('ip', ['link', 'del', record.bridge])) say(`removed bridge ${record.bridge}`);
    for (const table of record.tables) if (await quietly('nft', ['delete', 'table', 'ip', table])) say(`removed nftables table ${table}`);
    // The vxlan device is shared by a host's nodes; it is this node's when it holds its pod CIDR's .0.
    const addrs = await execFile('ip', ['-j', '-4', 'addr', 'show', 'dev', VXLAN_DEVICE]).then((r) => r.stdout, () => '[]');
    if (addrs.includes(`"${networkAddress(record.podCidr)}"`) && (await quietly('ip', ['link', 'del', VXLAN_DEVICE]))) say(`removed ${VXLAN_DEVICE}`);
  } else {
    say(`no node record in ${dir} (no node on real containers ran there): unmounted what was under it`);
  }
  return 0;
}
