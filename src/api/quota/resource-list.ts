/**
 * Arithmetic on resource lists as upstream's quota helpers do it (pkg/quota/v1/resources.go): add, subtract,
 * mask to a set of names, compare against hard limits, and print as `pods=1,requests.cpu=500m`.
 */
import { Quantity, tryParseQuantity } from '../quantity.ts';

export type ResourceList = Record<string, Quantity>;

export function toResourceList(list: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

export function toStringList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(list).sort()) out[k] = list[k]!.toString();
  return out;
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? out[k].add(v) : v;
  return out;
}

/** SubtractWithNonNegativeResult. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(a)) {
    const d = b[k] ? v.sub(b[k]) : v;
    out[k] = d.nano < 0n ? new Quantity(0n, v.format) : d;
  }
  return out;
}

export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (list[n]) out[n] = list[n];
  return out;
}

export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list)) if (!v.isZero()) out[k] = v;
  return out;
}

/** The names of `a` above their value in `b` (names missing from either side are fine). */
export function exceeded(a: ResourceList, b: ResourceList): string[] {
  return Object.keys(b).filter((k) => a[k] && a[k].cmp(b[k]!) > 0).sort();
}

export function sameLists(a: ResourceList, b: ResourceList): boolean {
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => b[k] !== undefined && a[k]!.cmp(b[k]) === 0);
}

/** prettyPrint: `k=v` sorted by name, comma separated. */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list).sort().map((k) => `${k}=${list[k]!.toString()}`).join(',');
}
