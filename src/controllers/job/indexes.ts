/**
 * Completion indexes of Indexed Jobs as the API writes them (`status.completedIndexes`,
 * `status.failedIndexes`): sorted, comma-separated intervals such as `1,3-5,7`. Pure.
 */

/** Parses an interval list; entries outside [0, completions) are dropped, as upstream does on read. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= to && i < completions; i++) if (i >= 0) out.add(i);
  }
  return out;
}

export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The first `n` indexes in [0, completions) not in any of `taken`, lowest first. */
export function firstPendingIndexes(completions: number, n: number, ...taken: ReadonlySet<number>[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < n; i++) if (!taken.some((s) => s.has(i))) out.push(i);
  return out;
}
