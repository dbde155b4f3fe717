/**
 * The pod network of one node (flannel's daemon, in-process): makes this node's pods reachable from the
 * other nodes' pods and lets them out of the cluster.
 *
 *   run ─▶ masquerade table ─▶ informer on Nodes ─▶ ring ─▶ sync ─▶ wait(ring | 30 s) ─▶ sync ─▶ …
 *   sync: announce (Node annotations) ─▶ vxlan: the device, once a node on another host runs vxlan
 *         ─▶ read the kernel ─▶ plan (plan.ts) ─▶ apply
 *
 * The vxlan device (`kubeling.vxlan`, one per host as flannel's `flannel.1`) is made only when a node on
 * another host needs it: nodes that share one host (test servers, several agents on a laptop) never make it,
 * so they never fight over it. Such a node announces its address and backend first, its VTEP MAC once its
 * device exists; peers route to it from then on.
 *
 * One loop owns the kernel state; the informer only rings. Each sync reads what the kernel holds (kubeling's
 * routes by their protocol number, the device's neighbours and fdb entries), so a sync is safe at any moment
 * and a restarted node repairs what changed while it was away. Nodes that leave (deleted Node objects) lose
 * their routes and entries on the next sync.
 *
 * Like the proxy's rules, everything stays when `run` ends: pods outlive the node process. The component
 * calls `remove()` when the node stops with no pod left.
 */
import type { INode } from 'kubernetes-models/v1/Node';
import { Informer, isNotFound, type Client } from '../client/index.ts';
import { Doorbell, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { masqueradeRules, masqueradeTable } from './masquerade.ts';
import { nodeAnnotations, networkAddress, peersOf, type Backend } from './peers.ts';
import {
  parseFdb,
  parseNeighbours,
  parseRoutes,
  planRoutes,
  ROUTE_PROTO,
  VXLAN_DEVICE,
  VXLAN_MTU,
  VXLAN_PORT,
  VXLAN_VNI,
  type ActualState,
  type Command,
} from './plan.ts';

/** Runs `tool args` (with `input` on stdin); rejects on a non-zero exit, with the tool's stderr. */
export type NetExec = (tool: 'ip' | 'bridge' | 'nft', args: string[], input?: string) => Promise<{ stdout: string }>;

export interface PodNetworkConfig {
  client: Client;
  nodeName: string;
  /** This node's spec.podCIDR. */
  podCidr: string;
  /** The cluster's pod range: traffic into it is not masqueraded. */
  clusterCidr: string;
  backend: Backend;
  /** This node's address between hosts (`--node-ip`). */
  nodeIp: string;
  exec: NetExec;
  logger: Logger;
  clock?: Clock;
  /** Full resync period (default 30 s). */
  syncPeriodMs?: number;
}

export class PodNetwork {
  readonly table: string;
  readonly #c: PodNetworkConfig;
  readonly #clock: Clock;
  readonly #nodes: Informer<INode>;
  readonly #dirty = new Doorbell();
  #vtepMac: string | undefined;
  #lastSkipped = '';
  #syncs = 0;

  constructor(config: PodNetworkConfig) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(config.nodeIp)) throw new Error(`PodNetwork: nodeIp must be an IPv4 address, got ${JSON.stringify(config.nodeIp)}`);
    this.#c = config;
    this.#clock = config.clock ?? realClock;
    this.table = masqueradeTable(config.nodeName, config.podCidr);
    this.#nodes = new Informer<INode>(config.client.resource<INode>('nodes'), { clock: this.#clock, logger: config.logger });
    const ring = () => this.#dirty.ring();
    this.#nodes.onAdd(ring).onUpdate(ring).onDelete(ring);
  }

  /** Successful syncs so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Runs until `signal` aborts; the kernel state stays (see the header). */
  async run(signal: AbortSignal): Promise<void> {
    const informer = this.#nodes.run(signal);
    try {
      await this.#c.exec('nft', ['-f', '-'], masqueradeRules(this.table, this.#c.podCidr, this.#c.clusterCidr));
      // host-gw after vxlan: the old device goes (if it is this node's).
      if (this.#c.backend === 'host-gw' && (await this.#ownsDevice())) await this.#c.exec('ip', ['link', 'del', VXLAN_DEVICE]);
      await Promise.race([this.#nodes.synced, aborted(signal)]);
      let failures = 0;
      while (!signal.aborted) {
        try {
          await this.sync(signal);
          failures = 0;
        } catch (err) {
          if (signal.aborted) break;
          failures++;
          this.#c.logger.error({ err }, 'syncing the pod network failed');
          await this.#clock.sleep(Math.min(30_000, 500 * 2 ** (failures - 1)), signal);
          continue;
        }
        await this.#nextChange(signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await Promise.allSettled([informer]);
    }
  }

  /** One pass: announce this node if its annotations are stale, then bring the routes in line with the peers. */
  async sync(signal?: AbortSignal): Promise<void> {
    const { peers, skipped, remote } = peersOf(this.#nodes.list(), this.#c.nodeName, this.#c.nodeIp, this.#c.backend);
    if (this.#c.backend === 'vxlan' && remote && !this.#vtepMac) await this.#setUpVxlan();
    await this.#announce(signal);
    const skippedText = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    if (skippedText !== this.#lastSkipped && skippedText) this.#c.logger.info(`nodes not routed yet: ${skippedText}`);
    this.#lastSkipped = skippedText;
    const commands = planRoutes(this.#c.backend, peers, await this.#actual(this.#vtepMac !== undefined));
    for (const cmd of commands) await this.#run(cmd);
    if (commands.length > 0) this.#c.logger.info({ peers: peers.map((p) => `${p.name}=${p.podCidr}@${p.ip}`), changes: commands.length }, 'pod network routes synced');
    this.#syncs++;
  }

  /**
   * Removes everything of this node's pod network (routes, the vxlan device with its entries, the masquerade
   * table). Returns whether there was anything to remove.
   */
  async remove(): Promise<boolean> {
    const routes = parseRoutes((await this.#c.exec('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO])).stdout);
    for (const r of routes) await this.#c.exec('ip', ['route', 'del', r.dst, 'proto', ROUTE_PROTO]).catch(() => {});
    const device = await this.#ownsDevice();
    if (device) await this.#c.exec('ip', ['link', 'del', VXLAN_DEVICE]);
    const table = await this.#c.exec('nft', ['delete', 'table', 'ip', this.table]).then(() => true, () => false);
    return routes.length > 0 || device || table;
  }

  async #run(cmd: Command): Promise<void> {
    try {
      await this.#c.exec(cmd.tool, cmd.args);
    } catch (err) {
      // A deletion of something already gone is the state we wanted.
      if (cmd.args[1] === 'del' && /No such|not found|Cannot find|No such process/i.test((err as Error).message)) return;
      throw err;
    }
  }

  /** Whether the host's vxlan device is this node's: it holds this node's podCIDR's .0. */
  async #ownsDevice(): Promise<boolean> {
    const rows = await this.#c.exec('ip', ['-j', '-4', 'addr', 'show', 'dev', VXLAN_DEVICE]).then(
      (r) => JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[],
      () => [],
    );
    const mine = networkAddress(this.#c.podCidr);
    return rows.some((row) => (row.addr_info ?? []).some((a) => a.local === mine));
  }

  /** The vxlan device (made again if its local address, VNI or port is not ours), up, with the podCIDR's .0. */
  async #setUpVxlan(): Promise<void> {
    const exec = this.#c.exec;
    const current = await exec('ip', ['-j', '-d', 'link', 'show', VXLAN_DEVICE]).then(
      (r) => (JSON.parse(r.stdout) as DeviceRow[])[0],
      () => undefined,
    );
    const info = current?.linkinfo?.info_data;
    if (current && (info?.local !== this.#c.nodeIp || info?.id !== VXLAN_VNI || info?.port !== VXLAN_PORT)) {
      this.#c.logger.info(`re-creating ${VXLAN_DEVICE}: its settings changed`);
      await exec('ip', ['link', 'del', VXLAN_DEVICE]);
    }
    if (!current || info?.local !== this.#c.nodeIp || info?.id !== VXLAN_VNI || info?.port !== VXLAN_PORT) {
      await exec('ip', ['link', 'add', VXLAN_DEVICE, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', this.#c.nodeIp, 'dstport', String(VXLAN_PORT), 'nolearning']);
    }
    await exec('ip', ['link', 'set', VXLAN_DEVICE, 'mtu', String(VXLAN_MTU), 'up']);
    await exec('ip', ['addr', 'replace', `${networkAddress(this.#c.podCidr)}/32`, 'dev', VXLAN_DEVICE]);
    const row = (JSON.parse((await exec('ip', ['-j', 'link', 'show', VXLAN_DEVICE])).stdout) as DeviceRow[])[0];
    this.#vtepMac = row?.address?.toLowerCase();
    if (!this.#vtepMac) throw new Error(`${VXLAN_DEVICE} has no MAC address`);
  }

  async #actual(device: boolean): Promise<ActualState> {
    const exec = this.#c.exec;
    const routes = parseRoutes((await exec('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO])).stdout);
    if (this.#c.backend !== 'vxlan' || !device) return { routes, neighbours: [], fdb: [] };
    const [neigh, fdb] = await Promise.all([
      exec('ip', ['-j', 'neigh', 'show', 'dev', VXLAN_DEVICE]),
      exec('bridge', ['-j', 'fdb', 'show', 'dev', VXLAN_DEVICE]),
    ]);
    return { routes, neighbours: parseNeighbours(neigh.stdout), fdb: parseFdb(fdb.stdout) };
  }

  /** Publishes this node's address, backend and VTEP MAC in its annotations (a merge patch) when they differ. */
  async #announce(signal?: AbortSignal): Promise<void> {
    const want = nodeAnnotations(this.#c.backend, this.#c.nodeIp, this.#vtepMac);
    const self = this.#nodes.get(this.#c.nodeName);
    const have = self?.metadata?.annotations ?? {};
    if (self && Object.entries(want).every(([k, v]) => have[k] === v)) return;
    try {
      await this.#c.client.resource<INode>('nodes').patch(this.#c.nodeName, { metadata: { annotations: want } }, 'merge', signal ? { signal } : {});
    } catch (err) {
      // The kubelet registers the Node: until it has, there is nothing to annotate (the informer rings then).
      if (!isNotFound(err)) throw err;
    }
  }

  async #nextChange(signal: AbortSignal): Promise<void> {
    const round = new AbortController();
    const both = AbortSignal.any([signal, round.signal]);
    try {
      await Promise.race([this.#dirty.wait(both), this.#clock.sleep(this.#c.syncPeriodMs ?? 30_000, both)]);
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      round.abort();
    }
  }
}

interface DeviceRow {
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number } };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
