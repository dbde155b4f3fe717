#!/usr/bin/env node
// Runs the test tiers with node:test in one run (one summary for CI to read).
// `node scripts/test.ts [unit|integration|e2e|FILE.ts ...]`; no argument runs all tiers.
// Unit tests sit next to the code (src/**/*.test.ts); integration and e2e tests live under test/ and skip
// themselves with the reason test/prerequisites.ts gives when the machine lacks something they need.
//
// The run's events go to the usual `spec` output (whose closing summary lines CI reads) and, as they pass,
// every skipped or todo test is noted (scripts/skip-records.ts). A skip proves nothing, so under CI=true a
// skipped (or todo) test fails the run, except the skips that scripts/skips.ts lists with their reason.
import { existsSync, globSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, type TestEvent } from 'node:test/reporters';
import { skipRecordsOf, type SkipRecord } from './skip-records.ts';
import { formatSkip, judgeSkips } from './skips.ts';
import { longestFirst } from './test-order.ts';

const ROOT = resolve(import.meta.dirname, '..');

const tiers: Record<string, string> = {
  unit: 'src/**/*.test.ts',
  integration: 'test/integration/**/*.test.ts',
  e2e: 'test/e2e/**/*.test.ts',
};

function isCi(): boolean {
  const ci = process.env.CI ?? '';
  return ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

const asked = process.argv.slice(2);
const names = asked.length > 0 ? asked : Object.keys(tiers);
const files: string[] = [];
for (const name of names) {
  const pattern = tiers[name];
  if (pattern) {
    files.push(...globSync(pattern).sort());
  } else if (name.endsWith('.ts') && existsSync(name)) {
    files.push(name);
  } else {
    console.error(`unknown test tier ${JSON.stringify(name)} (want ${Object.keys(tiers).join(', ')}, or a test file)`);
    process.exit(2);
  }
}
if (files.length === 0) {
  console.error(`no test files in ${names.join(', ')}`);
  process.exit(1);
}
const concurrency = Number(process.env.TEST_CONCURRENCY ?? '3');
// Node's module compile cache (as src/cmd/kubeling.ts turns on for itself) for every test process and the
// servers they start, which inherit this environment: each of them otherwise strips and compiles the same
// TypeScript modules again.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache');

let failed = false;
const skips: SkipRecord[] = [];
// node:test's run() keeps the files in the order given (`node --test` sorts them by path, which left the
// longest file, the cgroup v2 VM, to run alone at the end): the longest start first, beside the rest.
const events = run({ files: longestFirst(files.map((f) => resolve(f))), concurrency });
const toSpec = new PassThrough({ objectMode: true });
events.on('data', (event: TestEvent) => {
  // A failing todo test does not fail the run (as with `node --test`); a skip or todo is judged below.
  if (event.type === 'test:fail' && !event.data.todo) failed = true;
  skips.push(...skipRecordsOf(event));
  toSpec.write(event);
});
events.on('end', () => toSpec.end());
await pipeline(toSpec, new spec(), process.stdout, { end: false });
const code = failed ? 1 : 0;

if (isCi()) {
  const { accepted, refused } = judgeSkips(skips, ROOT);
  for (const { record, allowed } of accepted) console.log(`CI: accepted ${formatSkip(record, ROOT)} [${allowed.why}]`);
  if (refused.length > 0) {
    console.log(`CI: ${refused.length} test(s) skipped or todo; under CI=true only the listed exceptions (scripts/skips.ts) may skip:`);
    for (const r of refused) console.log(`CI: ${formatSkip(r, ROOT)}`);
    process.exit(code === 0 ? 1 : code);
  }
}
process.exit(code);
