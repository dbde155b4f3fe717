/**
 * One pod on a simulated node: what a kubelet with the fake runtime would make of it, without the runtime.
 * It keeps a synthetic runtime view (a ready sandbox with the pod's IP, container instances started, exited
 * and restarted on the pod's script, ./pod-script.ts) that moves forward against the time the caller passes,
 * and hands it to the kubelet's own status generator (status/generate.ts), so the phase, conditions and
 * container states are the kubelet's to the letter.
 *
 *   bound ─(start delay)─▶ init containers complete in order, sidecars and regular containers run
 *   running ─(exit-after)─▶ exited with the exit code ─▶ restarted per restartPolicy, after the kubelet's
 *                           crash back-off (first restart at once, then 10 s doubling to 5 min: the container
 *                           waits in CrashLoopBackOff meanwhile)
 *   deletionTimestamp ─▶ every running container stops (exit 143, SIGTERM) ─▶ terminal status, then the pod
 *                        object is removed (the caller deletes it with grace 0)
 *
 * Probes are not run: a readiness probe succeeds, and a startup probe passes, once its initialDelaySeconds
 * has passed since the container started. Pure and synchronous: the caller owns timers and I/O.
 */
import type { Container, Pod, PodStatus } from '../kuberuntime/api.ts';
import { isSidecar, type RuntimeContainerStatus, type RuntimePodStatus } from '../kuberuntime/runtime-pod.ts';
import { generatePodStatus } from '../status/generate.ts';
import { podScript, type PodScript } from './pod-script.ts';

export const SIMULATED_RUNTIME = 'fake';
const STOP_EXIT_CODE = 143;
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

interface Instance {
  id: string;
  startedAt: number;
  /** Set once exited (may be in the future: a scheduled exit). */
  finishedAt?: number;
  exitCode: number;
  reason: string;
}

interface ContainerLife {
  spec: Container;
  kind: 'init' | 'sidecar' | 'regular';
  /** Newest first. */
  instances: Instance[];
  /** When the next restart happens (set while the container waits to restart). */
  restartAt?: number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class SimulatedPod {
  pod: Pod;
  readonly uid: string;
  readonly #ip: string;
  readonly #hostIP: string;
  readonly #boundAt: number;
  readonly #script: PodScript;
  readonly #containers: ContainerLife[];
  #nextId = 0;
  #stoppedAt: number | undefined;

  constructor(pod: Pod, opts: { ip: string; hostIP: string; now: number }) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.#ip = pod.spec?.hostNetwork ? opts.hostIP : opts.ip;
    this.#hostIP = opts.hostIP;
    this.#boundAt = opts.now;
    this.#script = podScript(pod);
    this.#containers = [
      ...(pod.spec?.initContainers ?? []).map((c) => ({ spec: c, kind: isSidecar(c) ? 'sidecar' as const : 'init' as const, instances: [] })),
      ...(pod.spec?.containers ?? []).map((c) => ({ spec: c, kind: 'regular' as const, instances: [] })),
    ];
  }

  get ip(): string {
    return this.#ip;
  }

  /** The pod is being deleted: every container stops now (idempotent). */
  stop(now: number): void {
    if (this.#stoppedAt !== undefined) return;
    this.#stoppedAt = now;
    for (const c of this.#containers) {
      c.restartAt = undefined;
      const cur = c.instances[0];
      if (cur && (cur.finishedAt === undefined || cur.finishedAt > now)) {
        cur.finishedAt = now;
        cur.exitCode = STOP_EXIT_CODE;
        cur.reason = 'Error';
      }
    }
  }

  get stopped(): boolean {
    return this.#stoppedAt !== undefined;
  }

  #start(c: ContainerLife, at: number): void {
    const inst: Instance = { id: `${this.uid.slice(0, 8)}-${c.spec.name}-${this.#nextId++}`, startedAt: at, exitCode: 0, reason: '' };
    if (c.kind === 'init') {
      inst.finishedAt = at;
      inst.reason = 'Completed';
    } else if (c.kind === 'regular' && this.#script.exitAfterMs !== undefined) {
      inst.finishedAt = at + this.#script.exitAfterMs;
      inst.exitCode = this.#script.exitCode;
      inst.reason = inst.exitCode === 0 ? 'Completed' : 'Error';
    }
    c.instances.unshift(inst);
  }

  #shouldRestart(c: ContainerLife, exitCode: number): boolean {
    if (this.#stoppedAt !== undefined || c.kind === 'init') return false;
    if (c.kind === 'sidecar') return true;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  /**
   * Moves the pod's containers forward to `now`; returns when something next happens (ms), or undefined
   * when nothing will without an outside event.
   */
  advance(now: number): number | undefined {
    if (this.#stoppedAt !== undefined) return undefined;
    const startAt = this.#boundAt + this.#script.startDelayMs;
    if (now < startAt) return startAt;
    let next: number | undefined;
    const soonest = (t: number) => (next = next === undefined ? t : Math.min(next, t));
    for (const c of this.#containers) {
      if (c.instances.length === 0) {
        this.#start(c, startAt);
        continue;
      }
      const cur = c.instances[0]!;
      if (cur.finishedAt === undefined) continue;
      if (cur.finishedAt > now) {
        soonest(cur.finishedAt);
        continue;
      }
      if (!this.#shouldRestart(c, cur.exitCode)) continue;
      if (c.restartAt === undefined) {
        // The kubelet's crash back-off: the first restart at once, then 10 s doubling up to 5 min.
        const restarts = c.instances.length - 1;
        c.restartAt = cur.finishedAt + (restarts === 0 ? 0 : Math.min(BACKOFF_INITIAL_MS * 2 ** (restarts - 1), BACKOFF_MAX_MS));
      }
      if (c.restartAt <= now) {
        c.restartAt = undefined;
        this.#start(c, now);
        const started = c.instances[0]!;
        if (started.finishedAt !== undefined) soonest(started.finishedAt);
      } else soonest(c.restartAt);
    }
    // Probes "pass" once their initial delay is over: wake then so readiness flips on time.
    for (const c of this.#containers) {
      const cur = c.instances[0];
      if (!cur || (cur.finishedAt !== undefined && cur.finishedAt <= now)) continue;
      for (const probe of [c.spec.readinessProbe, c.spec.startupProbe]) {
        const at = cur.startedAt + (probe?.initialDelaySeconds ?? 0) * 1000;
        if (probe && at > now) soonest(at);
      }
    }
    return next;
  }

  /** The runtime's view at `now` (after advance). */
  runtimeStatus(now: number): RuntimePodStatus {
    const containerStatuses: RuntimeContainerStatus[] = [];
    for (const c of this.#containers) {
      c.instances.forEach((inst, i) => {
        const exited = inst.finishedAt !== undefined && inst.finishedAt <= now;
        containerStatuses.push({
          id: inst.id,
          name: c.spec.name,
          type: c.kind,
          state: exited ? 'exited' : 'running',
          createdAt: inst.startedAt,
          startedAt: inst.startedAt,
          finishedAt: exited ? inst.finishedAt! : 0,
          exitCode: exited ? inst.exitCode : 0,
          reason: exited ? inst.reason : '',
          message: '',
          image: c.spec.image ?? '',
          imageRef: c.spec.image ?? '',
          hash: '',
          restartCount: c.instances.length - 1 - i,
          podSandboxId: this.uid,
          logPath: '',
          terminationMessagePath: '',
          terminationMessagePolicy: '',
          mounts: [],
        });
      });
    }
    const ready = this.#stoppedAt === undefined;
    return {
      uid: this.uid,
      name: this.pod.metadata?.name ?? '',
      namespace: this.pod.metadata?.namespace ?? '',
      ips: ready && !this.pod.spec?.hostNetwork ? [this.#ip] : [],
      sandboxStatuses: [{
        id: this.uid,
        metadata: { name: this.pod.metadata?.name ?? '', uid: this.uid, namespace: this.pod.metadata?.namespace ?? '', attempt: 0 },
        state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
        createdAt: this.#boundAt,
        labels: {},
        annotations: {},
        network: { ip: this.pod.spec?.hostNetwork ? '' : this.#ip, additionalIps: [] },
        hostname: this.pod.metadata?.name ?? '',
        logDirectory: '',
      }],
      containerStatuses,
      timestamp: now,
    };
  }

  /** Whether every container is done for good (no restart coming): the pod is terminal. */
  #terminal(now: number): boolean {
    if (this.#stoppedAt !== undefined) return true;
    return this.#containers.every((c) => {
      const cur = c.instances[0];
      if (!cur || cur.finishedAt === undefined || cur.finishedAt > now) return false;
      return c.kind === 'init' ? true : !this.#shouldRestart(c, cur.exitCode);
    }) && this.#containers.some((c) => c.kind === 'regular');
  }

  /** The pod status a kubelet would write at `now`. */
  status(now: number): PodStatus {
    const runtimeStatus = this.runtimeStatus(now);
    const byId = new Map(this.#containers.flatMap((c) => c.instances.map((i) => [i.id, { c, i }] as const)));
    const passedAfterDelay = (id: string, kind: 'readinessProbe' | 'startupProbe'): boolean | undefined => {
      const found = byId.get(id);
      const probe = found?.c.spec[kind];
      if (!found || !probe) return undefined;
      return now >= found.i.startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
    };
    return generatePodStatus({
      pod: this.pod,
      runtimeStatus,
      runtimeName: SIMULATED_RUNTIME,
      hostIPs: [this.#hostIP],
      podIsTerminal: this.#terminal(now),
      probes: { ready: (id) => passedAfterDelay(id, 'readinessProbe'), started: (id) => passedAfterDelay(id, 'startupProbe') },
      reasonFor: (name) => {
        const c = this.#containers.find((x) => x.spec.name === name);
        if (c?.restartAt === undefined || c.restartAt <= now) return undefined;
        const seconds = Math.round((c.restartAt - (c.instances[0]?.finishedAt ?? now)) / 1000);
        return {
          reason: 'CrashLoopBackOff',
          message: `back-off ${seconds}s restarting failed container=${name} pod=${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.uid})`,
        };
      },
      now: rfc3339(now),
    });
  }
}
