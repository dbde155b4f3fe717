/**
 * The kubelet's node-level loops against the API server:
 *
 *   register   create the Node (or adopt an existing one, refreshing its labels), retrying until it works
 *   status     every 10 s compute the status; patch it when it changed, or every 5 min regardless
 *              (nodeStatusUpdateFrequency / nodeStatusReportFrequency)
 *   lease      renew kube-node-lease/<node> every 10 s (25% of its 40 s duration), retrying failures with
 *              back-off from 200 ms to 7 s
 *
 * The node lifecycle controller reads the lease for liveness and the Ready condition for health.
 */
import type { ILease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { isAlreadyExists, isConflict, isNotFound, type Client } from '../../client/index.ts';
import { Deferred, realClock, type Clock } from '../../machinery/index.ts';
import {
  buildNode,
  nodeConditions,
  nodeStatus,
  statusChanged,
  type Node,
  type NodeFacts,
  type NodeHealth,
} from './node-status.ts';

export interface NodeAgentConfig {
  client: Client;
  /** Fresh facts (machine figures are re-read for pressure conditions). */
  facts: () => Promise<NodeFacts>;
  health: () => Promise<NodeHealth>;
  images?: () => Promise<{ names: string[]; sizeBytes: number }[]>;
  clock?: Clock;
  statusUpdatePeriodMs?: number;
  statusReportPeriodMs?: number;
  leaseRenewPeriodMs?: number;
  leaseDurationSeconds?: number;
  onError?: (what: string, err: unknown) => void;
}

const LEASE_NAMESPACE = 'kube-node-lease';

/** Each condition's type and status, to tell whether someone else rewrote them. */
const conditionStatuses = (s: Node['status'] | undefined) => JSON.stringify((s?.conditions ?? []).map((c) => [c.type, c.status]));

export class NodeAgent {
  readonly #config: NodeAgentConfig;
  readonly #clock: Clock;
  readonly #registered = new Deferred<Node>();
  readonly #readyInApi = new Deferred<Node>();
  #lastReported: Node['status'] | undefined;
  #lastReportAt = 0;
  #node: Node | undefined;

  constructor(config: NodeAgentConfig) {
    this.#config = config;
    this.#clock = config.clock ?? realClock;
  }

  /** Resolves with the Node once registration succeeded. */
  get registered(): Promise<Node> {
    return this.#registered.promise;
  }

  /**
   * Resolves once a status this agent wrote came back from the API with Ready=True: from then on
   * `kubectl wait --for=condition=Ready node/NAME` succeeds.
   */
  get readyInApi(): Promise<Node> {
    return this.#readyInApi.promise;
  }

  /** The newest Node object this agent has written or read. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** Registers, then runs the status and lease loops until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.#register(signal);
    await Promise.allSettled([this.#statusLoop(signal), this.#leaseLoop(signal)]);
  }

  async #register(signal: AbortSignal): Promise<void> {
    const nodes = this.#config.client.resource<Node>('nodes');
    let delay = 100;
    while (!signal.aborted) {
      try {
        const facts = await this.#config.facts();
        const wanted = buildNode(facts);
        let node: Node;
        try {
          node = await nodes.create(wanted, { signal });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          // An existing Node (a restart, or registered before): keep it, with our labels and pod CIDR.
          const existing = await nodes.get(facts.nodeName, { signal });
          existing.metadata = {
            ...existing.metadata,
            labels: { ...existing.metadata?.labels, ...wanted.metadata?.labels },
          };
          existing.spec = {
            ...existing.spec,
            podCIDR: existing.spec?.podCIDR ?? facts.podCIDR,
            podCIDRs: existing.spec?.podCIDRs ?? [facts.podCIDR],
          };
          node = await nodes.update(existing, { signal });
        }
        this.#node = node;
        await this.syncStatus(true);
        this.#registered.resolve(this.#node);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#config.onError?.('register node', err);
        await this.#clock.sleep(delay, signal).catch(() => {});
        delay = Math.min(delay * 2, 7000);
      }
    }
  }

  /** Computes the node status and writes it when it changed, or when `force`, or every report period. */
  async syncStatus(force = false): Promise<boolean> {
    const facts = await this.#config.facts();
    const [health, images] = await Promise.all([this.#config.health(), this.#config.images?.() ?? Promise.resolve([])]);
    const now = new Date(this.#clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    let previous = this.#lastReported?.conditions ?? this.#node?.status?.conditions;
    if (!force && this.#lastReported) {
      // The node lifecycle controller sets our conditions to Unknown when our lease went stale (we were cut off,
      // or slow): compare with the API's copy, as the kubelet does, so a node that is fine says so again at once.
      const current = await this.#config.client.resource<Node>('nodes').get(facts.nodeName).catch(() => undefined);
      if (current && conditionStatuses(current.status) !== conditionStatuses(this.#lastReported)) {
        this.#node = current;
        previous = current.status?.conditions;
        force = true;
      }
    }
    const conditions = nodeConditions(facts, health, previous, now);
    const status = nodeStatus(facts, conditions, images);
    const due = this.#clock.now() - this.#lastReportAt >= (this.#config.statusReportPeriodMs ?? 300_000);
    if (!force && !due && !statusChanged(status, this.#lastReported)) return false;
    const node = await this.#writeStatus(facts.nodeName, status);
    this.#node = node;
    if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) this.#readyInApi.resolve(node);
    this.#lastReported = status;
    this.#lastReportAt = this.#clock.now();
    return true;
  }

  /**
   * PUT of nodes/status on the newest object, retried once on a conflict. (The real kubelet sends a strategic
   * merge patch; a PUT works on every API server we talk to, including one without patch support.)
   */
  async #writeStatus(name: string, status: NonNullable<Node['status']>): Promise<Node> {
    const nodes = this.#config.client.resource<Node>('nodes');
    for (let attempt = 0; ; attempt++) {
      const current = attempt === 0 && this.#node ? this.#node : await nodes.get(name);
      try {
        return await nodes.updateStatus({ ...current, status });
      } catch (err) {
        if (!isConflict(err) || attempt >= 2) throw err;
        this.#node = undefined;
      }
    }
  }

  async #statusLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#config.statusUpdatePeriodMs ?? 10_000, signal);
      } catch {
        return;
      }
      await this.syncStatus().catch((err) => this.#config.onError?.('update node status', err));
    }
  }

  /** Creates or renews the node's Lease once. */
  async renewLease(signal?: AbortSignal): Promise<ILease> {
    const facts = await this.#config.facts();
    const leases = this.#config.client.resource<ILease>('leases', LEASE_NAMESPACE);
    const renewTime = new Date(this.#clock.now()).toISOString().replace(/Z$/, '000Z');
    const spec = {
      holderIdentity: facts.nodeName,
      leaseDurationSeconds: this.#config.leaseDurationSeconds ?? 40,
      renewTime,
    };
    try {
      const lease = await leases.get(facts.nodeName, { signal });
      return await leases.update({ ...lease, spec: { ...lease.spec, ...spec } }, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const node = this.#node;
    const lease: ILease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: facts.nodeName,
        namespace: LEASE_NAMESPACE,
        ...(node?.metadata?.uid
          ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: facts.nodeName, uid: node.metadata.uid }] }
          : {}),
      },
      spec,
    };
    try {
      return await leases.create(lease, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // The namespace is missing (a fresh cluster without it): make it, as a bootstrapping server would.
      await this.#config.client
        .resource('namespaces')
        .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } }, { signal })
        .catch((e) => {
          if (!isAlreadyExists(e)) throw e;
        });
      return leases.create(lease, { signal });
    }
  }

  async #leaseLoop(signal: AbortSignal): Promise<void> {
    let retry = 200;
    while (!signal.aborted) {
      let wait = this.#config.leaseRenewPeriodMs ?? 10_000;
      try {
        await this.renewLease(signal);
        retry = 200;
      } catch (err) {
        if (signal.aborted) return;
        if (!isConflict(err)) this.#config.onError?.('renew lease', err);
        wait = retry;
        retry = Math.min(retry * 2, 7000);
      }
      try {
        await this.#clock.sleep(wait, signal);
      } catch {
        return;
      }
    }
  }
}
