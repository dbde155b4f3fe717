/**
 * Leader election on a `coordination.k8s.io/v1` Lease, after client-go's `tools/leaderelection` with its
 * LeaseLock: every candidate tries to acquire or renew the Lease every `retryPeriod`; a Lease whose holder
 * has not renewed it for `leaseDurationSeconds` (as this candidate observed it, on its own clock, so clocks of
 * different machines never compare) may be taken over, counting `leaseTransitions`; the holder renews every
 * `retryPeriod` and steps down when no renew succeeds within `renewDeadline`. Every write is an update on the
 * resourceVersion read, so two candidates never both win.
 *
 * `runLeaderElection` calls `onStartedLeading(signal)` while it leads; the signal aborts the moment leadership
 * is lost (or the election stops), so the component stops acting at once, as an upstream component exits.
 * Unlike upstream, which exits the process, the candidate then waits for the component to return and stands
 * for election again. On a normal stop the holder releases the Lease (client-go's `ReleaseOnCancel`), so a
 * successor need not wait out the lease duration.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { jitter, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import type { Client } from '../client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../errors.ts';
import type { ResourceClient } from '../resource.ts';

/** kube-scheduler's and kube-controller-manager's defaults (`--leader-elect-lease-duration` and friends). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** `wait.JitterUntil`'s factor for the acquire loop (client-go's `JitterFactor`). */
const JITTER_FACTOR = 1.2;

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionConfig {
  client: Client;
  /** The Lease's namespace and name, e.g. `kube-system/kube-scheduler`. */
  namespace: string;
  name: string;
  /** This candidate's holderIdentity (default `<hostname>_<uuid>`, as upstream components make it). */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Runs while this candidate leads; `signal` aborts when it stops leading. */
  onStartedLeading(signal: AbortSignal): Promise<void>;
  /** Called after leadership ended and `onStartedLeading` returned. */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

/** `<hostname>_<uuid>`: unique per process, and says which machine holds a Lease. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** A `metav1.MicroTime` as the API prints it: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  readonly #c: LeaderElectionConfig;
  readonly #leases: ResourceClient<Lease>;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  /** The record last read and when (on our clock) it last changed: the basis of expiry, as upstream. */
  #observed: Lease | undefined;
  #observedAt = 0;
  #reportedLeader: string | undefined;

  constructor(config: LeaderElectionConfig) {
    this.#c = config;
    this.identity = config.identity ?? defaultIdentity();
    this.#clock = config.clock ?? realClock;
    this.#leaseMs = config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.#renewMs = config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.#retryMs = config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.#leaseMs > this.#renewMs)) throw new Error('leaderelection: leaseDuration must be greater than renewDeadline');
    if (!(this.#renewMs > JITTER_FACTOR * this.#retryMs)) throw new Error('leaderelection: renewDeadline must be greater than retryPeriod*JitterFactor');
    this.#leases = config.client.resource<Lease>('leases', config.namespace);
  }

  /** The holder this candidate saw last (empty when none). */
  get observedLeader(): string {
    return this.#observed?.spec?.holderIdentity ?? '';
  }

  /** Whether this candidate holds the Lease as far as it knows. */
  isLeader(): boolean {
    return this.observedLeader === this.identity;
  }

  /** Campaigns, leads, steps down and campaigns again until `signal` aborts; then releases a held Lease. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.#acquire(signal))) break;
      const leading = new AbortController();
      const stopLeading = () => leading.abort();
      signal.addEventListener('abort', stopLeading, { once: true });
      this.#c.logger?.info({ lease: `${this.#c.namespace}/${this.#c.name}`, identity: this.identity }, 'successfully acquired lease');
      const work = this.#c.onStartedLeading(leading.signal).catch((err) => {
        if (!leading.signal.aborted) this.#c.logger?.error({ err }, 'leading component failed');
      }).finally(() => leading.abort());
      await this.#renew(leading.signal);
      leading.abort();
      await work;
      signal.removeEventListener('abort', stopLeading);
      this.#c.logger?.info({ lease: `${this.#c.namespace}/${this.#c.name}` }, 'leader lost');
      this.#c.onStoppedLeading?.();
      // A component that ended by itself while the Lease is still ours would be started again at once:
      // wait one retry period first, so a failing component cannot spin.
      await this.#clock.sleep(jitter(this.#retryMs, JITTER_FACTOR, this.#c.random), signal).catch(() => {});
    }
    if (this.isLeader()) await this.#release();
  }

  /** Retries every retryPeriod (jittered) until the Lease is ours; false when `signal` aborted first. */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      try {
        await this.#clock.sleep(jitter(this.#retryMs, JITTER_FACTOR, this.#c.random), signal);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renew did not succeed within renewDeadline, or on stop. */
  async #renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const deadline = this.#clock.now() + this.#renewMs;
      let renewed = false;
      while (!signal.aborted) {
        if (await this.tryAcquireOrRenew(signal)) {
          renewed = true;
          break;
        }
        if (this.#clock.now() >= deadline) break;
        try {
          await this.#clock.sleep(Math.min(this.#retryMs, Math.max(0, deadline - this.#clock.now())), signal);
        } catch {
          return;
        }
        if (this.#clock.now() >= deadline) break;
      }
      if (!renewed) {
        if (!signal.aborted) this.#c.logger?.warn({ lease: `${this.#c.namespace}/${this.#c.name}` }, 'failed to renew lease: timed out waiting for the condition');
        return;
      }
      try {
        await this.#clock.sleep(this.#retryMs, signal);
      } catch {
        return;
      }
    }
  }

  /**
   * One attempt, as client-go's `tryAcquireOrRenew`: create the Lease when missing; else take or renew it
   * when it is ours or has expired (by our observation), with the resourceVersion read. True when we hold it.
   */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const spec = (prev?: Lease['spec']): NonNullable<Lease['spec']> => {
      const ours = prev?.holderIdentity === this.identity;
      return {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.round(this.#leaseMs / 1000),
        acquireTime: ours && prev?.acquireTime ? prev.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: ours ? (prev?.leaseTransitions ?? 0) : (prev?.leaseTransitions ?? 0) + 1,
      };
    };
    try {
      let current: Lease;
      try {
        current = await this.#leases.get(this.#c.name, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await this.#leases.create({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.#c.name, namespace: this.#c.namespace },
          spec: { ...spec(undefined), leaseTransitions: 0 },
        }, { signal });
        this.#observe(created, now);
        return true;
      }
      if (JSON.stringify(current.spec ?? {}) !== JSON.stringify(this.#observed?.spec ?? {})) this.#observe(current, now);
      const holder = current.spec?.holderIdentity ?? '';
      const durationMs = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && holder !== this.identity && this.#observedAt + durationMs > now) return false;
      const updated = await this.#leases.update({ ...current, spec: spec(current.spec) }, { signal });
      this.#observe(updated, now);
      return true;
    } catch (err) {
      if (!(isConflict(err) || isAlreadyExists(err)) && !signal?.aborted) {
        this.#c.logger?.warn({ err: String(err), lease: `${this.#c.namespace}/${this.#c.name}` }, 'error retrieving or updating lease');
      }
      return false;
    }
  }

  #observe(lease: Lease, now: number): void {
    this.#observed = lease;
    this.#observedAt = now;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      this.#c.onNewLeader?.(holder);
    }
  }

  /** Gives the Lease up (empty holder, 1 s duration), as client-go's `release`. */
  async #release(): Promise<void> {
    const prev = this.#observed;
    if (!prev) return;
    const now = this.#clock.now();
    try {
      const released = await this.#leases.update({
        ...prev,
        spec: { leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: prev.spec?.leaseTransitions ?? 0 },
      }, { signal: AbortSignal.timeout(this.#renewMs) });
      this.#observe(released, now);
    } catch (err) {
      this.#c.logger?.warn({ err: String(err) }, 'failed to release lease');
    }
  }
}

/** Runs `config.onStartedLeading` whenever this process holds the Lease, until `signal` aborts. */
export function runLeaderElection(config: LeaderElectionConfig, signal: AbortSignal): Promise<void> {
  return new LeaderElector(config).run(signal);
}
