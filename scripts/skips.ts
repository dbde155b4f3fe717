/**
 * Which skips a CI run accepts. scripts/skip-records.ts records every skipped and todo test; under CI=true
 * scripts/test.ts fails the run on each record `judgeSkips` refuses. Only ALLOWED_SKIPS pass: a listed file
 * skipped with exactly the listed reason (the same file skipped for any other reason, say a missing crun,
 * is refused). A todo is never accepted: it marks a known gap, and the host suite has none.
 */
import { relative } from 'node:path';
import { CGROUP_V1_HOST } from '../test/prerequisites.ts';
import type { SkipRecord } from './skip-records.ts';

export interface AllowedSkip {
  /** The test file, relative to the repository root. */
  file: string;
  reason: string;
  /** Why skipping it loses nothing (printed with each accepted skip). */
  why: string;
}

export const ALLOWED_SKIPS: AllowedSkip[] = [
  {
    file: 'test/integration/oci-cgroup-v2.test.ts',
    reason: CGROUP_V1_HOST,
    why: 'a cgroup v1 host cannot run the cgroup v2 suite; test/integration/cgroup-v2-vm.test.ts runs it in a cgroup v2 VM',
  },
];

/** The record's file relative to `root` ('' when the reporter gave none). */
function fileOf(r: SkipRecord, root: string): string {
  if (!r.file) return '';
  return relative(root, r.file.startsWith('file:') ? new URL(r.file).pathname : r.file);
}

export function judgeSkips(
  records: SkipRecord[],
  root: string,
  allowedSkips: AllowedSkip[] = ALLOWED_SKIPS,
): { accepted: { record: SkipRecord; allowed: AllowedSkip }[]; refused: SkipRecord[] } {
  const accepted: { record: SkipRecord; allowed: AllowedSkip }[] = [];
  const refused: SkipRecord[] = [];
  for (const record of records) {
    const file = fileOf(record, root);
    const allowed =
      record.kind === 'skip' ? allowedSkips.find((a) => a.file === file && a.reason === record.reason) : undefined;
    if (allowed) accepted.push({ record, allowed });
    else refused.push(record);
  }
  return { accepted, refused };
}

/** One line for a record: `skipped: NAME (FILE:LINE): REASON`. */
export function formatSkip(r: SkipRecord, root: string): string {
  const file = fileOf(r, root) || '?';
  return `${r.kind === 'skip' ? 'skipped' : 'todo'}: ${r.name} (${file}${r.line ? `:${r.line}` : ''}): ${r.reason || '(no reason given)'}`;
}
