/**
 * The `endpoints.kubernetes.io/last-change-trigger-time` of a Service's endpoints, as upstream's
 * TriggerTimeTracker computes it: the earliest of the changes not yet reflected in the endpoints object.
 * A pod's change time is its Ready condition's lastTransitionTime (creationTimestamp without one), a
 * Service's its creationTimestamp. The tracker remembers, per Service, the times it last saw, so a sync that
 * sees nothing newer gets no time (and the annotation is dropped on the next write). Each controller owns
 * one tracker; calls for one Service come from one worker at a time (the work queue's guarantee).
 */
import type { Pod, Service } from '../../api/index.ts';

interface ServiceState {
  lastServiceTriggerTime: number;
  lastPodTriggerTimes: Map<string, number>;
}

const parse = (t: string | undefined): number => (t ? Date.parse(t) || 0 : 0);

/** Go's time.RFC3339Nano of a UTC instant: fractional seconds with trailing zeros dropped. */
export function formatRFC3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

export function podTriggerTime(pod: Pod): number {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return parse(ready?.lastTransitionTime ?? pod.metadata?.creationTimestamp);
}

export class TriggerTimeTracker {
  readonly #states = new Map<string, ServiceState>();

  /**
   * The trigger time for this sync of `svc` with `pods` (its selected pods), as an RFC 3339 string, or
   * undefined when nothing changed since the last call. Records the times seen.
   */
  compute(svc: Service, pods: Pod[]): string | undefined {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    const state = this.#states.get(key) ?? { lastServiceTriggerTime: 0, lastPodTriggerTimes: new Map() };
    let min = Infinity;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (!t) continue;
      const name = pod.metadata?.name ?? '';
      podTimes.set(name, t);
      if (t > (state.lastPodTriggerTimes.get(name) ?? 0)) min = Math.min(min, t);
    }
    const svcTime = parse(svc.metadata?.creationTimestamp);
    if (svcTime > state.lastServiceTriggerTime) min = Math.min(min, svcTime);
    this.#states.set(key, { lastServiceTriggerTime: svcTime, lastPodTriggerTimes: podTimes });
    return Number.isFinite(min) ? formatRFC3339Nano(min) : undefined;
  }

  deleteService(namespace: string, name: string): void {
    this.#states.delete(`${namespace}/${name}`);
  }
}
