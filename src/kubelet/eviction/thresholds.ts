/**
 * Eviction thresholds as the kubelet reads them (upstream pkg/kubelet/eviction/helpers.go ParseThresholdConfig):
 * `--eviction-hard=memory.available<100Mi,nodefs.available<10%`, `--eviction-soft` with
 * `--eviction-soft-grace-period=memory.available=1m30s`, `--eviction-minimum-reclaim=memory.available=50Mi`.
 * A threshold is a signal, the operator `<` (the only one upstream accepts) and a quantity or a percentage of
 * the signal's capacity. Pure: the flags and the manager's unit tests use it alike.
 */
import { parseQuantity } from '../../api/index.ts';

export type Signal =
  | 'memory.available'
  | 'nodefs.available'
  | 'nodefs.inodesFree'
  | 'imagefs.available'
  | 'imagefs.inodesFree'
  | 'pid.available';

export const SIGNALS: readonly Signal[] = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'pid.available',
];

/** An absolute quantity (bytes, inodes, pids) or a fraction (0..1) of the signal's capacity. */
export type ThresholdValue = { quantity: number; text: string } | { percentage: number; text: string };

export interface Threshold {
  signal: Signal;
  value: ThresholdValue;
  /** 0 for hard thresholds; a soft one must be met this long before pods are evicted. */
  gracePeriodMs: number;
  /** How much beyond the threshold to reclaim once it is met (`--eviction-minimum-reclaim`). */
  minReclaim?: ThresholdValue;
  hard: boolean;
}

/** Upstream's DefaultEvictionHard on Linux. */
export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%';

export class ThresholdError extends Error {}

function isSignal(s: string): s is Signal {
  return (SIGNALS as readonly string[]).includes(s);
}

/** `key<value,key<value` (or `key=value` for grace periods and minimum reclaim) into pairs. */
function pairs(text: string, sep: '<' | '='): [string, string][] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const i = part.indexOf(sep);
    if (i <= 0) throw new ThresholdError(`invalid eviction setting ${JSON.stringify(part)}: want SIGNAL${sep}VALUE`);
    return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
  });
}

export function parseThresholdValue(signal: string, text: string): ThresholdValue {
  if (text.endsWith('%')) {
    const p = Number(text.slice(0, -1));
    if (!Number.isFinite(p) || p < 0 || p > 100 || text === '%')
      throw new ThresholdError(`eviction percentage threshold ${signal} must be >= 0% and <= 100%: ${text}`);
    return { percentage: p / 100, text };
  }
  let q: number;
  try {
    q = parseQuantity(text).value();
  } catch {
    throw new ThresholdError(`invalid eviction threshold ${signal}: ${JSON.stringify(text)} is not a quantity`);
  }
  if (q < 0) throw new ThresholdError(`eviction threshold ${signal} must be positive: ${text}`);
  return { quantity: q, text };
}

/** Go's time.ParseDuration for the forms flags use (`90s`, `1m30s`, `1h`, `500ms`). */
export function parseDurationMs(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  if (text === '0') return 0;
  if (consumed !== text.length || text === '') throw new ThresholdError(`invalid duration ${JSON.stringify(text)}`);
  return total;
}

export interface ThresholdFlags {
  evictionHard?: string;
  evictionSoft?: string;
  evictionSoftGracePeriod?: string;
  evictionMinimumReclaim?: string;
}

/**
 * The thresholds the flags describe. Without `--eviction-hard` the defaults apply; a given one replaces them
 * (as the flag does upstream). Every soft threshold needs a grace period, and only signals with a threshold
 * may have a minimum reclaim.
 */
export function parseThresholds(f: ThresholdFlags): Threshold[] {
  const out: Threshold[] = [];
  const seen = new Set<string>();
  const add = (text: string, hard: boolean) => {
    for (const [signal, value] of pairs(text, '<')) {
      if (!isSignal(signal)) throw new ThresholdError(`unsupported eviction signal ${signal}`);
      const key = `${hard}/${signal}`;
      if (seen.has(key)) throw new ThresholdError(`found duplicate eviction threshold for signal ${signal}`);
      seen.add(key);
      out.push({ signal, value: parseThresholdValue(signal, value), gracePeriodMs: 0, hard });
    }
  };
  add(f.evictionHard ?? DEFAULT_EVICTION_HARD, true);
  add(f.evictionSoft ?? '', false);
  const grace = new Map(pairs(f.evictionSoftGracePeriod ?? '', '='));
  for (const t of out) {
    if (t.hard) continue;
    const g = grace.get(t.signal);
    if (g === undefined) throw new ThresholdError(`grace period must be specified for the soft eviction threshold ${t.signal}`);
    t.gracePeriodMs = parseDurationMs(g);
  }
  for (const s of grace.keys()) if (!isSignal(s)) throw new ThresholdError(`unsupported eviction signal ${s}`);
  for (const [signal, value] of pairs(f.evictionMinimumReclaim ?? '', '=')) {
    if (!isSignal(signal)) throw new ThresholdError(`unsupported eviction signal ${signal}`);
    const v = parseThresholdValue(signal, value);
    for (const t of out) if (t.signal === signal) t.minReclaim = v;
  }
  return out;
}

/** The threshold's value in the signal's units, for a capacity (percentages are of it). */
export function thresholdQuantity(v: ThresholdValue, capacity: number): number {
  return 'quantity' in v ? v.quantity : Math.floor(v.percentage * capacity);
}
