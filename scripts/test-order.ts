/**
 * The order scripts/test.ts starts the test files in: the longest first, so that with a few files running at
 * once none of them is left to run alone at the end (the longest-processing-time-first rule), then the rest in
 * path order. The durations are one full run's on the project's 2-core machine (December 2026): a file missing
 * here just runs in path order, and a file that grows long belongs here.
 */
import { relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Test files that take a minute or more, longest first (seconds in one full run). */
export const LONG_FILES = [
  'test/integration/cgroup-v2-vm.test.ts', // 260 s: a qemu guest (emulated CPU) runs five oci files
  'test/e2e/pod-real.test.ts', // 150 s
  'test/e2e/simulated-nodes.test.ts', // 133 s
  'test/e2e/pod-liveness-backoff.test.ts', // 106 s: CrashLoopBackOff's real delays
  'test/e2e/node-pressure-taints.test.ts', // 99 s
  'test/e2e/pod-probes.test.ts', // 93 s
  'test/e2e/pod-container-gc.test.ts', // 64 s
  'test/e2e/hpa.test.ts', // 64 s
];

/** `files` (absolute paths) with the long ones first, in LONG_FILES' order, and the others after in path order. */
export function longestFirst(files: string[]): string[] {
  const rank = (f: string) => {
    const i = LONG_FILES.indexOf(relative(ROOT, f));
    return i < 0 ? LONG_FILES.length : i;
  };
  return files
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}
