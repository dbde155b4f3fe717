/**
 * `EventRecorder`: writes core/v1 Events about objects, as client-go's recorder + correlator do. Events are
 * fire-and-forget for the caller; one internal chain writes them in order. A repeat of the same event (same
 * object, type, reason, message, source) within 10 minutes patches the existing Event's `count` and
 * `lastTimestamp` instead of creating another, which is how `kubectl describe` shows `(x5 over 2m)`.
 *
 * Like client-go's broadcaster (a queue of 1000, DropIfChannelFull), at most 1000 events wait to be written;
 * more are dropped rather than piling up behind a slow or rate-limited API server. `close()` (a component
 * stopping) drops the waiting ones and aborts those in flight, so nothing is written after it.
 *
 * Writes about one object go out one after another, in the order recorded (a repeat patches the Event its
 * first occurrence created, and `kubectl describe` lists an object's events in order); writes about
 * different objects go out side by side, up to `maxConcurrentWrites`. One at a time, a round trip per event
 * bounds a busy component (a scheduler binding hundreds of pods a second) below its own rate, and the queue
 * overflows and drops its events.
 */
import type { Event, ObjectReference } from '../api/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import type { Client } from './client.ts';
import { isNotFound } from './errors.ts';
import type { KubeObjectLike, ResourceClient } from './resource.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderConfig {
  /** `source.component` and `reportingComponent`: `default-scheduler`, `kubelet`, ... */
  component: string;
  /** `source.host` and `reportingInstance` (the node name for kubelets). */
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** How long a repeat counts as the same event (client-go's 10 min). */
  correlationWindowMs?: number;
  /** Events written at once, each about a different object (default 8). */
  maxConcurrentWrites?: number;
  /** Events waiting or being written before more are dropped (default 1000, client-go's maxQueuedEvents). */
  maxQueuedEvents?: number;
}

export interface EventOptions {
  /** `involvedObject.fieldPath`, e.g. `spec.containers{web}` for a container's events. */
  fieldPath?: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastMs: number;
}

const MAX_CACHED = 4096;
/** client-go's maxQueuedEvents. */
const MAX_QUEUED = 1000;
const WRITE_ATTEMPTS = 3;

/** metav1.Time: RFC 3339 with second precision. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class EventRecorder {
  readonly #client: Client;
  readonly #component: string;
  readonly #host: string | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #seen = new Map<string, Seen>();
  /** Per involved object, its newest write: the next event about it waits for that one. */
  readonly #tails = new Map<string, Promise<void>>();
  /** Every write not finished yet (what flush waits for). */
  readonly #pending = new Set<Promise<void>>();
  readonly #maxWrites: number;
  readonly #maxQueued: number;
  #writing = 0;
  readonly #slotWaiters: (() => void)[] = [];
  #seq = 0;
  #queued = 0;
  #dropped = 0;
  readonly #stop = new AbortController();

  constructor(client: Client, config: EventRecorderConfig) {
    if (!config.component) throw new Error('EventRecorder: component is required');
    this.#client = client;
    this.#component = config.component;
    this.#host = config.host;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger(`events/${config.component}`);
    this.#windowMs = config.correlationWindowMs ?? 10 * 60_000;
    this.#maxWrites = config.maxConcurrentWrites ?? 8;
    this.#maxQueued = config.maxQueuedEvents ?? MAX_QUEUED;
    if (!(Number.isInteger(this.#maxWrites) && this.#maxWrites >= 1)) throw new Error(`EventRecorder: maxConcurrentWrites must be an integer >= 1, got ${this.#maxWrites}`);
  }

  /** Records one event about `obj`. Never throws and never blocks: the write happens in the background. */
  event(obj: KubeObjectLike, type: EventType, reason: string, message: string, opts: EventOptions = {}): void {
    if (this.#stop.signal.aborted) return;
    if (this.#queued >= this.#maxQueued) {
      // Logged once per 1000 so a flood of dropped events does not become a flood of log lines.
      if (this.#dropped++ % this.#maxQueued === 0) this.#log.warn({ dropped: this.#dropped, reason }, 'event queue full; dropping events');
      return;
    }
    const ref: ObjectReference = {
      kind: obj.kind,
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name,
      uid: obj.metadata?.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata?.resourceVersion,
    };
    if (opts.fieldPath) ref.fieldPath = opts.fieldPath;
    const at = this.#clock.now();
    this.#queued++;
    const object = ref.uid || `${ref.kind}/${ref.namespace ?? ''}/${ref.name ?? ''}`;
    const before = this.#tails.get(object);
    const write: Promise<void> = this.#write(before, () => this.#record(ref, type, reason, message, at)).finally(() => {
      this.#queued--;
      this.#pending.delete(write);
      if (this.#tails.get(object) === write) this.#tails.delete(object);
    });
    this.#tails.set(object, write);
    this.#pending.add(write);
  }

  /** Stops recording: events waiting to be written are dropped, those being written are aborted. */
  close(): void {
    this.#stop.abort(new Error('event recorder closed'));
    // Writes waiting for a slot wake to find the recorder closed, and each hands its slot on.
    for (const wake of this.#slotWaiters.splice(0)) {
      this.#writing++;
      wake();
    }
  }

  /** Resolves when every event recorded so far has been written (or given up on). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** After the object's previous write, in a free slot: one event's write (skipped once closed). */
  async #write(before: Promise<void> | undefined, record: () => Promise<void>): Promise<void> {
    await before;
    await this.#takeSlot();
    try {
      if (!this.#stop.signal.aborted) await record();
    } finally {
      this.#releaseSlot();
    }
  }

  /** Waits for one of the `maxConcurrentWrites` slots; a finished write hands its slot straight to the next. */
  async #takeSlot(): Promise<void> {
    if (this.#writing < this.#maxWrites || this.#stop.signal.aborted) {
      this.#writing++;
      return;
    }
    await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  #releaseSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next) next();
    else this.#writing--;
  }

  async #record(ref: ObjectReference, type: EventType, reason: string, message: string, at: number): Promise<void> {
    // client-go's getEventKey: the same source, object, type, reason and message are one event.
    const key = JSON.stringify([this.#component, this.#host ?? '', ref.kind, ref.namespace, ref.name, ref.fieldPath ?? '', ref.uid, ref.apiVersion, type, reason, message]);
    const prev = this.#seen.get(key);
    const now = rfc3339(at);
    const repeat = prev !== undefined && at - prev.lastMs <= this.#windowMs;
    const entry: Seen = repeat
      ? { ...prev, count: prev.count + 1, lastMs: at }
      : { name: this.#eventName(ref.name ?? '', at), namespace: ref.namespace || 'default', count: 1, firstTimestamp: now, lastMs: at };
    this.#seen.delete(key);
    this.#seen.set(key, entry);
    if (this.#seen.size > MAX_CACHED) this.#seen.delete(this.#seen.keys().next().value!);

    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: entry.name, namespace: entry.namespace },
      involvedObject: ref,
      reason,
      message,
      source: this.#host ? { component: this.#component, host: this.#host } : { component: this.#component },
      firstTimestamp: entry.firstTimestamp,
      lastTimestamp: now,
      count: entry.count,
      type,
      reportingComponent: this.#component,
      reportingInstance: this.#host ?? '',
    };
    const events: ResourceClient<Event> = this.#client.resource<Event>('events', entry.namespace);
    const signal = this.#stop.signal;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      try {
        if (repeat) {
          try {
            await events.patch(entry.name, { count: entry.count, lastTimestamp: now, message }, 'strategic', { signal });
            return;
          } catch (err) {
            // The first one was deleted (TTL, by hand): create it again with the running count.
            if (!isNotFound(err)) throw err;
          }
        }
        await events.create(event, { signal });
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (attempt === WRITE_ATTEMPTS) {
          this.#log.warn({ err: (err as Error).message, reason, object: `${ref.namespace ?? ''}/${ref.name ?? ''}` }, 'could not write event; dropping it');
          return;
        }
        try {
          await this.#clock.sleep(200 * attempt, signal);
        } catch {
          return;
        }
      }
    }
  }

  /** client-go names events `<object>.<unix nanoseconds in hex>`; a sequence keeps same-ms events apart. */
  #eventName(objectName: string, at: number): string {
    const nanos = BigInt(at) * 1_000_000n + BigInt(this.#seq++ % 1_000_000);
    return `${objectName}.${nanos.toString(16)}`;
  }
}
