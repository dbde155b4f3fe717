import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PullProgressLine, renderPullProgress } from './pull-progress.ts';

test('a progress line: bar, bytes of the total, layers landed', () => {
  assert.equal(
    renderPullProgress('nginx:1.27', { downloaded: 13_550_000, total: 27_100_000, layersDone: 1, layers: 3 }),
    'Pulling nginx:1.27  [##########..........]  13.6MB/27.1MB  1/3 layers',
  );
  assert.equal(renderPullProgress('busybox', { downloaded: 2_000_000, total: 2_000_000, layersDone: 1, layers: 1 }), 'Pulling busybox  [####################]  2MB/2MB  1/1 layer');
  assert.equal(renderPullProgress('busybox', { downloaded: 0, total: 0 }), 'Pulling busybox  0B', 'before the manifest is known');
});

test('on a terminal: redrawn in place at most every interval, the last layer always, ended by a newline', () => {
  let now = 0;
  const writes: string[] = [];
  const line = new PullProgressLine({ write: (t: string) => writes.push(t), columns: 200 }, 'busybox', { intervalMs: 100, now: () => now });
  line.update({ downloaded: 1000, total: 4000, layersDone: 0, layers: 2 });
  now = 50;
  line.update({ downloaded: 2000, total: 4000, layersDone: 0, layers: 2 });
  assert.equal(writes.length, 1, 'within the interval: not redrawn');
  now = 120;
  line.update({ downloaded: 3000, total: 4000, layersDone: 1, layers: 2 });
  now = 130;
  line.update({ downloaded: 4000, total: 4000, layersDone: 2, layers: 2 });
  line.done();
  assert.deepEqual(writes.slice(0, 3), [
    '\rPulling busybox  [#####...............]  1kB/4kB  0/2 layers\x1b[K',
    '\rPulling busybox  [###############.....]  3kB/4kB  1/2 layers\x1b[K',
    '\rPulling busybox  [####################]  4kB/4kB  2/2 layers\x1b[K',
  ]);
  assert.equal(writes.at(-1), '\n');
});

test('nothing drawn (an image already present, or no update): no newline either; long lines are cut to the width', () => {
  const writes: string[] = [];
  new PullProgressLine({ write: (t: string) => writes.push(t) }, 'busybox').done();
  assert.equal(writes.length, 0);
  const narrow = new PullProgressLine({ write: (t: string) => writes.push(t), columns: 20 }, 'registry.example/some/long/name:tag');
  narrow.update({ downloaded: 1, total: 2, layersDone: 0, layers: 1 });
  assert.equal(writes[0], '\rPulling registry.ex\x1b[K');
});
