/**
 * The delay before a Job makes a new pod after failures (upstream's backoffRecord and
 * getRemainingTimeForFailuresCount): 10 s after the first failure since the last success, doubling with each
 * further failure, at most 6 minutes, counted from the most recent failure. Pure.
 */
export const POD_FAILURE_BACKOFF_BASE_MS = 10_000;
export const POD_FAILURE_BACKOFF_MAX_MS = 6 * 60_000;

export interface BackoffRecord {
  /** Failed pods counted since the last success. */
  failuresAfterLastSuccess: number;
  /** When the latest of them finished (ms since epoch). */
  lastFailureTime?: number;
}

/** A record updated with newly counted pods (their finish times in ms). */
export function nextBackoffRecord(rec: BackoffRecord, succeeded: number[], failed: number[]): BackoffRecord {
  let failures = rec.failuresAfterLastSuccess;
  let last = rec.lastFailureTime;
  if (succeeded.length) {
    const lastSuccess = Math.max(...succeeded);
    failures = 0;
    last = undefined;
    failed = failed.filter((t) => t > lastSuccess);
  }
  if (failed.length) {
    failures += failed.length;
    last = Math.max(last ?? 0, ...failed);
  }
  return { failuresAfterLastSuccess: failures, lastFailureTime: last };
}

/** How long from `now` new pods must still wait (0: create now). */
export function remainingBackoffMs(rec: BackoffRecord, now: number): number {
  if (rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
  const delay = Math.min(POD_FAILURE_BACKOFF_BASE_MS * 2 ** (rec.failuresAfterLastSuccess - 1), POD_FAILURE_BACKOFF_MAX_MS);
  return Math.max(0, rec.lastFailureTime + delay - now);
}
