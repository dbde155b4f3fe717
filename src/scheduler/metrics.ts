/**
 * The scheduler's Prometheus metrics, with kube-scheduler's names, labels and buckets
 * (pkg/scheduler/metrics): `scheduler_schedule_attempts_total{result,profile}` (result `scheduled`,
 * `unschedulable` or `error`) and `scheduler_pod_scheduling_sli_duration_seconds{attempts}`, the time from
 * a pod's first entry into the queue to its successful binding. They live in the registry given (no global state).
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export type ScheduleResult = 'scheduled' | 'unschedulable' | 'error';

/** What the scheduler reports; SchedulerMetrics keeps it in a registry, a worker thread forwards it to one. */
export interface SchedulerMetricsRecorder {
  attempt(result: ScheduleResult, profile: string, n?: number): void;
  scheduled(attempts: number, seconds: number): void;
}

export class SchedulerMetrics implements SchedulerMetricsRecorder {
  readonly #attempts: Counter<'result' | 'profile'>;
  readonly #sli: Histogram<'attempts'>;

  constructor(registry: Registry) {
    this.#attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
      labelNames: ['result', 'profile'],
      registers: [registry],
    });
    this.#sli = new Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds',
      help: 'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
      labelNames: ['attempts'],
      // Upstream's ExponentialBuckets(0.01, 2, 20).
      buckets: Array.from({ length: 20 }, (_, i) => 0.01 * 2 ** i),
      registers: [registry],
    });
  }

  /** One scheduling attempt (or `n`) of `profile` (the scheduler name) ended with `result`. */
  attempt(result: ScheduleResult, profile: string, n = 1): void {
    this.#attempts.inc({ result, profile }, n);
  }

  /** A pod was bound after `attempts` attempts, `seconds` after it was first queued. */
  scheduled(attempts: number, seconds: number): void {
    this.#sli.observe({ attempts: String(attempts) }, seconds);
  }
}
