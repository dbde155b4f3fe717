/**
 * The kubelet's event sink. src/client's `EventRecorder` satisfies it (same signature); tests pass a recording
 * fake. Reasons and messages are Kubernetes' own (`Pulling`, `Started`, `BackOff`, ...): `kubectl describe`
 * readers match on them.
 */
import type { Pod } from './api.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventOptions {
  /** `involvedObject.fieldPath` for a container's events: `spec.containers{web}`, `spec.initContainers{init}`. */
  fieldPath?: string;
}

export interface EventRecorder {
  /** Fire and forget: records (or aggregates) one event about `obj`; never throws, never blocks the caller. */
  event(obj: Pod, type: EventType, reason: string, message: string, opts?: EventOptions): void;
}

/** The fieldPath upstream puts on a container's events. */
export function containerFieldPath(pod: Pod, name: string): string {
  if (pod.spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (pod.spec?.ephemeralContainers?.some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}

/** An EventRecorder that keeps what it was told, for tests and for `kubeling run`-style printing. */
export class RecordingEventRecorder implements EventRecorder {
  readonly events: { pod: string; type: EventType; reason: string; message: string; fieldPath?: string }[] = [];

  event(obj: Pod, type: EventType, reason: string, message: string, opts: EventOptions = {}): void {
    this.events.push({
      pod: obj.metadata?.name ?? '',
      type,
      reason,
      message,
      ...(opts.fieldPath ? { fieldPath: opts.fieldPath } : {}),
    });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
