/** Durations and sizes as the timelines print them (ms where the times have them, SI bytes). */
import type { PodTimelineProgress } from '../../api/index.ts';
import { humanDuration } from '../../api/index.ts';

/** `1.234s`, `56ms`; whole seconds and anything over two minutes as kubectl's human durations. */
export function formatMs(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms % 1000 === 0 || ms >= 120_000) return humanDuration(ms);
  return `${+(ms / 1000).toFixed(3)}s`;
}

/** Bytes as `2.1MB`, `512kB`, `12B` (SI, as `kubeling image` prints sizes). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n}B` : `${+v.toFixed(1)}${units[i]}`;
}

/** `2.1MB/4.2MB, 1/3 layers` (what a pull step carries). */
export function formatProgress(p: PodTimelineProgress): string {
  const bytes = p.total > 0 && p.total !== p.downloaded ? `${formatBytes(p.downloaded)}/${formatBytes(p.total)}` : formatBytes(p.downloaded);
  const layers = p.layers !== undefined ? `, ${p.layersDone ?? 0}/${p.layers} layer${p.layers === 1 ? '' : 's'}` : '';
  return bytes + layers;
}


/** How long a step took: milliseconds below a second (`0ms`, `12ms`), else as formatMs. */
export function formatTook(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : formatMs(ms);
}
