import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../../api/index.ts';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runScore } from '../../testing/run-plugin.ts';
import { imageScore, ImageLocality, normalizedImageName } from './image-locality.ts';

const MB = 1024 * 1024;
function withImages(name: string, images: [string, number][]): Node {
  const n = makeNode().name(name).obj();
  n.status!.images = images.map(([img, size]) => ({ names: [img], sizeBytes: size }));
  return n;
}

test('image names get :latest only without tag or digest', () => {
  assert.equal(normalizedImageName('busybox'), 'busybox:latest');
  assert.equal(normalizedImageName('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizedImageName('busybox:1.35'), 'busybox:1.35');
  assert.equal(normalizedImageName('busybox@sha256:abc'), 'busybox@sha256:abc');
});

test('imageScore maps 23 MB..1000 MB per container to 0..100', () => {
  assert.equal(imageScore(0, 1), 0);
  assert.equal(imageScore(23 * MB, 1), 0);
  assert.equal(imageScore(1000 * MB, 1), 100);
  assert.equal(imageScore(5000 * MB, 1), 100);
  assert.equal(imageScore(1000 * MB, 2), 49); // (1000-23)/(2000-23)
});

test('ImageLocality prefers nodes holding the images, scaled by how many nodes have them', () => {
  const plugin = new ImageLocality();
  const pod = makePod().name('p').obj();
  pod.spec!.containers = [{ name: 'c', image: 'big:1' }];
  const nodes = [
    nodeInfoOf(withImages('has', [['big:1', 1000 * MB]])),
    nodeInfoOf(withImages('none', [['other:1', 1000 * MB]])),
  ];
  // Half of the nodes hold it: 500 MB counts → (500-23)/(1000-23) × 100 = 48.
  assert.deepEqual(runScore(plugin, pod, nodes), { has: 48, none: 0 });
});
