import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentSecurityPolicy, resolveStaticPath } from './static-files.ts';

test('only the dashboard own files and the named packages are reachable', () => {
  assert.match(resolveStaticPath('/')!.file, /web\/index\.html$/);
  assert.match(resolveStaticPath('/app.js')!.file, /web\/app\.js$/);
  const lib = resolveStaticPath('/vendor/preact/preact.mjs')!;
  assert.equal(lib.vendor, true);
  assert.match(lib.file, /node_modules\/preact\/dist\/preact\.mjs$/);
  for (const bad of ['/../static-files.ts', '/vendor/preact/../package.json', '/vendor/nope/x.js', '/vendor/preact/README.md', '/x/../../y.js', '//etc/passwd.js', '/a\\..\\b.js']) {
    assert.equal(resolveStaticPath(bad), undefined, bad);
  }
});

test('the CSP allows the import map by its hash and nothing inline besides', () => {
  const map = '{"imports":{}}';
  const csp = contentSecurityPolicy(`<head><script type="importmap">${map}</script></head>`);
  const hash = createHash('sha256').update(map).digest('base64');
  assert.ok(csp.includes(`script-src 'self' 'sha256-${hash}';`), csp);
  assert.doesNotMatch(csp.split('; ').find((d) => d.startsWith('script-src'))!, /unsafe-inline/);
  assert.match(csp, /connect-src 'self'/);
});
