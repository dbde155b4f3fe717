#!/usr/bin/env node
// Runs the test tiers with node:test in one run (one summary for CI to read).
// `node scripts/test.ts [unit|integration|e2e|FILE.ts ...]`; no argument runs all tiers.
// Unit tests sit next to the code (src/**/*.test.ts); integration and e2e tests live under test/ and skip
// themselves with the reason test/prerequisites.ts gives when the machine lacks something they need.
//
// A skip proves nothing, so under CI=true a skipped (or todo) test fails the run, except the skips that
// scripts/skips.ts lists with their reason. scripts/skip-reporter.ts collects them, a second reporter beside
// the usual `spec` output (whose closing summary lines CI reads), into a temp file judged after the run.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SkipRecord } from './skip-reporter.ts';
import { formatSkip, judgeSkips } from './skips.ts';

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
// node --test sorts the files it is given by path, whatever their order here: the unit files run first and the
// cgroup v2 VM file (minutes) last. Starting the long files first needs node:test's run() with its own order.
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
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const work = mkdtempSync(join(tmpdir(), 'kubeling-test-run-'));
const skipsFile = join(work, 'skips.jsonl');
let code: number;
let skips: SkipRecord[];
try {
  const run = spawnSync(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(ROOT, 'scripts/skip-reporter.ts')}`,
      `--test-reporter-destination=${skipsFile}`,
      ...files,
    ],
    // Node's module compile cache (as src/cmd/kubeling.ts turns on for itself) for every test process and the
    // servers they start: each of them otherwise strips and compiles the same TypeScript modules again.
    { stdio: 'inherit', env: { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'node-compile-cache') } },
  );
  code = run.status ?? 1;
  const text = existsSync(skipsFile) ? readFileSync(skipsFile, 'utf8') : '';
  skips = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SkipRecord);
} finally {
  rmSync(work, { recursive: true, force: true });
}

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
