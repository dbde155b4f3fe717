/**
 * Randomness, kept in one place so the rest of the code stays deterministic: object UIDs and jittered
 * periods (after apimachinery's `wait.Jitter`).
 */
import { randomUUID } from 'node:crypto';

/** A new RFC 4122 v4 UID for `metadata.uid`. */
export function newUid(): string {
  return randomUUID();
}

/**
 * `ms` plus a random extra of up to `factor * ms`, as `wait.Jitter(duration, maxFactor)`: a factor ≤ 0 means
 * 1.0. Spreads resyncs and retries so many loops started together do not stay in step.
 */
export function jitter(ms: number, factor: number, random: () => number = Math.random): number {
  if (!(factor > 0)) factor = 1;
  return ms + random() * factor * ms;
}
