/**
 * CNI for pod sandboxes: wires a pinned network namespace to the node bridge with the standard plugins from
 * Debian's containernetworking-plugins (`bridge` + `host-local` IPAM over the node's pod CIDR, `portmap` for
 * hostPorts, `loopback` for `lo`), invoked the way libcni does (config on stdin, CNI_* in the environment,
 * each chained plugin given the previous one's result). The ADD result is returned to the caller, who keeps
 * it with the sandbox: DEL needs it (`prevResult`) to remove exactly what ADD made, also after a restart.
 *
 * Network namespaces are pinned with `ip netns add` (a bind mount under /run/netns), so they outlive the
 * pause process and are visible to `ip netns list`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, type Exec } from './exec.ts';

export interface CniConfig {
  /** Node bridge name (default node config: `kubeling0`). At most 15 characters. */
  bridge: string;
  /** The node's pod CIDR, e.g. `10.42.0.0/24`. */
  podCidr: string;
  /** Where host-local keeps its leases (under the runtime's data dir). */
  dataDir: string;
  /** Directories searched for plugin binaries (default `/usr/lib/cni`, `/opt/cni/bin`, `/usr/libexec/cni`). */
  pluginDirs?: string[];
  /**
   * Masquerade traffic leaving the pod CIDR (costs iptables rules per pod; default false). Nodes leave it off:
   * the pod network (src/network) masquerades only what leaves the cluster CIDR, which this would not.
   */
  ipMasq?: boolean;
  mtu?: number;
  /** CNI network name (default `kubeling`). */
  networkName?: string;
  /** How plugins are run (default: spawn from Node). */
  exec?: Exec;
}

export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface CniAttachment {
  containerId: string;
  netnsPath: string;
  /** K8S_POD_* args, passed as CNI_ARGS. */
  podName?: string;
  podNamespace?: string;
  podUid?: string;
  portMappings: CniPortMapping[];
}

/** What ADD made: the pod IP and the raw results DEL needs. */
export interface CniResult {
  ip: string;
  gateway?: string;
  /** The bridge chain's final result (bridge, then portmap when ports are mapped). */
  result: unknown;
}

export class CniError extends Error {
  readonly plugin: string;

  constructor(plugin: string, message: string) {
    super(`CNI ${plugin}: ${message}`);
    this.name = 'CniError';
    this.plugin = plugin;
  }
}

const CNI_VERSION = '1.0.0';
const DEFAULT_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

export class CniNetwork {
  readonly config: Required<Omit<CniConfig, 'mtu' | 'exec'>> & { mtu?: number };
  #exec: Exec;
  readonly pluginPath: string;

  constructor(config: CniConfig) {
    if (!config.bridge || config.bridge.length > 15 || !/^[\w.-]+$/.test(config.bridge)) {
      throw new Error(`CniNetwork: bridge must be a link name of 1-15 characters, got ${JSON.stringify(config.bridge)}`);
    }
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(config.podCidr ?? '')) {
      throw new Error(`CniNetwork: podCidr must be an IPv4 CIDR like 10.42.0.0/24, got ${JSON.stringify(config.podCidr)}`);
    }
    if (!config.dataDir) throw new Error('CniNetwork: dataDir is required');
    this.config = {
      bridge: config.bridge,
      podCidr: config.podCidr,
      dataDir: config.dataDir,
      pluginDirs: config.pluginDirs ?? DEFAULT_PLUGIN_DIRS,
      ipMasq: config.ipMasq ?? false,
      networkName: config.networkName ?? 'kubeling',
      ...(config.mtu ? { mtu: config.mtu } : {}),
    };
    this.pluginPath = this.config.pluginDirs.join(':');
    this.#exec = config.exec ?? execFile;
  }

  /** Missing plugin binaries (empty when the network can be set up). */
  missingPlugins(): string[] {
    return ['bridge', 'host-local', 'loopback', 'portmap'].filter(
      (p) => !this.config.pluginDirs.some((d) => existsSync(join(d, p))),
    );
  }

  #bridgeConf(): Record<string, unknown> {
    return {
      type: 'bridge',
      bridge: this.config.bridge,
      isGateway: true,
      ipMasq: this.config.ipMasq,
      hairpinMode: true,
      ...(this.config.mtu ? { mtu: this.config.mtu } : {}),
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: this.config.podCidr }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: join(this.config.dataDir, 'networks'),
      },
    };
  }

  #chain(ports: CniPortMapping[]): Record<string, unknown>[] {
    const plugins = [this.#bridgeConf()];
    if (ports.length > 0) {
      plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true, runtimeConfig: { portMappings: ports } });
    }
    return plugins;
  }

  /** CNI ADD: `lo` up (loopback) and `eth0` on the bridge, both at once. Undoes a half-done ADD on failure. */
  async add(a: CniAttachment): Promise<CniResult> {
    mkdirSync(join(this.config.dataDir, 'networks'), { recursive: true });
    const lo = this.#invoke('ADD', { cniVersion: CNI_VERSION, name: 'cni-loopback', type: 'loopback' }, a, 'lo');
    const eth = (async () => {
      let prev: unknown;
      for (const plugin of this.#chain(a.portMappings)) {
        prev = await this.#invoke('ADD', this.#netConf(plugin, prev), a, 'eth0');
      }
      return prev;
    })();
    const [loResult, ethResult] = await Promise.allSettled([lo, eth]);
    if (ethResult.status === 'rejected' || loResult.status === 'rejected') {
      await this.del(a, undefined).catch(() => {});
      throw ethResult.status === 'rejected' ? ethResult.reason : (loResult as PromiseRejectedResult).reason;
    }
    const result = ethResult.value as { ips?: { address: string; gateway?: string }[] };
    const first = result.ips?.find((i) => i.address.includes('.')) ?? result.ips?.[0];
    if (!first) throw new CniError('bridge', 'ADD returned no IP');
    return { ip: first.address.split('/')[0]!, ...(first.gateway ? { gateway: first.gateway } : {}), result };
  }

  /**
   * CNI DEL in reverse chain order, releasing the lease and removing the veth and port mappings. Safe to
   * repeat and safe when the namespace is already gone (plugins then clean up what they can by container id).
   */
  async del(a: CniAttachment, prevResult: unknown): Promise<void> {
    const chain = this.#chain(a.portMappings).reverse();
    const errors: unknown[] = [];
    for (const plugin of chain) {
      try {
        await this.#invoke('DEL', this.#netConf(plugin, prevResult), a, 'eth0');
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  #netConf(plugin: Record<string, unknown>, prevResult: unknown): Record<string, unknown> {
    return { cniVersion: CNI_VERSION, name: this.config.networkName, ...plugin, ...(prevResult ? { prevResult } : {}) };
  }

  async #invoke(command: 'ADD' | 'DEL', conf: Record<string, unknown>, a: CniAttachment, ifname: string): Promise<unknown> {
    const type = conf.type as string;
    const dir = this.config.pluginDirs.find((d) => existsSync(join(d, type)));
    if (!dir) throw new CniError(type, `plugin not found in ${this.pluginPath}`);
    const args = ['IgnoreUnknown=1'];
    if (a.podNamespace) args.push(`K8S_POD_NAMESPACE=${a.podNamespace}`);
    if (a.podName) args.push(`K8S_POD_NAME=${a.podName}`, `K8S_POD_INFRA_CONTAINER_ID=${a.containerId}`);
    if (a.podUid) args.push(`K8S_POD_UID=${a.podUid}`);
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netnsPath,
      CNI_IFNAME: ifname,
      CNI_PATH: this.pluginPath,
      CNI_ARGS: args.join(';'),
    };
    return this.#exec(join(dir, type), [], { env, input: JSON.stringify(conf), allowFailure: true }).then(
      ({ code, stdout, stderr }) => {
        if (code !== 0) {
          let msg = stdout || stderr;
          try {
            const e = JSON.parse(stdout) as { msg?: string; details?: string };
            msg = [e.msg, e.details].filter(Boolean).join(': ');
          } catch {}
          throw new CniError(type, `${command} failed: ${msg.trim()}`);
        }
        if (command === 'DEL' || !stdout.trim()) return undefined;
        try {
          return JSON.parse(stdout) as unknown;
        } catch {
          throw new CniError(type, `${command} printed no JSON result: ${stdout.slice(0, 200)}`);
        }
      },
      (e: Error) => {
        throw new CniError(type, e.message);
      },
    );
  }
}
