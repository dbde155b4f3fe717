/**
 * ProbeManager: one probe worker per (pod, container, probe kind), as upstream prober.Manager, with the
 * results caches the rest of the kubelet reads: liveness/startup for computePodActions (kill and restart),
 * readiness/startup for the status generator (ready, started). A result change wakes the pod's worker through
 * `subscribe`. Workers read container state from the PLEG cache (`statusOf`), never from the API.
 *
 * Worker, per period: skip unless the container runs; reset on a new container id (readiness starts at
 * Failure, liveness at Success, startup at Unknown); liveness and readiness wait for the startup probe;
 * initialDelaySeconds after start; a result is published only after `successThreshold` / `failureThreshold`
 * identical results in a row; after a liveness or startup failure the worker holds until the container is
 * replaced. A failing attempt records Warning `Unhealthy` ("Liveness probe failed: <output>"). Workers started
 * within one period of the kubelet's start first wait a random fraction of their period (upstream's jitter).
 */
import { Doorbell, realClock, type Clock } from '../../machinery/index.ts';
import type { ContainerRuntime } from '../../runtime/runtime.ts';
import type { Container, Pod, Probe } from '../kuberuntime/api.ts';
import { containerFieldPath, type EventRecorder } from '../kuberuntime/events.ts';
import { isSidecar, type RuntimePodStatus } from '../kuberuntime/runtime-pod.ts';
import { runProbe, type ProbeOutcome, type ProbeResult, type ProbeTarget } from './probe.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const KIND_TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };
const INITIAL: Record<ProbeKind, ProbeResult> = { liveness: 'Success', readiness: 'Failure', startup: 'Unknown' };

export interface ProbeManagerConfig {
  runtime: Pick<ContainerRuntime, 'execSync'>;
  recorder: EventRecorder;
  /** The pod's runtime status (the PLEG cache). */
  statusOf: (uid: string) => RuntimePodStatus | undefined;
  /**
   * The node's IPs: a hostNetwork pod's IP, which httpGet, tcpSocket and grpc probes dial (its sandbox has no
   * address of its own; upstream probes the pod status's podIP, the host's for such a pod).
   */
  hostIPs?: () => string[];
  clock?: Clock;
  /**
   * For the first probe's jitter (default Math.random): a worker started within one period of the kubelet's
   * start waits a random fraction of its period first, so a restarted kubelet does not probe every container
   * at once (upstream worker.run). Tests inject a fixed value.
   */
  random?: () => number;
  /**
   * Told each time a container's result of one probe kind changes (the pod timeline records it), after the
   * results cache has it; `previous` is undefined for a container's first result.
   */
  onResultChanged?: (pod: Pod, container: string, kind: ProbeKind, result: ProbeResult, previous: ProbeResult | undefined) => void;
  /** Replaces the real probe runner (tests). */
  prober?: (probe: Probe, target: ProbeTarget, signal: AbortSignal) => Promise<ProbeOutcome>;
}

/** Probe results by container id, publishing changes (upstream results.Manager). */
class ResultsCache {
  #results = new Map<string, ProbeResult>();
  get(id: string): ProbeResult | undefined {
    return this.#results.get(id);
  }
  /** True when the value changed. */
  set(id: string, r: ProbeResult): boolean {
    if (this.#results.get(id) === r) return false;
    this.#results.set(id, r);
    return true;
  }
  delete(id: string): void {
    this.#results.delete(id);
  }
}

function probeOf(c: Container, kind: ProbeKind): Probe | undefined {
  return kind === 'liveness' ? c.livenessProbe : kind === 'readiness' ? c.readinessProbe : c.startupProbe;
}

export class ProbeManager {
  #runtime: ProbeManagerConfig['runtime'];
  #recorder: EventRecorder;
  #statusOf: ProbeManagerConfig['statusOf'];
  #hostIPs: NonNullable<ProbeManagerConfig['hostIPs']>;
  #clock: Clock;
  #prober: NonNullable<ProbeManagerConfig['prober']>;
  #results: Record<ProbeKind, ResultsCache> = {
    liveness: new ResultsCache(),
    readiness: new ResultsCache(),
    startup: new ResultsCache(),
  };
  #workers = new Map<string, { ac: AbortController; done: Promise<void>; trigger: Doorbell }>();
  #listeners = new Set<(uid: string) => void>();
  #random: () => number;
  #onResultChanged: ProbeManagerConfig['onResultChanged'];
  /** When this manager (the kubelet) started, for the first-probe jitter. */
  #startedAt: number;

  constructor(config: ProbeManagerConfig) {
    this.#runtime = config.runtime;
    this.#recorder = config.recorder;
    this.#statusOf = config.statusOf;
    this.#hostIPs = config.hostIPs ?? (() => []);
    this.#clock = config.clock ?? realClock;
    this.#random = config.random ?? Math.random;
    this.#onResultChanged = config.onResultChanged;
    this.#startedAt = this.#clock.now();
    this.#prober = config.prober ?? ((probe, target, signal) => runProbe(probe, target, this.#runtime, signal));
  }

  /** The address network probes dial: the sandbox's, or the node's for a hostNetwork pod. */
  #podIP(pod: Pod, status: RuntimePodStatus | undefined): string {
    if (pod.spec?.hostNetwork) return this.#hostIPs()[0] ?? '';
    return status?.ips[0] ?? '';
  }

  // ---------------------------------------------------------- result views

  liveness(id: string): ProbeResult | undefined {
    return this.#results.liveness.get(id);
  }
  startup(id: string): ProbeResult | undefined {
    return this.#results.startup.get(id);
  }
  /** For the status generator: readiness, undefined without a result. */
  ready(id: string): boolean | undefined {
    const r = this.#results.readiness.get(id);
    return r === undefined ? undefined : r === 'Success';
  }
  started(id: string): boolean | undefined {
    const r = this.#results.startup.get(id);
    return r === undefined ? undefined : r === 'Success';
  }

  /** Called with a pod uid whenever one of its probe results changes. */
  subscribe(listener: (uid: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------- workers

  /** Starts the workers a pod needs (idempotent). Regular containers and native sidecars are probed. */
  addPod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const containers = [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])];
    for (const c of containers) {
      for (const kind of ['liveness', 'readiness', 'startup'] as ProbeKind[]) {
        const probe = probeOf(c, kind);
        const key = `${uid}/${c.name}/${kind}`;
        if (!probe || this.#workers.has(key)) continue;
        const ac = new AbortController();
        const trigger = new Doorbell();
        const done = this.#runWorker(pod, c, kind, probe, ac.signal, trigger).catch(() => {});
        this.#workers.set(key, { ac, done, trigger });
      }
    }
  }

  /**
   * Runs the pod's readiness probes now for running containers that have no Success yet (upstream's manual
   * trigger from UpdatePodStatus): a container that just started is probed at once instead of at the next
   * period, so Ready follows within a sync. Called after each pod sync; cheap when nothing is pending.
   */
  triggerReadiness(uid: string): void {
    const status = this.#statusOf(uid);
    for (const [key, w] of this.#workers) {
      if (!key.startsWith(`${uid}/`) || !key.endsWith('/readiness')) continue;
      const name = key.slice(uid.length + 1, -'/readiness'.length);
      const cur = status?.containerStatuses.find((s) => s.name === name);
      if (cur?.state === 'running' && this.#results.readiness.get(cur.id) !== 'Success') w.trigger.ring();
    }
  }

  /** Stops a pod's workers and waits for them. */
  async removePod(uid: string): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const [key, w] of this.#workers) {
      if (!key.startsWith(`${uid}/`)) continue;
      w.ac.abort();
      stopping.push(w.done);
      this.#workers.delete(key);
    }
    await Promise.all(stopping);
  }

  /** Stops every worker (kubelet shutdown). */
  async stop(): Promise<void> {
    const all = [...this.#workers.values()];
    this.#workers.clear();
    for (const w of all) w.ac.abort();
    await Promise.all(all.map((w) => w.done));
  }

  /** When this manager (the kubelet) started, ms. */
  get startedAt(): number {
    return this.#startedAt;
  }

  get workerCount(): number {
    return this.#workers.size;
  }

  async #runWorker(
    pod: Pod,
    c: Container,
    kind: ProbeKind,
    probe: Probe,
    signal: AbortSignal,
    trigger: Doorbell,
  ): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const cache = this.#results[kind];
    const period = (probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let containerId = '';
    let lastResult: ProbeResult | undefined;
    let run = 0;
    let onHold = false;
    const publish = (id: string, r: ProbeResult) => {
      const previous = cache.get(id);
      if (!cache.set(id, r)) return;
      this.#onResultChanged?.(pod, c.name, kind, r, previous);
      for (const l of this.#listeners) l(uid);
    };

    // Right after a kubelet (re)start every worker starts at once: spread their first probes over a period.
    if (period > this.#clock.now() - this.#startedAt) {
      const wait = Math.floor(this.#random() * period);
      if (wait > 0) await this.#clock.sleep(wait, signal).catch(() => {});
    }
    try {
      while (!signal.aborted) {
        const status = this.#statusOf(uid);
        const cur = status?.containerStatuses.find((s) => s.name === c.name);
        let keepGoing = true;
        if (pod.metadata?.deletionTimestamp && kind !== 'readiness') {
          // A terminating pod is not restarted by probes.
          if (cur) publish(cur.id, 'Success');
          keepGoing = false;
        } else if (!cur || cur.state !== 'running') {
          if (containerId && kind === 'readiness') publish(containerId, 'Failure');
          if (cur?.state === 'exited' && pod.spec?.restartPolicy === 'Never' && !isSidecar(c)) keepGoing = false;
        } else {
          if (cur.id !== containerId) {
            if (containerId) cache.delete(containerId);
            containerId = cur.id;
            lastResult = undefined;
            run = 0;
            onHold = false;
            // An adopted container's readiness is unknown (not Failure) until probed: Ready does not flip
            // on a kubelet restart. One the API already shows started is not probed for startup again (a
            // startup probe failing now must not kill a container that started long ago).
            if (kind === 'startup' && startedInApi(pod, c.name, cur.id)) publish(containerId, 'Success');
            else if (!(kind === 'readiness' && cur.startedAt < this.#startedAt - 10_000))
              publish(containerId, INITIAL[kind]);
          }
          const startupDone = !c.startupProbe || this.#results.startup.get(cur.id) === 'Success';
          const gated = (kind !== 'startup' && !startupDone) || (kind === 'startup' && startupDone);
          const tooEarly = this.#clock.now() - cur.startedAt < (probe.initialDelaySeconds ?? 0) * 1000;
          if (!onHold && !gated && !tooEarly) {
            const outcome = await this.#prober(
              probe,
              { pod, container: c, containerId: cur.id, podIP: this.#podIP(pod, status) },
              signal,
            );
            if (signal.aborted) break;
            // Upstream's two Unhealthy texts: a probe that ran and failed, and one that could not run (its
            // result is thrown away).
            const unhealthy =
              outcome.result === 'Failure'
                ? `${KIND_TITLE[kind]} probe failed: ${outcome.output}`
                : outcome.result === 'Unknown'
                  ? `${KIND_TITLE[kind]} probe errored and resulted in unknown state: ${outcome.output}`
                  : undefined;
            if (unhealthy)
              this.#recorder.event(pod, 'Warning', 'Unhealthy', unhealthy, { fieldPath: containerFieldPath(pod, c.name) });
            if (outcome.result !== 'Unknown') {
              run = outcome.result === lastResult ? run + 1 : 1;
              lastResult = outcome.result;
              const threshold = outcome.result === 'Success' ? successThreshold : failureThreshold;
              if (run >= threshold) {
                publish(cur.id, outcome.result);
                if (outcome.result === 'Failure' && kind !== 'readiness') {
                  // Hold until the container is replaced: the kill is in flight.
                  onHold = true;
                  run = 0;
                }
              }
            }
          }
        }
        if (!keepGoing) break;
        // The next period, or sooner when triggered (a running container without a readiness result).
        const ac = new AbortController();
        const both = AbortSignal.any([signal, ac.signal]);
        await Promise.race([this.#clock.sleep(period, both), trigger.wait(both)]).catch(() => {});
        ac.abort();
      }
    } finally {
      // A stopped worker's results go with it: no stale readiness or liveness for a gone container.
      if (containerId) cache.delete(containerId);
    }
  }
}

/** Whether the pod's API status shows this container instance as started (before a kubelet restart). */
function startedInApi(pod: Pod, name: string, containerId: string): boolean {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.some((s) => s.name === name && s.started === true && !!s.containerID?.endsWith(`://${containerId}`));
}
