/**
 * The kubelet's event sink. src/client's `EventRecorder` satisfies it (same signature); tests pass a recording
 * fake. Reasons and messages are Kubernetes' own (`Pulling`, `Started`, `BackOff`, ...): `kubectl describe`
 * readers match on them.
 */
import type { Pod } from './api.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Fire and forget: records (or aggregates) one event about `obj`; never throws, never blocks the caller. */
  event(obj: Pod, type: EventType, reason: string, message: string): void;
}

/** An EventRecorder that keeps what it was told, for tests and for `kubeling run`-style printing. */
export class RecordingEventRecorder implements EventRecorder {
  readonly events: { pod: string; type: EventType; reason: string; message: string }[] = [];

  event(obj: Pod, type: EventType, reason: string, message: string): void {
    this.events.push({ pod: obj.metadata?.name ?? '', type, reason, message });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
