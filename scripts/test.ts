#!/usr/bin/env node
// Runs the test tiers with node:test in one run (one summary for CI to read).
// `node scripts/test.ts [unit|integration|e2e ...]`; no argument runs all tiers.
// Unit tests sit next to the code (src/**/*.test.ts); integration and e2e tests live under test/ and skip
// themselves with a reason when they need root or binaries that are missing.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const tiers: Record<string, string> = {
  unit: 'src/**/*.test.ts',
  integration: 'test/integration/**/*.test.ts',
  e2e: 'test/e2e/**/*.test.ts',
};

const asked = process.argv.slice(2);
const names = asked.length > 0 ? asked : Object.keys(tiers);
const files: string[] = [];
for (const name of names) {
  const pattern = tiers[name];
  if (!pattern) {
    console.error(`unknown test tier ${JSON.stringify(name)} (want ${Object.keys(tiers).join(', ')})`);
    process.exit(2);
  }
  files.push(...globSync(pattern).sort());
}
if (files.length === 0) {
  console.error(`no test files in ${names.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const run = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
