/**
 * Runtime call tracing for profiling the node (bench/kubelet.ts): with KUBELING_TRACE_RUNTIME=FILE, the
 * agent wraps its ContainerRuntime so every call appends one JSON line `{ m, start, ms, ok, id?, pod?, ret? }`
 * to FILE: method, epoch ms with fractions, duration, the first argument when it is an id or names a pod (a
 * sandbox config), and an id it returned. Off by default; the wrapper adds one timestamp pair per call.
 * Writes are synchronous appends of one short line, so lines from concurrent calls never interleave.
 */
import { appendFileSync } from 'node:fs';
import type { ContainerRuntime } from '../runtime/runtime.ts';

/** The runtime unchanged when `file` is undefined; otherwise a proxy that records each async call. */
export function traceRuntime(runtime: ContainerRuntime, file: string | undefined): ContainerRuntime {
  if (!file) return runtime;
  const t0 = Date.now() - performance.now();
  return new Proxy(runtime, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(out instanceof Promise)) return out;
        const record = (ok: boolean, ret?: unknown) => {
          const arg = args[0];
          const pod = (arg as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
          const line = {
            m: prop,
            start: t0 + start,
            ms: performance.now() - start,
            ok,
            ...(typeof arg === 'string' ? { id: arg } : {}),
            ...(typeof pod === 'string' ? { pod } : {}),
            ...(typeof ret === 'string' ? { ret } : {}),
          };
          appendFileSync(file, JSON.stringify(line) + '\n');
        };
        return out.then(
          (v: unknown) => {
            record(true, v);
            return v;
          },
          (err: unknown) => {
            record(false);
            throw err;
          },
        );
      };
    },
  });
}
