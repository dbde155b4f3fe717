/**
 * Plugin results as values (STYLE.md §4): `undefined` means success, a `Status` says why not and how the
 * scheduler should treat it. The codes mean what the scheduling framework's codes mean:
 * - `Unschedulable`: the node does not fit now; preemption might help.
 * - `UnschedulableAndUnresolvable`: the node cannot fit the pod whatever is evicted (wrong name, labels, taints).
 * - `Error`: the plugin itself failed (bad input, API error); the pod is retried with back-off.
 * - `Skip`: a bind plugin that does not handle this pod; a PreFilter or PreScore with nothing to do for it
 *   (its Filter or Score is left out of the cycle).
 */

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export interface Status {
  code: Exclude<Code, 'Success'>;
  /** Reasons as the failure message shows them (`Insufficient cpu`, `node(s) were unschedulable`). */
  reasons: string[];
  /** The plugin that returned it (filled in by the framework). */
  plugin?: string;
  /** The underlying error of an `Error` status. */
  cause?: unknown;
}

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorStatus(err: unknown): Status {
  return { code: 'Error', reasons: [err instanceof Error ? err.message : String(err)], cause: err };
}

export function skip(): Status {
  return { code: 'Skip', reasons: [] };
}

/** Unschedulable or UnschedulableAndUnresolvable: a normal "does not fit", not a failure of the scheduler. */
export function isRejected(status: Status | undefined): boolean {
  return status !== undefined && (status.code === 'Unschedulable' || status.code === 'UnschedulableAndUnresolvable');
}

export function statusMessage(status: Status): string {
  return status.reasons.join(', ');
}
