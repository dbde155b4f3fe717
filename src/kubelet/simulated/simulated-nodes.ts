/**
 * Many simulated nodes in one process (`kubeling agent --simulate N`), after kwok: each node is registered,
 * keeps its status and Lease current and runs the pods bound to it as a kubelet with the fake runtime would
 * (./simulated-pod.ts), but the nodes share what N kubelets would each hold:
 *
 *   one pod informer      one list+watch of every bound pod (`spec.nodeName!=`), dispatched by node name
 *   one timer             pod wake-ups (a container's exit, a restart, a probe's delay) sit in one table
 *                         served by a single timer, batched to 50 ms
 *   one write pool        pod status patches and the final deletes of all nodes, at most `maxWrites` in flight
 *
 * Per node there is only its client (its own credential: every write passes the Node authorizer and
 * NodeRestriction as that node), its NodeAgent (registration, status every 10 s and a report every 5 min,
 * lease renewed every 10 s: the kubelet's defaults) and its pod IPs. A node can be killed (its agent stops:
 * no heartbeat, no lease, no pod status; its pods' containers go on, as behind a network partition) and
 * revived (it registers again, says Ready, and catches up on its pods).
 */
import type { Pod, PodStatus } from '../kuberuntime/api.ts';
import type { Node } from '../node/node-status.ts';
import { Informer, isConflict, isNotFound, type Client } from '../../client/index.ts';
import { realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { NodeAgent } from '../node/node-agent.ts';
import type { MachineInfo } from '../node/machine.ts';
import type { NodeFacts } from '../node/node-status.ts';
import { podStatusPatch } from '../status/pod-status-patch.ts';
import { SimulatedPod } from './simulated-pod.ts';

export interface SimulatedNodeSpec {
  name: string;
  /** The node's own client (system:node:<name>). */
  client: Client;
}

export interface SimulatedNodesConfig {
  nodes: SimulatedNodeSpec[];
  /** Lists and watches the bound pods of all the nodes (any node's client may: nodes read pods). */
  podClient: Client;
  /** Capacity (and allocatable) of every node: `cpu`, `memory`, `pods`, ... */
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: NonNullable<NonNullable<Node['spec']>['taints']>;
  logger: Logger;
  clock?: Clock;
  /** Pod status writes and deletes in flight at once, all nodes together (default 32). */
  maxWrites?: number;
  statusUpdatePeriodMs?: number;
  leaseRenewPeriodMs?: number;
}

interface SimNode {
  spec: SimulatedNodeSpec;
  index: number;
  podCIDR: string;
  nodeIP: string;
  facts: NodeFacts;
  /** Set while the node is alive. */
  alive?: AbortController;
  running?: Promise<void>;
  usedIps: Set<string>;
  nextIp: number;
  pods: Set<string>;
}

interface SimEntry {
  sim: SimulatedPod;
  node: SimNode;
  /** What we last wrote (JSON), to skip writes that change nothing. */
  written?: string;
  deleting?: boolean;
}

const TIMER_GRANULARITY_MS = 50;

/**
 * Node i's addresses: InternalIP 100.64.0.0/10 + i + 1 and pod CIDR 10.128.0.0/9's i-th /24, apart from the
 * server's cluster CIDR (10.42.0.0/16): nothing routes to them, the fake runtime has no network.
 */
export function simulatedNodeAddresses(index: number): { nodeIP: string; podCIDR: string } {
  const n = index + 1;
  return {
    nodeIP: `100.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`,
    podCIDR: `10.${128 + ((index >> 8) & 127)}.${index & 255}.0/24`,
  };
}

function simulatedMachine(name: string, index: number): MachineInfo {
  const id = `sim${String(index).padStart(29, '0')}`;
  return {
    hostname: name,
    cpus: 0,
    memoryBytes: 0,
    memoryAvailableBytes: Number.MAX_SAFE_INTEGER,
    fsCapacityBytes: 0,
    fsAvailableBytes: Number.MAX_SAFE_INTEGER,
    machineID: id,
    systemUUID: id,
    bootID: id,
    kernelVersion: 'simulated',
    osImage: 'kubeling simulated node',
    architecture: 'amd64',
    operatingSystem: 'linux',
  };
}

export class SimulatedNodes {
  readonly #config: SimulatedNodesConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #nodes = new Map<string, SimNode>();
  readonly #pods = new Map<string, SimEntry>();
  readonly #wakeAt = new Map<string, number>();
  readonly #dirty = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #writing = 0;
  #signal: AbortSignal | undefined;

  constructor(config: SimulatedNodesConfig) {
    if (config.nodes.length === 0) throw new Error('simulated nodes: at least one node');
    this.#config = config;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger;
    config.nodes.forEach((spec, index) => {
      const { nodeIP, podCIDR } = simulatedNodeAddresses(index);
      const facts: NodeFacts = {
        nodeName: spec.name,
        nodeIP,
        machine: simulatedMachine(spec.name, index),
        kubeletPort: 10250,
        podCIDR,
        controlPlane: false,
        runtime: { name: 'fake', version: '0.1.0' },
        labels: config.labels,
        taints: config.taints,
        pressure: [],
        capacity: config.capacity,
      };
      this.#nodes.set(spec.name, { spec, index, podCIDR, nodeIP, facts, usedIps: new Set(), nextIp: 2, pods: new Set() });
    });
  }

  get names(): string[] {
    return [...this.#nodes.keys()];
  }

  isAlive(name: string): boolean {
    return this.#nodes.get(name)?.alive !== undefined;
  }

  /** Runs every node and their pods until `signal` aborts; `onRegistered` once all nodes are registered. */
  async run(signal: AbortSignal, onRegistered?: () => void): Promise<void> {
    this.#signal = signal;
    const informer = new Informer<Pod>(this.#config.podClient.resource<Pod>('pods'), { fieldSelector: 'spec.nodeName!=' });
    informer.onAdd((pod) => this.#podChanged(pod));
    informer.onUpdate((_old, pod) => this.#podChanged(pod));
    informer.onDelete((pod) => this.#podGone(pod));
    const agents: Promise<unknown>[] = [];
    for (const node of this.#nodes.values()) agents.push(this.#startAgent(node).registered);
    void Promise.all(agents).then(() => onRegistered?.());
    const informed = informer.run(signal);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    if (this.#timer) clearTimeout(this.#timer);
    await informed;
    await Promise.allSettled([...this.#nodes.values()].map((n) => n.running));
  }

  /** Stops a node's heartbeats, lease and pod status writes; false when it is unknown or already dead. */
  kill(name: string): boolean {
    const node = this.#nodes.get(name);
    if (!node?.alive) return false;
    node.alive.abort();
    node.alive = undefined;
    this.#log.info({ node: name }, 'simulated node killed');
    return true;
  }

  /** Starts a killed node again; false when it is unknown or alive. */
  revive(name: string): boolean {
    const node = this.#nodes.get(name);
    if (!node || node.alive || this.#signal?.aborted) return false;
    this.#startAgent(node);
    for (const uid of node.pods) this.#markDirty(uid);
    this.#log.info({ node: name }, 'simulated node revived');
    return true;
  }

  #startAgent(node: SimNode): NodeAgent {
    const alive = new AbortController();
    node.alive = alive;
    const agent = new NodeAgent({
      client: node.spec.client,
      facts: async () => node.facts,
      health: async () => ({ errors: [] }),
      clock: this.#clock,
      ...(this.#config.statusUpdatePeriodMs ? { statusUpdatePeriodMs: this.#config.statusUpdatePeriodMs } : {}),
      ...(this.#config.leaseRenewPeriodMs ? { leaseRenewPeriodMs: this.#config.leaseRenewPeriodMs } : {}),
      onError: (what, err) => this.#log.warn({ node: node.spec.name, err: (err as Error).message }, `${what} failed`),
    });
    node.running = agent.run(AbortSignal.any([alive.signal, this.#signal!])).catch(() => {});
    return agent;
  }

  #podChanged(pod: Pod): void {
    const uid = pod.metadata?.uid;
    const node = this.#nodes.get(pod.spec?.nodeName ?? '');
    if (!uid || !node) return;
    let entry = this.#pods.get(uid);
    if (!entry) {
      const phase = pod.status?.phase;
      // A pod that finished before this process started stays as it is (its containers are long gone).
      if ((phase === 'Succeeded' || phase === 'Failed') && !pod.metadata?.deletionTimestamp) return;
      const ip = this.#allocateIp(node);
      entry = { sim: new SimulatedPod(pod, { ip, hostIP: node.nodeIP, now: this.#clock.now() }), node };
      this.#pods.set(uid, entry);
      node.pods.add(uid);
    }
    entry.sim.pod = pod;
    if (pod.metadata?.deletionTimestamp) entry.sim.stop(this.#clock.now());
    this.#markDirty(uid);
  }

  #podGone(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const entry = this.#pods.get(uid);
    if (!entry) return;
    this.#pods.delete(uid);
    this.#wakeAt.delete(uid);
    this.#dirty.delete(uid);
    entry.node.pods.delete(uid);
    entry.node.usedIps.delete(entry.sim.ip);
  }

  #allocateIp(node: SimNode): string {
    const prefix = node.podCIDR.slice(0, node.podCIDR.lastIndexOf('.'));
    for (let tries = 0; tries < 253; tries++) {
      const ip = `${prefix}.${node.nextIp}`;
      node.nextIp = node.nextIp >= 254 ? 2 : node.nextIp + 1;
      if (!node.usedIps.has(ip)) {
        node.usedIps.add(ip);
        return ip;
      }
    }
    return `${prefix}.254`;
  }

  #markDirty(uid: string): void {
    this.#dirty.add(uid);
    this.#pump();
  }

  /** Starts writes while there is room: the dirty pods of live nodes, oldest first. */
  #pump(): void {
    const max = this.#config.maxWrites ?? 32;
    if (this.#signal?.aborted) return;
    for (const uid of this.#dirty) {
      if (this.#writing >= max) return;
      const entry = this.#pods.get(uid);
      this.#dirty.delete(uid);
      if (!entry || !entry.node.alive) continue;
      this.#writing++;
      void this.#sync(entry).catch((err: unknown) => {
        if (this.#signal?.aborted) return;
        if (!isNotFound(err)) {
          this.#log.warn({ pod: `${entry.sim.pod.metadata?.namespace}/${entry.sim.pod.metadata?.name}`, err: (err as Error).message }, 'pod status write failed; retrying');
          this.#schedule(entry.sim.uid, this.#clock.now() + 1000);
        }
      }).finally(() => {
        this.#writing--;
        this.#pump();
      });
    }
  }

  async #sync(entry: SimEntry): Promise<void> {
    const { sim, node } = entry;
    const now = this.#clock.now();
    const next = sim.advance(now);
    if (next !== undefined) this.#schedule(sim.uid, next);
    const pod = sim.pod;
    const name = pod.metadata?.name ?? '';
    const pods = node.spec.client.resource<Pod>('pods', pod.metadata?.namespace);
    const status: PodStatus = sim.status(now);
    const json = JSON.stringify(status);
    if (json !== entry.written) {
      const patch = podStatusPatch(sim.uid, pod.status, status);
      if (patch.status) {
        const written = await pods.patchStatus(name, patch, 'strategic', { signal: this.#signal });
        if (this.#pods.get(sim.uid) === entry && written.metadata?.uid === sim.uid) sim.pod = written;
      }
      entry.written = json;
    }
    if (sim.stopped && !entry.deleting) {
      // Every container has stopped and the final status is written: the kubelet removes the pod object.
      entry.deleting = true;
      try {
        await pods.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: sim.uid }, signal: this.#signal });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) {
          entry.deleting = false;
          throw err;
        }
      }
    }
  }

  #schedule(uid: string, at: number): void {
    const due = Math.ceil(at / TIMER_GRANULARITY_MS) * TIMER_GRANULARITY_MS;
    const have = this.#wakeAt.get(uid);
    if (have !== undefined && have <= due) return;
    this.#wakeAt.set(uid, due);
    if (due >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - this.#clock.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    let soonest = Infinity;
    for (const [uid, at] of this.#wakeAt) {
      if (at <= now) {
        this.#wakeAt.delete(uid);
        this.#dirty.add(uid);
      } else soonest = Math.min(soonest, at);
    }
    if (soonest !== Infinity) {
      this.#timerAt = soonest;
      this.#timer = setTimeout(() => this.#fire(), Math.max(0, soonest - this.#clock.now()));
    }
    this.#pump();
  }
}
