/**
 * How a pod's containers live on a simulated node, read from the pod's annotations (the same for every
 * regular container of the pod; init containers complete at once, sidecars run):
 *
 *   kubeling.io/simulate-start-delay: 2s    containers start this long after the pod is bound (default 0)
 *   kubeling.io/simulate-exit-after: 30s    each container exits this long after it started (default: runs
 *                                           until the pod is deleted)
 *   kubeling.io/simulate-exit-code: 1       the exit code of that exit (default 0)
 *
 * Durations are Go durations as the kubelet's flags take them (`500ms`, `1m30s`). A value that does not parse
 * is ignored (the default holds), as a kubelet ignores annotations it does not understand.
 */
import { parseDurationMs } from '../eviction/thresholds.ts';
import type { Pod } from '../kuberuntime/api.ts';

export const START_DELAY_ANNOTATION = 'kubeling.io/simulate-start-delay';
export const EXIT_AFTER_ANNOTATION = 'kubeling.io/simulate-exit-after';
export const EXIT_CODE_ANNOTATION = 'kubeling.io/simulate-exit-code';

export interface PodScript {
  startDelayMs: number;
  /** Undefined: runs until stopped. */
  exitAfterMs?: number;
  exitCode: number;
}

function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    const ms = parseDurationMs(text.trim());
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

export function podScript(pod: Pod): PodScript {
  const a = pod.metadata?.annotations ?? {};
  const code = a[EXIT_CODE_ANNOTATION] !== undefined ? Number(a[EXIT_CODE_ANNOTATION]) : 0;
  const exitAfterMs = duration(a[EXIT_AFTER_ANNOTATION]);
  return {
    startDelayMs: duration(a[START_DELAY_ANNOTATION]) ?? 0,
    ...(exitAfterMs !== undefined ? { exitAfterMs } : {}),
    exitCode: Number.isInteger(code) && code >= 0 && code <= 255 ? code : 0,
  };
}
