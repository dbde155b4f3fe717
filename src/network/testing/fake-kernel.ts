/**
 * A kernel for PodNetwork tests: answers the `ip`, `bridge` and `nft` commands the pod network runs (and
 * only those) from a small model of routes, the vxlan device with its addresses, neighbours and fdb entries,
 * and nftables tables, and records every command. Deleting what is not there fails, as the real tools do.
 */
import type { NetExec } from '../pod-network.ts';

export class FakeKernel {
  readonly calls: string[] = [];
  readonly routes = new Map<string, { gateway: string; dev: string }>();
  device: { local: string; mac: string; addrs: Set<string> } | undefined;
  readonly neighbours = new Map<string, string>();
  readonly fdb = new Set<string>();
  readonly tables = new Set<string>();
  #macs = 0;

  readonly exec: NetExec = async (tool, args, input) => {
    this.calls.push(`${tool} ${args.join(' ')}`);
    const line = args.join(' ');
    const json = (v: unknown) => ({ stdout: JSON.stringify(v) });
    const noDevice = () => new Error(`Device "kubeling.vxlan" does not exist.`);
    let m: RegExpExecArray | null;
    if (tool === 'nft') {
      if (args[0] === '-f') {
        this.tables.add(/^table ip (\S+) \{$/m.exec(input ?? '')![1]!);
        return { stdout: '' };
      }
      if ((m = /^delete table ip (\S+)$/.exec(line))) {
        if (!this.tables.delete(m[1]!)) throw new Error('No such file or directory');
        return { stdout: '' };
      }
    }
    if (tool === 'ip') {
      if (line === '-j route show proto 75') return json([...this.routes].map(([dst, r]) => ({ dst, gateway: r.gateway, dev: r.dev, flags: [] })));
      if ((m = /^route replace (\S+) via (\S+)(?: dev (\S+) onlink)? proto 75$/.exec(line))) {
        if (m[3] && !this.device) throw noDevice();
        this.routes.set(m[1]!, { gateway: m[2]!, dev: m[3] ?? 'eth0' });
        return { stdout: '' };
      }
      if ((m = /^route del (\S+) proto 75$/.exec(line))) {
        if (!this.routes.delete(m[1]!)) throw new Error('RTNETLINK answers: No such process');
        return { stdout: '' };
      }
      if (line === '-j -d link show kubeling.vxlan' || line === '-j link show kubeling.vxlan') {
        if (!this.device) throw noDevice();
        return json([{ ifname: 'kubeling.vxlan', address: this.device.mac, linkinfo: { info_kind: 'vxlan', info_data: { id: 1, local: this.device.local, port: 8472 } } }]);
      }
      if ((m = /^link add kubeling\.vxlan type vxlan id 1 local (\S+) dstport 8472 nolearning$/.exec(line))) {
        if (this.device) throw new Error('RTNETLINK answers: File exists');
        this.device = { local: m[1]!, mac: `02:00:00:00:ff:${String(++this.#macs).padStart(2, '0')}`, addrs: new Set() };
        return { stdout: '' };
      }
      if (line === 'link set kubeling.vxlan mtu 1450 up') {
        if (!this.device) throw noDevice();
        return { stdout: '' };
      }
      if ((m = /^addr replace (\S+)\/32 dev kubeling\.vxlan$/.exec(line))) {
        if (!this.device) throw noDevice();
        this.device.addrs.add(m[1]!);
        return { stdout: '' };
      }
      if (line === '-j -4 addr show dev kubeling.vxlan') {
        if (!this.device) throw noDevice();
        return json([{ ifname: 'kubeling.vxlan', addr_info: [...this.device.addrs].map((local) => ({ family: 'inet', local, prefixlen: 32 })) }]);
      }
      if (line === 'link del kubeling.vxlan') {
        if (!this.device) throw noDevice();
        this.device = undefined;
        this.neighbours.clear();
        this.fdb.clear();
        for (const [dst, r] of this.routes) if (r.dev === 'kubeling.vxlan') this.routes.delete(dst);
        return { stdout: '' };
      }
      if (line === '-j neigh show dev kubeling.vxlan') {
        if (!this.device) throw noDevice();
        return json([...this.neighbours].map(([dst, lladdr]) => ({ dst, lladdr, state: ['PERMANENT'] })));
      }
      if ((m = /^neigh replace (\S+) lladdr (\S+) dev kubeling\.vxlan nud permanent$/.exec(line))) {
        this.neighbours.set(m[1]!, m[2]!);
        return { stdout: '' };
      }
      if ((m = /^neigh del (\S+) dev kubeling\.vxlan$/.exec(line))) {
        if (!this.neighbours.delete(m[1]!)) throw new Error('RTNETLINK answers: No such file or directory');
        return { stdout: '' };
      }
    }
    if (tool === 'bridge') {
      if (line === '-j fdb show dev kubeling.vxlan') {
        return json([...this.fdb].map((k) => ({ mac: k.split('/')[0], dst: k.split('/')[1], flags: ['self'], state: 'permanent' })));
      }
      if ((m = /^fdb replace (\S+) dev kubeling\.vxlan dst (\S+) self permanent$/.exec(line))) {
        this.fdb.add(`${m[1]}/${m[2]}`);
        return { stdout: '' };
      }
      if ((m = /^fdb del (\S+) dev kubeling\.vxlan dst (\S+) self$/.exec(line))) {
        if (!this.fdb.delete(`${m[1]}/${m[2]}`)) throw new Error('RTNETLINK answers: No such file or directory');
        return { stdout: '' };
      }
    }
    throw new Error(`fake kernel: unexpected command: ${tool} ${line}`);
  };
}
