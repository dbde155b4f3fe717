/**
 * A nesting limit for decoded request bodies. Upstream's JSON decoder stops at 10,000 levels; JavaScript's own
 * recursion (JSON.stringify, structuredClone, validation, patching) runs out of stack well before that, so
 * kubeling allows 1,000 levels — far beyond any real object — and refuses deeper input with a 400 before any
 * of that code sees it. The check walks the decoded value without recursion, so it is safe at any depth
 * (JSON.parse itself does not recurse).
 */
import { badRequest, type ApiError } from '../status.ts';

export const MAX_NESTING_DEPTH = 1000;

/** True when `value` nests objects or arrays deeper than `max` levels. */
export function exceedsDepth(value: unknown, max = MAX_NESTING_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: { v: object; depth: number }[] = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child as object, depth: depth + 1 });
    }
  }
  return false;
}

/** The 400 for too deep a body (the wording of Go's decoder, which says `exceeded max depth`). */
export function tooDeep(what: string, max = MAX_NESTING_DEPTH): ApiError {
  return badRequest(`${what}: exceeded max depth of ${max} nested levels`);
}
