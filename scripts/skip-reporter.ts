/**
 * A node:test reporter that records every skipped and todo test (name, file, line, reason) as one JSON line
 * each, for scripts/test.ts to judge after the run. It runs beside the `spec` reporter and prints nothing
 * itself. A skipped suite (`describe(..., { skip })`) is one record: its tests never start.
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

export default async function* skipReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, line, skip, todo } = event.data;
    for (const [kind, value] of [
      ['skip', skip],
      ['todo', todo],
    ] as const) {
      if (value === undefined || value === false) continue;
      const record: SkipRecord = { kind, name, file, line, reason: typeof value === 'string' ? value : '' };
      yield `${JSON.stringify(record)}\n`;
    }
  }
}
