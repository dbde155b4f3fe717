/**
 * V8 heap settings for `kubeling server` (issue 15: the server's memory at 100,000 pods).
 *
 * V8 lets the old generation grow to up to four times what the last full GC left live before it collects again
 * (its growing factor follows GC speed against allocation speed, bounded by halfway to the heap limit, a
 * quarter of the machine's memory up to 4 GiB). A server whose live heap is most of its memory (the watch
 * caches) and which allocates steadily (every request, every event) sat at about twice its live heap: with
 * 700 MiB of cached pods that is 1.4 GiB more RSS. `--heap-growing-percent=100` makes the next full GC come
 * when the heap has doubled instead, whatever the speeds: more full GCs (marking runs concurrently, on the
 * other core), half the headroom. The flag is read at every GC, so it can be set once the process runs.
 *
 * The young generation is sized at start-up only, so `kubeling server` starts node again in its own place with
 * `--max-semi-space-size=16` (process.execve, before anything else loads): Node 24 lets each of its two
 * semi-spaces grow to 64 MiB on a machine this size, 128 MiB of RSS that a burst of requests fills and that
 * stays; 16 MiB (V8's default for a browser tab's heap) costs scavenges that promote a little more.
 *
 * An operator's own choice, given to node (`node --heap-growing-percent=… kubeling.ts server`) or in
 * NODE_OPTIONS, is kept.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;
export const MAX_SEMI_SPACE_MIB = 16;

/** The names of the flags node was given, on its command line or in NODE_OPTIONS (`_` spelled `-`). */
function givenFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  return [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.replace(/^--/, '').replace(/_/g, '-').split('=')[0]!);
}

/** The V8 flags to set in the running server: those of ours that neither node's arguments nor NODE_OPTIONS set. */
export function serverHeapFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  return givenFlags(execArgv, nodeOptions).includes('heap-growing-percent') ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

/** The flags node must start the server with (read only at start-up), unless given already; [] when none. */
export function serverStartFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = givenFlags(execArgv, nodeOptions);
  return given.includes('max-semi-space-size') || given.includes('max-heap-size') ? [] : [`--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`];
}

/**
 * For `kubeling server`: node again in this process's place with the start-up flags when they are missing
 * (returns only when nothing is to be done, or where process.execve does not exist).
 */
export function restartWithServerFlags(): void {
  const flags = serverStartFlags(process.execArgv, process.env.NODE_OPTIONS ?? '');
  if (flags.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)]);
}

export function applyServerHeapSettings(): void {
  for (const flag of serverHeapFlags(process.execArgv, process.env.NODE_OPTIONS ?? '')) setFlagsFromString(flag);
}
