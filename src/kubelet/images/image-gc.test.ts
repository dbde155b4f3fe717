import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '../../runtime/runtime.ts';
import { FakeClock } from '../../machinery/index.ts';
import { ImageGCManager, validateImageGCPolicy } from './image-gc.ts';

const MB = 1_000_000;
const image = (id: string, size: number): Image => ({ id, repoTags: [`${id}:latest`], repoDigests: [], size, config: {} }) as unknown as Image;

function setup(images: Image[], capacity: number) {
  const clock = new FakeClock();
  const store = new Map(images.map((i) => [i.id, i]));
  const containers: { image: string; imageRef: string }[] = [];
  const removed: string[] = [];
  const gc = new ImageGCManager({
    clock,
    policy: { highThresholdPercent: 85, lowThresholdPercent: 80 },
    containers: async () => containers,
    images: {
      listImages: async () => [...store.values()],
      removeImage: async (id) => {
        store.delete(id);
        removed.push(id);
      },
      imageFsInfo: async () => {
        const used = [...store.values()].reduce((s, i) => s + i.size, 0);
        return { mountpoint: '/', usedBytes: used, capacityBytes: capacity, availableBytes: capacity - used };
      },
    },
  });
  return { clock, gc, containers, removed, store };
}

describe('image garbage collection', () => {
  it('above the high threshold frees least recently used unused images down to the low threshold; never one in use', async () => {
    const { clock, gc, containers, removed } = setup([image('a', 30 * MB), image('b', 30 * MB), image('c', 30 * MB), image('d', 2 * MB)], 100 * MB);
    // a used long ago, b used more recently, c in use now, d never used.
    containers.push({ image: 'a:latest', imageRef: 'a' });
    await gc.detectImages();
    await clock.step(60_000);
    containers.splice(0, 1, { image: 'b:latest', imageRef: 'b' });
    await gc.detectImages();
    await clock.step(120_000);
    containers.splice(0, 1, { image: 'c:latest', imageRef: 'c' });
    // 92% used ≥ 85%: free down to 80%, i.e. 12 MB: d (never used) then a (oldest use) suffice.
    assert.deepEqual(await gc.garbageCollect(), ['d', 'a']);
    assert.deepEqual(removed, ['d', 'a']);
    // 60% used now: nothing more.
    assert.deepEqual(await gc.garbageCollect(), []);
  });

  it('keeps images younger than the minimum age and does nothing under the high threshold', async () => {
    const { clock, gc } = setup([image('a', 90 * MB)], 100 * MB);
    assert.deepEqual(await gc.garbageCollect(), [], 'first seen just now');
    await clock.step(120_000);
    assert.deepEqual(await gc.garbageCollect(), ['a']);
    const small = setup([image('x', 10 * MB)], 100 * MB);
    await small.clock.step(600_000);
    assert.deepEqual(await small.gc.garbageCollect(), []);
  });

  it('deleteUnusedImages (disk pressure) frees every unused image old enough, whatever the usage', async () => {
    const { clock, gc, containers } = setup([image('a', 1 * MB), image('b', 1 * MB)], 100 * MB);
    containers.push({ image: 'b:latest', imageRef: 'b' });
    await gc.detectImages();
    await clock.step(120_000);
    assert.deepEqual(await gc.deleteUnusedImages(), ['a']);
  });

  it("checks the thresholds with the kubelet's messages", () => {
    assert.throws(() => validateImageGCPolicy({ highThresholdPercent: 101, lowThresholdPercent: 80 }), /invalid HighThresholdPercent 101, must be in range \[0-100\]/);
    assert.throws(() => validateImageGCPolicy({ highThresholdPercent: 70, lowThresholdPercent: 80 }), /LowThresholdPercent 80 can not be higher than HighThresholdPercent 70/);
  });
});
