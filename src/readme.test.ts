/**
 * The README's "What works" section and the end-to-end tests map one to one: every `test/e2e/*.test.ts`
 * file is named by a claim there, every test file named there exists, and every claim (each `- ` item of the
 * section) names at least one test file. So a new e2e file without a claim, a claim without a test, or a
 * claim naming a renamed or deleted file fails the unit tier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TEST_FILE = /`((?:src|test)\/[\w./-]+\.test\.ts)`/g;

/** The text from `## What works` up to the next `## ` heading. */
export function whatWorks(readme: string): string {
  const start = readme.search(/^## What works\s*$/m);
  if (start < 0) throw new Error('README.md has no "## What works" section');
  const rest = readme.slice(start + 1);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The claims of a section: each `- ` item with its continuation lines. */
export function claims(section: string): string[] {
  const out: string[] = [];
  for (const line of section.split('\n')) {
    if (line.startsWith('- ')) out.push(line);
    else if (out.length > 0 && line.startsWith('  ') && line.trim() !== '') out[out.length - 1] += `\n${line}`;
    else if (!line.startsWith('  ')) out.push(''); // ends the item: a heading, a paragraph or a blank line
  }
  return out.filter((c) => c !== '');
}

export const namedTestFiles = (text: string): string[] => [...text.matchAll(TEST_FILE)].map((m) => m[1]!);

const section = whatWorks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

test('every e2e test file is named by a claim in the README\'s "What works"', () => {
  const named = new Set(namedTestFiles(section));
  const e2e = globSync('test/e2e/**/*.test.ts', { cwd: ROOT }).sort();
  assert.ok(e2e.length > 0, 'found the e2e files');
  assert.deepEqual(
    e2e.filter((f) => !named.has(f)),
    [],
    'e2e files no claim in README.md "What works" names',
  );
});

test('every test file "What works" names exists', () => {
  const named = namedTestFiles(section);
  assert.ok(named.length > 0);
  assert.deepEqual(
    named.filter((f) => !existsSync(join(ROOT, f))),
    [],
    'files named in README.md "What works" that do not exist',
  );
});

test('every claim in "What works" names a test file', () => {
  const all = claims(section);
  assert.ok(all.length > 0, 'found the claims');
  assert.deepEqual(
    all.filter((c) => namedTestFiles(c).length === 0).map((c) => c.split('\n')[0]),
    [],
    'claims without a test file',
  );
});

test('the section and claim parsers', () => {
  const readme = '# x\n## What works\n\nintro `test/e2e/a.test.ts`\n\n### Part\n\n- one (`test/e2e/b.test.ts`)\n- two\n  more (`src/c.test.ts`)\n- three\n\n## Next\n- `test/e2e/d.test.ts`\n';
  const s = whatWorks(readme);
  assert.deepEqual(namedTestFiles(s), ['test/e2e/a.test.ts', 'test/e2e/b.test.ts', 'src/c.test.ts']);
  assert.deepEqual(claims(s), ['- one (`test/e2e/b.test.ts`)', '- two\n  more (`src/c.test.ts`)', '- three']);
});
