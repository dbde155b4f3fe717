/** The server's V8 heap settings, and an operator's own flags winning over them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, MAX_SEMI_SPACE_MIB, serverHeapFlags, serverStartFlags } from './heap-settings.ts';

test('the server caps the heap growing factor unless node was given one', () => {
  assert.deepEqual(serverHeapFlags([], ''), [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  assert.deepEqual(serverHeapFlags(['--cpu-prof'], '--max-old-space-size=4096'), [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  assert.deepEqual(serverHeapFlags(['--heap-growing-percent=30'], ''), []);
  assert.deepEqual(serverHeapFlags([], '--enable-source-maps --heap_growing_percent=300'), []);
});

test('the server starts with a smaller young generation unless node was given its size', () => {
  assert.deepEqual(serverStartFlags(['--enable-source-maps'], ''), [`--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`]);
  // After the restart the flag is there, so it does not restart again.
  assert.deepEqual(serverStartFlags([`--max-semi-space-size=${MAX_SEMI_SPACE_MIB}`, '--cpu-prof'], ''), []);
  assert.deepEqual(serverStartFlags([], '--max-semi-space-size=64'), []);
  assert.deepEqual(serverStartFlags(['--max-heap-size=2048'], ''), []);
});
