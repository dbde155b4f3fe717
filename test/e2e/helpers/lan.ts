/**
 * A test LAN of hosts made of network namespaces: a bridge in the root namespace (`kpn<tag>`, holding
 * 192.168.N.254/24, N from 200-249 with no address or route of the root namespace in it) and per host a
 * namespace `kpn-<tag>-<i>` whose `eth0` (a veth into the bridge) holds 192.168.N.<i+1>. No default route:
 * the hosts reach only the LAN. `remove()` deletes the namespaces and the bridge (the kernel destroys a
 * namespace, and with it the veths' other ends, once no process runs in it, asynchronously).
 * Used by test/e2e/pod-network.test.ts and bench/pod-network.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `cmd` inside namespace `ns` (network only: mounts stay the caller's). */
export function inNs(ns: string, cmd: string, args: string[]): string {
  return run('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args]);
}

/** A 192.168.N.0/24 (N in 200-249) that no root-namespace address or route touches. */
export function pickLan(): number {
  const used = run('ip', ['-4', '-o', 'addr', 'show']) + run('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const n = 200 + ((process.pid + i * 7) % 50);
    if (!used.includes(`192.168.${n}.`)) return n;
  }
  throw new Error('no free 192.168.2xx.0/24 for the test LAN');
}

export interface Lan {
  n: number;
  bridge: string;
  namespaces: string[];
  /** Root-namespace ends of the veths. */
  veths: string[];
  remove(): void;
}

/** The test LAN: a bridge in the root namespace with .254, and `hosts` namespaces at .1, .2, ... */
export function makeLan(tag: string, hosts: number): Lan {
  const n = pickLan();
  const bridge = `kpn${tag}`;
  const lan: Lan = {
    n,
    bridge,
    namespaces: [],
    veths: [],
    remove() {
      for (const ns of lan.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    },
  };
  try {
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `192.168.${n}.254/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    for (let i = 0; i < hosts; i++) {
      const ns = `kpn-${tag}-${i}`;
      const veth = `kpn${tag}v${i}`;
      run('ip', ['netns', 'add', ns]);
      lan.namespaces.push(ns);
      run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      lan.veths.push(veth);
      run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `192.168.${n}.${i + 1}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    lan.remove();
    throw err;
  }
  return lan;
}
