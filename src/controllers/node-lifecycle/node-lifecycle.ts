/**
 * The node lifecycle controller (kube-controller-manager's nodelifecycle, taint-based eviction mode). Every
 * `--node-monitor-period` it looks at each node's Lease and Ready heartbeat (health.ts): a node silent for
 * `--node-monitor-grace-period` gets its conditions set to Unknown; the pods of a node that is not Ready get
 * their Ready condition set to False (upstream's MarkPodsNotReady), so Services and ReplicaSets stop counting
 * them. A node that is not Ready is queued in its zone's rate-limited queue and, when its turn comes, tainted
 * `node.kubernetes.io/not-ready` or `unreachable` with effect NoExecute, which the taint manager acts on; a
 * node that is Ready again loses those taints at once. NoSchedule taints follow the conditions and
 * `spec.unschedulable` directly (taints.ts), through a per-node reconcile. Zone states (zones.ts) slow or stop
 * the NoExecute tainting when much of a zone, or every zone, is down at once.
 *
 *   monitor pass (5 s) ─▶ conditions Unknown ─▶ pods Ready=False ─▶ zone queue ─▶ tainting pass (100 ms)
 *                                                                                   │ token bucket per zone
 *                                                                                   ▼
 *                                                                   NoExecute taint ─▶ taint manager
 */
import type { Lease, Node, Pod, PodCondition, Taint } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isConflict, isNotFound, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { observeHealth, rfc3339, type NodeHealth } from './health.ts';
import { RateLimitedQueue } from './rate-limited-queue.ts';
import {
  hasTaint, readyStatus, reconcileNoScheduleTaints, swapNoExecuteTaints, TAINT_NOT_READY, TAINT_UNREACHABLE,
} from './taints.ts';
import { zoneEvictionRate, zoneKey, zoneStates, type EvictionRates, type ZoneState } from './zones.ts';

export interface NodeLifecycleControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
  /** --node-monitor-period (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** --node-startup-grace-period (default 60 s): for nodes that never posted a Ready condition. */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate (default 0.1 nodes/s). */
  nodeEvictionRate?: number;
  /** --secondary-node-eviction-rate (default 0.01 nodes/s). */
  secondaryNodeEvictionRate?: number;
  /** --unhealthy-zone-threshold (default 0.55). */
  unhealthyZoneThreshold?: number;
  /** --large-cluster-size-threshold (default 50). */
  largeClusterSizeThreshold?: number;
  /** How often the zone queues are drained (upstream's NodeEvictionPeriod, 100 ms). */
  taintingPeriodMs?: number;
}

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export class NodeLifecycleController {
  readonly nodes: Informer<Node>;
  readonly leases: Informer<Lease>;
  readonly pods: Informer<Pod>;
  /** Reconciles each node's NoSchedule taints. */
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventRecorder;
  readonly #periodMs: number;
  readonly #graceMs: number;
  readonly #startupGraceMs: number;
  readonly #taintingPeriodMs: number;
  readonly #threshold: number;
  readonly #rates: EvictionRates;
  readonly #health = new Map<string, NodeHealth>();
  readonly #zoneStates = new Map<string, ZoneState>();
  readonly #tainters = new Map<string, RateLimitedQueue>();

  constructor(config: NodeLifecycleControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('node-lifecycle-controller');
    this.#periodMs = positive(config.nodeMonitorPeriodMs ?? 5000, 'nodeMonitorPeriodMs');
    this.#graceMs = positive(config.nodeMonitorGracePeriodMs ?? 40_000, 'nodeMonitorGracePeriodMs');
    this.#startupGraceMs = positive(config.nodeStartupGracePeriodMs ?? 60_000, 'nodeStartupGracePeriodMs');
    this.#taintingPeriodMs = positive(config.taintingPeriodMs ?? 100, 'taintingPeriodMs');
    this.#threshold = config.unhealthyZoneThreshold ?? 0.55;
    if (!(this.#threshold > 0 && this.#threshold <= 1)) throw new Error('node-lifecycle: unhealthyZoneThreshold must be in (0, 1]');
    this.#rates = {
      nodeEvictionRate: config.nodeEvictionRate ?? 0.1,
      secondaryNodeEvictionRate: config.secondaryNodeEvictionRate ?? 0.01,
      largeClusterSizeThreshold: config.largeClusterSizeThreshold ?? 50,
    };
    if (!(this.#rates.nodeEvictionRate >= 0) || !(this.#rates.secondaryNodeEvictionRate >= 0)) throw new Error('node-lifecycle: eviction rates must be >= 0');
    const opts = { clock: this.#clock, logger: this.#log };
    this.nodes = informerOf(config.informers, config.client.resource<Node>('nodes'), opts);
    this.leases = informerOf(config.informers, config.client.resource<Lease>('leases', NODE_LEASE_NAMESPACE), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.#events = new EventRecorder(config.client, { component: 'node-controller', clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'node-lifecycle-controller',
      reconcile: (key, signal) => this.reconcileNoScheduleTaints(key, signal),
      informers: [this.nodes, this.leases, this.pods] as Informer<KubeObjectLike>[],
      clock: this.#clock,
      logger: this.#log,
    });
    this.nodes.onAdd((n) => this.controller.enqueue(n.metadata!.name!)).onUpdate((_o, n) => this.controller.enqueue(n.metadata!.name!));
  }

  /** Runs the informers, the NoSchedule reconcile, the monitor pass and the tainting pass until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const harness = this.controller.run(signal);
    const loops = (async () => {
      try {
        await Promise.all([this.nodes.synced, this.leases.synced, this.pods.synced]);
      } catch {
        return;
      }
      await Promise.all([
        this.#every(this.#periodMs, signal, () => this.monitorNodeHealth(signal)),
        this.#every(this.#taintingPeriodMs, signal, () => this.doNoExecuteTaintingPass(signal)),
      ]);
    })();
    try {
      await Promise.all([harness, loops]);
    } finally {
      this.#events.close();
    }
  }

  async #every(ms: number, signal: AbortSignal, pass: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      await pass().catch((err) => {
        if (!signal.aborted) this.#log.warn({ err: (err as Error).message }, 'node lifecycle pass failed');
      });
      await this.#clock.sleep(ms, signal).catch(() => {});
    }
  }

  /** The zone state the controller last computed (for tests and logs). */
  zoneState(zone: string): ZoneState | undefined {
    return this.#zoneStates.get(zone);
  }

  /** The tainting rate of a zone's queue (nodes per second). */
  zoneRate(zone: string): number | undefined {
    return this.#tainters.get(zone)?.limiter.rate;
  }

  /** One monitor pass over every node (public for tests). */
  async monitorNodeHealth(signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const nodes = this.nodes.list();
    const names = new Set(nodes.map((n) => n.metadata!.name!));
    for (const name of [...this.#health.keys()]) {
      if (names.has(name)) continue;
      this.#health.delete(name);
      for (const q of this.#tainters.values()) q.remove(name);
    }
    const observed: Node[] = [];
    for (const node of nodes) {
      const name = node.metadata!.name!;
      const zone = zoneKey(node);
      if (!this.#tainters.has(zone)) {
        this.#tainters.set(zone, new RateLimitedQueue(this.#rates.nodeEvictionRate, now));
        this.#zoneStates.set(zone, 'Initial');
      }
      const lease = this.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`);
      const saved = this.#health.get(name);
      const result = observeHealth({
        node, leaseRenewTime: lease?.spec?.renewTime, saved, now,
        gracePeriodMs: this.#graceMs, startupGracePeriodMs: this.#startupGraceMs,
      });
      let current = node;
      if (result.conditions) {
        try {
          current = await this.#client.resource<Node>('nodes').updateStatus(
            { ...node, status: { ...node.status, conditions: result.conditions } }, { signal },
          );
          this.#log.info({ node: name }, 'node stopped posting status; conditions set to Unknown');
          this.#health.set(name, result.health);
        } catch (err) {
          if (!isConflict(err) && !isNotFound(err)) this.#log.warn({ node: name, err: (err as Error).message }, 'cannot set node conditions to Unknown');
          // Keep what was seen before; the next pass decides again.
          if (saved) this.#health.set(name, { ...result.health, readyHeartbeat: saved.readyHeartbeat, readyTransition: saved.readyTransition });
          else this.#health.set(name, result.health);
        }
      } else this.#health.set(name, result.health);

      const wasReady = readyStatus(node) === 'True';
      const ready = readyStatus(current);
      if (ready !== 'True') {
        if (wasReady) this.#events.event(nodeRef(current), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        await this.markPodsNotReady(name, signal);
      }
      await this.#processTaintBasedEviction(current, ready, signal);
      observed.push(current);
    }
    await this.#handleDisruption(observed, now);
  }

  /** Sets Ready=False on the node's pods whose Ready condition is not False yet (upstream's MarkPodsNotReady). */
  async markPodsNotReady(nodeName: string, signal?: AbortSignal): Promise<void> {
    const at = rfc3339(this.#clock.now());
    for (const pod of this.pods.list()) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const conditions = pod.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next: PodCondition[] = conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: at } : c));
      try {
        await this.#client.resource<Pod>('pods', pod.metadata!.namespace).updateStatus({ ...pod, status: { ...pod.status, conditions: next } }, { signal });
        this.#events.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) this.#log.warn({ pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, err: (err as Error).message }, 'cannot mark pod not ready');
      }
    }
  }

  /** Queues a node that is not Ready for its NoExecute taint, or lifts those taints from a Ready node. */
  async #processTaintBasedEviction(node: Node, ready: 'True' | 'False' | 'Unknown', signal?: AbortSignal): Promise<void> {
    const name = node.metadata!.name!;
    const queue = this.#tainters.get(zoneKey(node))!;
    if (ready === 'True') {
      queue.remove(name);
      if (hasTaint(node, TAINT_NOT_READY, 'NoExecute') || hasTaint(node, TAINT_UNREACHABLE, 'NoExecute')) await this.#markReachable(node, signal);
      return;
    }
    const [want, other] = ready === 'False' ? [TAINT_NOT_READY, TAINT_UNREACHABLE] : [TAINT_UNREACHABLE, TAINT_NOT_READY];
    // A node already tainted for the other reason swaps at once (it was already counted against the rate).
    if (hasTaint(node, other, 'NoExecute')) await this.#writeTaints(node, swapNoExecuteTaints(node, want, [other], rfc3339(this.#clock.now())), signal);
    else if (!hasTaint(node, want, 'NoExecute')) queue.add(name);
  }

  async #markReachable(node: Node, signal?: AbortSignal): Promise<void> {
    const taints = swapNoExecuteTaints(node, undefined, [TAINT_NOT_READY, TAINT_UNREACHABLE], '');
    if (taints && await this.#writeTaints(node, taints, signal)) this.#log.info({ node: node.metadata!.name }, 'node is Ready again; NoExecute taints removed');
  }

  /** Writes `spec.taints`, guarded by the node's resourceVersion; false when it did not (retried later). */
  async #writeTaints(node: Node, taints: Taint[] | undefined, signal?: AbortSignal): Promise<boolean> {
    if (!taints) return true;
    try {
      await this.#client.resource<Node>('nodes').patch(
        node.metadata!.name!,
        { metadata: { resourceVersion: node.metadata!.resourceVersion }, spec: { taints } },
        'merge',
        { signal },
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      if (!isConflict(err)) this.#log.warn({ node: node.metadata!.name, err: (err as Error).message }, 'cannot write node taints');
      return false;
    }
  }

  /** Drains each zone's queue at its rate, tainting each node NoExecute for its current Ready state. */
  async doNoExecuteTaintingPass(signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    for (const queue of this.#tainters.values()) {
      await queue.drain(now, async (name) => {
        const node = this.nodes.get(name);
        if (!node) return true;
        const ready = readyStatus(node);
        if (ready === 'True') return true;
        const [want, other] = ready === 'False' ? [TAINT_NOT_READY, TAINT_UNREACHABLE] : [TAINT_UNREACHABLE, TAINT_NOT_READY];
        const ok = await this.#writeTaints(node, swapNoExecuteTaints(node, want, [other], rfc3339(now)), signal);
        if (ok) this.#log.info({ node: name, taint: want }, 'node tainted NoExecute');
        return ok;
      });
    }
  }

  async #handleDisruption(nodes: Node[], now: number): Promise<void> {
    const next = zoneStates(nodes, this.#threshold);
    for (const zone of [...this.#zoneStates.keys()]) {
      if (next.has(zone)) continue;
      this.#zoneStates.delete(zone);
      this.#tainters.delete(zone);
    }
    const allAre = next.size > 0 && [...next.values()].every((z) => z.state === 'FullDisruption');
    const allWas = this.#zoneStates.size > 0 && [...this.#zoneStates.values()].every((s) => s === 'FullDisruption');
    if (allAre && !allWas) {
      this.#log.info({}, 'Controller detected that all Nodes are not-Ready. Entering master disruption mode.');
      for (const q of this.#tainters.values()) q.limiter.setRate(0, now);
      for (const [zone, z] of next) this.#zoneStates.set(zone, z.state);
      for (const n of nodes) {
        if (hasTaint(n, TAINT_NOT_READY, 'NoExecute') || hasTaint(n, TAINT_UNREACHABLE, 'NoExecute')) await this.#markReachable(n);
      }
      return;
    }
    if (allWas && !allAre) {
      this.#log.info({}, 'Controller detected that some Nodes are Ready. Exiting master disruption mode.');
      // Every node gets a fresh grace period: their kubelets may have been cut off from us, not dead.
      for (const h of this.#health.values()) h.probeTime = now;
      for (const [zone, z] of next) {
        this.#tainters.get(zone)?.limiter.setRate(zoneEvictionRate(z.state, z.size, this.#rates), now);
        this.#zoneStates.set(zone, z.state);
      }
      return;
    }
    for (const [zone, z] of next) {
      if (this.#zoneStates.get(zone) === z.state) continue;
      this.#log.info({ zone, from: this.#zoneStates.get(zone), to: z.state }, 'zone state changed');
      this.#zoneStates.set(zone, z.state);
      if (!allAre) this.#tainters.get(zone)?.limiter.setRate(zoneEvictionRate(z.state, z.size, this.#rates), now);
    }
  }

  /** Brings one node's NoSchedule taints in line with its conditions and spec.unschedulable; a Ready node loses its NoExecute ones. */
  async reconcileNoScheduleTaints(name: string, signal: AbortSignal): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    let taints = reconcileNoScheduleTaints(node);
    // A node Ready again loses its NoExecute taints at once, not at the next monitor pass: a kubelet
    // registers NotReady and turns Ready a moment later.
    if (readyStatus(node) === 'True') {
      const updated = { ...node, spec: { ...node.spec, taints: taints ?? node.spec?.taints } };
      taints = swapNoExecuteTaints(updated, undefined, [TAINT_NOT_READY, TAINT_UNREACHABLE], '') ?? taints;
    }
    if (!taints) return;
    if (!(await this.#writeTaints(node, taints, signal))) throw new Error(`cannot update taints of node ${name}`);
  }
}

function nodeRef(node: Node): KubeObjectLike {
  // Upstream's node events name the node by name and use its name as the uid.
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata!.name, uid: node.metadata!.name } } as KubeObjectLike;
}

function positive(ms: number, what: string): number {
  if (!(ms > 0)) throw new Error(`node-lifecycle: ${what} must be > 0`);
  return ms;
}
