/**
 * The skipped and todo tests of a run (name, file, line, reason), which scripts/test.ts collects from the
 * run's events and judges after it (scripts/skips.ts). A skipped suite (`describe(..., { skip })`) is one
 * record: its tests never start.
 */
import type { TestEvent } from 'node:test/reporters';

export interface SkipRecord {
  kind: 'skip' | 'todo';
  name: string;
  file: string | undefined;
  line: number | undefined;
  /** The reason given to skip/todo, or '' when none was. */
  reason: string;
}

/** The records an event of the run gives: one per skip or todo it marks, none for the rest. */
export function skipRecordsOf(event: TestEvent): SkipRecord[] {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return [];
  const { name, file, line, skip, todo } = event.data;
  const records: SkipRecord[] = [];
  for (const [kind, value] of [
    ['skip', skip],
    ['todo', todo],
  ] as const) {
    if (value === undefined || value === false) continue;
    records.push({ kind, name, file, line, reason: typeof value === 'string' ? value : '' });
  }
  return records;
}
