/**
 * The kubelet's Prometheus metrics (pkg/kubelet/metrics), in a registry of the kubelet's own that its HTTPS
 * server renders at `/metrics`:
 *
 * - `kubelet_running_pods`: pods with a running sandbox, and `kubelet_running_containers{container_state}`:
 *   containers by state, both as the last PLEG relist saw the runtime;
 * - `kubelet_pleg_relist_duration_seconds`: how long each relist took;
 * - `kubelet_pod_start_sli_duration_seconds`: from a pod's creationTimestamp to the first status in which all
 *   its containers have started, for pods this kubelet saw start (not pods adopted already running).
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Pod, PodStatus } from '../kuberuntime/api.ts';

/** metrics.DefBuckets (prometheus' defaults), upstream's buckets for the relist duration. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Upstream's buckets for kubelet_pod_start_sli_duration_seconds. */
const POD_START_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

/** What one relist saw: pods with a ready sandbox and containers by CRI state. */
export interface RelistCounts {
  runningPods: number;
  /** CRI container states (`CONTAINER_RUNNING`, ...) to counts. */
  containers: Record<string, number>;
}

/** kubecontainer.State names, the container_state label values. */
const CONTAINER_STATE: Record<string, string> = {
  CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited', CONTAINER_UNKNOWN: 'unknown',
};

export class KubeletMetrics {
  readonly registry: Registry;
  readonly #relist: Histogram;
  readonly #podStart: Histogram;
  #counts: RelistCounts = { runningPods: 0, containers: {} };
  /** Pods seen with containers not yet started, waiting for the status in which all have. */
  readonly #starting = new Map<string, number>();

  constructor(registry: Registry) {
    this.registry = registry;
    this.#relist = new Histogram({
      name: 'kubelet_pleg_relist_duration_seconds', help: 'Duration in seconds for relisting pods in PLEG.', buckets: DEFAULT_BUCKETS, registers: [registry],
    });
    this.#podStart = new Histogram({
      name: 'kubelet_pod_start_sli_duration_seconds',
      help: 'Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch',
      buckets: POD_START_BUCKETS,
      registers: [registry],
    });
    const counts = () => this.#counts;
    new Gauge({
      name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox', registers: [registry],
      collect() {
        this.set(counts().runningPods);
      },
    });
    new Gauge({
      name: 'kubelet_running_containers', help: 'Number of containers currently running', labelNames: ['container_state'], registers: [registry],
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(counts().containers)) this.inc({ container_state: CONTAINER_STATE[state] ?? 'unknown' }, n);
      },
    });
  }

  /** After each PLEG relist. */
  relisted(durationMs: number, counts: RelistCounts): void {
    this.#relist.observe(durationMs / 1000);
    this.#counts = counts;
  }

  /** Every status the kubelet computes for a pod (the status manager's input). */
  podStatus(pod: Pod, status: PodStatus, now: number): void {
    const uid = pod.metadata?.uid;
    const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
    if (!uid || Number.isNaN(created)) return;
    const want = pod.spec?.containers?.length ?? 0;
    const started = (status.containerStatuses ?? []).filter((c) => c.started === true || c.state?.running !== undefined).length;
    const allStarted = want > 0 && started >= want && status.phase === 'Running';
    if (!allStarted) {
      if (status.phase === 'Pending' || status.phase === 'Running' || status.phase === undefined) {
        if (this.#starting.size > 10_000) this.#starting.clear();
        this.#starting.set(uid, created);
      } else {
        this.#starting.delete(uid);
      }
      return;
    }
    if (!this.#starting.has(uid)) return;
    this.#starting.delete(uid);
    this.#podStart.observe(Math.max(0, now - created) / 1000);
  }
}
