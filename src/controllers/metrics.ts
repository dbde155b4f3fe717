/**
 * client-go's work queue metrics in Prometheus form (`workqueue_adds_total`, `workqueue_depth`,
 * `workqueue_queue_duration_seconds`, `workqueue_work_duration_seconds`, `workqueue_retries_total`, each by
 * queue `name`, with client-go's buckets), for every queue `instrument`ed, in the registry given (no global
 * provider as client-go has: several control planes share one test process).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueueMetrics } from '../machinery/index.ts';

/** The part of a WorkQueue (of any key type) that is instrumented. */
interface InstrumentedQueue {
  readonly length: number;
  instrument(metrics: WorkQueueMetrics): void;
}

/** client-go's ExponentialBuckets(10e-9, 10, 10): 10 ns to 10 s. */
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

export class WorkQueueMetricsProvider {
  readonly #queues = new Map<string, InstrumentedQueue>();
  readonly #adds: Counter<'name'>;
  readonly #retries: Counter<'name'>;
  readonly #queued: Histogram<'name'>;
  readonly #worked: Histogram<'name'>;

  constructor(registry: Registry) {
    const queues = this.#queues;
    this.#adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers: [registry] });
    this.#retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers: [registry] });
    this.#queued = new Histogram({
      name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested.',
      labelNames: ['name'], buckets: QUEUE_BUCKETS, registers: [registry],
    });
    this.#worked = new Histogram({
      name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: ['name'], buckets: QUEUE_BUCKETS, registers: [registry],
    });
    new Gauge({
      name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers: [registry],
      collect() {
        for (const [name, queue] of queues) this.set({ name }, queue.length);
      },
    });
  }

  /** Reports `queue`'s work under `name` (one queue per name). */
  instrument(queue: InstrumentedQueue, name: string): void {
    this.#queues.set(name, queue);
    const labels = { name };
    this.#adds.inc(labels, 0);
    this.#retries.inc(labels, 0);
    queue.instrument({
      added: () => this.#adds.inc(labels),
      taken: (queuedMs) => this.#queued.observe(labels, queuedMs / 1000),
      finished: (workedMs) => this.#worked.observe(labels, workedMs / 1000),
      retried: () => this.#retries.inc(labels),
    });
  }
}
