/**
 * What `kubeling why` hands back: one plain-language sentence that answers "why is it not Running/Ready"
 * (or says it is), then the evidence it was built from (conditions, container states, events), one line
 * each. The explain-* modules build answers from objects alone (no I/O), so every case is unit-tested.
 */
import type { Event } from '../../api/index.ts';
import { humanDuration } from '../../api/index.ts';

export interface Answer {
  /** The first sentence, for a person: what is wrong and, where the cluster knows, what would fix it. */
  sentence: string;
  /** The facts beneath it, most telling first. */
  evidence: string[];
  /** True when nothing is wrong (Running and Ready, a Ready node, a complete rollout). */
  healthy: boolean;
}

/** When an event last happened (core/v1 events carry up to three timestamps). */
export function eventTime(e: Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? Date.parse(String(t)) : 0;
}

/** `3m ago` (or `in 20s` for a time to come), measured at `now`. */
export function ago(timestamp: string | number | undefined, now: number): string {
  if (timestamp === undefined) return 'at an unknown time';
  const t = typeof timestamp === 'number' ? timestamp : Date.parse(timestamp);
  if (Number.isNaN(t)) return 'at an unknown time';
  return t > now ? `in ${humanDuration(t - now)}` : `${humanDuration(now - t)} ago`;
}

/** One evidence line per event, newest last, as `kubectl describe` lists them. */
export function eventLines(events: readonly Event[], now: number): string[] {
  return [...events]
    .sort((a, b) => eventTime(a) - eventTime(b))
    .map((e) => {
      const count = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
      return `event ${e.type ?? 'Normal'} ${e.reason ?? ''}${count} ${ago(eventTime(e), now)}: ${(e.message ?? '').trim()}`;
    });
}

/** The newest of the events with `reason` (optionally about one field path, e.g. `spec.containers{app}`). */
export function latestEvent(events: readonly Event[], reason: string, fieldPath?: string): Event | undefined {
  let best: Event | undefined;
  for (const e of events) {
    if (e.reason !== reason) continue;
    if (fieldPath !== undefined && e.involvedObject?.fieldPath !== fieldPath) continue;
    if (!best || eventTime(e) >= eventTime(best)) best = e;
  }
  return best;
}
