/**
 * The node's pod bridge made ahead of the first pod: a Linux bridge carrying the pod CIDR's gateway address
 * (`10.42.0.1/24` for `10.42.0.0/24`), up. The CNI `bridge` plugin (isGateway) takes such a bridge as its
 * own: it accepts an existing bridge and an address equal to the one it would set. Node services that pods
 * reach at the gateway (the node's cluster DNS) need the address before any pod exists. Safe to repeat;
 * like the bridges CNI makes, it stays when the node stops.
 */
import { execFile, type Exec } from './exec.ts';

/** The gateway host-local gives a pod CIDR: its first address, with the CIDR's prefix (`10.42.0.1/24`). */
export function gatewayForPodCidr(podCidr: string): { address: string; cidr: string } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(podCidr);
  if (!m) throw new Error(`gatewayForPodCidr: want an IPv4 CIDR, got ${JSON.stringify(podCidr)}`);
  const bits = Number(m[5]);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const gw = ((base & mask) >>> 0) + 1;
  const address = [24, 16, 8, 0].map((s) => (gw >>> s) & 255).join('.');
  return { address, cidr: `${address}/${bits}` };
}

/** Creates the bridge if missing, adds the gateway address if missing, and sets it up. */
export async function ensureBridge(bridge: string, podCidr: string, exec: Exec = execFile): Promise<string> {
  const { address, cidr } = gatewayForPodCidr(podCidr);
  const show = await exec('ip', ['-o', 'link', 'show', 'dev', bridge], { allowFailure: true });
  if (show.code !== 0) {
    const add = await exec('ip', ['link', 'add', 'name', bridge, 'type', 'bridge'], { allowFailure: true });
    // A concurrent CNI ADD may have made it meanwhile.
    if (add.code !== 0 && (await exec('ip', ['-o', 'link', 'show', 'dev', bridge], { allowFailure: true })).code !== 0) {
      throw new Error(`creating bridge ${bridge}: ${add.stderr.trim()}`);
    }
  }
  const addrs = await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge]);
  if (!addrs.stdout.split('\n').some((l) => l.includes(` inet ${cidr} `))) {
    const add = await exec('ip', ['addr', 'add', cidr, 'dev', bridge], { allowFailure: true });
    if (add.code !== 0 && !/File exists/.test(add.stderr)) throw new Error(`adding ${cidr} to ${bridge}: ${add.stderr.trim()}`);
  }
  await exec('ip', ['link', 'set', 'dev', bridge, 'up']);
  return address;
}
