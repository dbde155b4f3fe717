/**
 * The service proxy of one node (kube-proxy's nftables Proxier): informers on Services and EndpointSlices
 * ring a doorbell; one loop owns the kernel table and syncs it, at most once per `minSyncPeriodMs` (changes
 * in between coalesce into one sync, as upstream's BoundedFrequencyRunner) and at least once per
 * `syncPeriodMs`. Each sync computes the whole rule set (cache -> servicePorts() -> generateRules()) and
 * applies it in one `nft -f -` transaction: a partial one holding only what changed since the last sync
 * (an endpoint change rewrites one Service's chains), or a full one that rewrites the table, at start, after
 * a failure and once per `syncPeriodMs` (repairs anything changed behind its back), as upstream does.
 *
 *   informers ─▶ ring ─▶ [wait min period since last sync] ─▶ sync ─▶ wait(ring | syncPeriod) ─▶ …
 *                                                              │ fails: ring again after minSync / back-off
 *
 * The rules outlive `run`: stopping the loop leaves the table in place, so pods keep their Services while
 * the node process restarts (the next start re-syncs it atomically; established flows keep their conntrack
 * entries). `removeRules()` deletes it, for a node that stops with no pod left.
 */
import { Informer, type Client } from '../client/index.ts';
import type { EndpointSlice, Service } from '../api/index.ts';
import { Doorbell, createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { servicePorts, type ServicePortInfo } from './service-ports.ts';
import { staleUdpFlows } from './conntrack.ts';
import { cidrsOverlap, generateRules, tableName } from './nftables-rules.ts';
import { NftablesApplier, bridgeNetfilterProblem, type NftExec } from './nftables.ts';

export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';

export interface ProxierConfig {
  client: Client;
  nodeName: string;
  /** This node's pod CIDR: part of the table's name (see tableName). */
  nodePodCidr?: string;
  /** Pod addresses of the cluster (`--cluster-cidr`). */
  clusterCidr: string;
  /** Service addresses (`--service-cidr`, default 10.43.0.0/16). */
  serviceCidr?: string;
  /** Least time between two syncs (upstream's minSyncPeriod; default 100 ms). */
  minSyncPeriodMs?: number;
  /** Most time between two syncs (upstream's syncPeriod; default 30 s). */
  syncPeriodMs?: number;
  /** How nft runs (default: a child process). */
  exec?: NftExec;
  /**
   * Runs `conntrack args` to delete stale UDP flows (conntrack.ts); it should not throw when nothing matched
   * (conntrack exits 1 then). Without it no flow is deleted.
   */
  conntrack?: (args: string[]) => Promise<void>;
  clock?: Clock;
  logger?: Logger;
}

export interface SyncRecord {
  /** When the sync started and how long generating and applying took (ms). */
  startedAt: number;
  kind: 'full' | 'partial' | 'unchanged';
  generateMs: number;
  applyMs: number;
  servicePorts: number;
}

export class Proxier {
  readonly table: string;
  readonly services: Informer<Service>;
  readonly slices: Informer<EndpointSlice>;
  readonly #config: Required<Pick<ProxierConfig, 'nodeName' | 'clusterCidr' | 'serviceCidr' | 'minSyncPeriodMs' | 'syncPeriodMs'>>;
  readonly #applier: NftablesApplier;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #dirty = new Doorbell();
  #syncs = 0;
  #last: SyncRecord | undefined;
  /** When the last full sync started (-Infinity: the next sync is full). */
  #lastFull = -Infinity;
  readonly #conntrack: ((args: string[]) => Promise<void>) | undefined;
  /** The service ports of the last applied sync (stale UDP flows are what changed since). */
  #lastPorts: ServicePortInfo[] | undefined;
  #syncedListeners: (() => void)[] = [];

  constructor(config: ProxierConfig) {
    this.#config = {
      nodeName: config.nodeName,
      clusterCidr: config.clusterCidr,
      serviceCidr: config.serviceCidr ?? DEFAULT_SERVICE_CIDR,
      minSyncPeriodMs: config.minSyncPeriodMs ?? 100,
      syncPeriodMs: config.syncPeriodMs ?? 30_000,
    };
    if (this.#config.minSyncPeriodMs < 0 || this.#config.syncPeriodMs <= 0) throw new Error('proxier: sync periods must be positive');
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('proxy');
    this.table = tableName(config.nodeName, config.nodePodCidr);
    this.#conntrack = config.conntrack;
    this.#applier = new NftablesApplier({ table: this.table, ...(config.exec ? { exec: config.exec } : {}) });
    const informer = { clock: this.#clock, logger: this.#log };
    this.services = new Informer<Service>(config.client.resource<Service>('services'), informer);
    this.slices = new Informer<EndpointSlice>(config.client.resource<EndpointSlice>('endpointslices'), informer);
    for (const inf of [this.services, this.slices] as Informer<Service | EndpointSlice>[]) {
      const ring = () => this.#dirty.ring();
      inf.onAdd(ring).onUpdate(ring).onDelete(ring);
    }
  }

  /** Successful syncs so far. */
  get syncs(): number {
    return this.#syncs;
  }

  get lastSync(): SyncRecord | undefined {
    return this.#last;
  }

  /** Calls `fn` after every successful sync (tests and the benchmark wait on it). */
  onSynced(fn: () => void): void {
    this.#syncedListeners.push(fn);
  }

  /** Runs until `signal` aborts; the table stays (see the header). */
  async run(signal: AbortSignal): Promise<void> {
    if (cidrsOverlap(this.#config.serviceCidr, this.#config.clusterCidr)) {
      this.#log.error(`the service CIDR ${this.#config.serviceCidr} overlaps the pods' ${this.#config.clusterCidr}: cluster IPs may shadow pod addresses`);
    }
    const problem = await bridgeNetfilterProblem();
    if (problem) this.#log.warn(`replies between pods on one bridge will miss the Service NAT: ${problem}`);
    const informers = [this.services.run(signal), this.slices.run(signal)];
    try {
      await Promise.race([Promise.all([this.services.synced, this.slices.synced]), aborted(signal)]);
      let failures = 0;
      while (!signal.aborted) {
        const started = this.#clock.now();
        try {
          await this.sync();
          failures = 0;
        } catch (err) {
          failures++;
          this.#log.error({ err }, 'syncing the service rules failed');
          this.#dirty.ring();
        }
        // Back off on repeated failures (1 s doubling up to the sync period); otherwise keep the minimum gap.
        const gap = failures > 0
          ? Math.min(this.#config.syncPeriodMs, 1000 * 2 ** (failures - 1))
          : this.#config.minSyncPeriodMs - (this.#clock.now() - started);
        if (gap > 0) await this.#clock.sleep(gap, signal);
        await this.#nextChange(signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await Promise.allSettled(informers);
    }
  }

  /** Resolves at the next ring or after the sync period, whichever comes first; the other wait is withdrawn. */
  async #nextChange(signal: AbortSignal): Promise<void> {
    const round = new AbortController();
    const both = AbortSignal.any([signal, round.signal]);
    try {
      await Promise.race([this.#dirty.wait(both), this.#clock.sleep(this.#config.syncPeriodMs, both)]);
    } finally {
      round.abort();
    }
  }

  /** One sync from the informers' caches. Only run() calls it while running; tests may call it directly. */
  async sync(): Promise<void> {
    const startedAt = this.#clock.now();
    const ports = servicePorts(this.services.list(), this.slices.list(), this.#config.nodeName);
    const rules = generateRules(ports, { table: this.table, ...this.#config });
    const generated = this.#clock.now();
    const full = startedAt - this.#lastFull >= this.#config.syncPeriodMs;
    let kind: SyncRecord['kind'];
    try {
      kind = await this.#applier.apply(rules, { full });
    } catch (err) {
      this.#lastFull = -Infinity;
      throw err;
    }
    if (kind === 'full') this.#lastFull = startedAt;
    // Not after the first sync of a process: what the table held before is not known, and deleting flows
    // that still match the rules would break a restart's promise to keep them.
    if (this.#lastPorts && this.#conntrack) {
      for (const args of staleUdpFlows(this.#lastPorts, ports)) {
        await this.#conntrack(args).catch((err: unknown) => this.#log.warn({ err, args }, 'deleting stale UDP flows failed'));
      }
    }
    this.#lastPorts = ports;
    this.#last = { startedAt, kind, generateMs: generated - startedAt, applyMs: this.#clock.now() - generated, servicePorts: ports.length };
    this.#syncs++;
    for (const fn of this.#syncedListeners) fn();
  }

  /** Deletes this node's table (the node stops with no pod left). */
  async removeRules(): Promise<boolean> {
    return this.#applier.remove();
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
