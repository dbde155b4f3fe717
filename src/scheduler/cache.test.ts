import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.ts';
import { makeNode, makePod } from './testing/builders.ts';

const names = (list: readonly { name: string }[]) => list.map((n) => n.name);

test('the cache keeps one node list until a node comes or goes, and the lists of nodes with affinity pods current', () => {
  const cache = new SchedulerCache();
  cache.addNode(makeNode().name('n1').obj());
  cache.addNode(makeNode().name('n2').obj());
  const first = cache.nodeInfos();
  assert.equal(cache.nodeInfos(), first, 'the same array while nothing changed');
  cache.updateNode(makeNode().name('n1').labels({ zone: 'a' }).obj());
  assert.equal(cache.nodeInfos(), first, 'an update keeps the NodeInfo and the list');
  assert.equal(cache.nodeInfo('n1')!.node.metadata?.labels?.zone, 'a');

  const anti = makePod().name('anti').podAffinity({ app: 'x' }, 'kubernetes.io/hostname', { anti: true }).obj();
  const affine = makePod().name('affine').podAffinity({ app: 'x' }, 'kubernetes.io/hostname').obj();
  assert.deepEqual(names(cache.nodeLists().withAffinity), []);
  assert.deepEqual(names(cache.nodeLists().withRequiredAntiAffinity), []);
  cache.addOrUpdatePod(makePod().name('plain').node('n1').obj());
  assert.deepEqual(names(cache.nodeLists().withAffinity), []);
  cache.assumePod(anti, 'n2');
  assert.deepEqual(names(cache.nodeLists().withAffinity), ['n2']);
  assert.deepEqual(names(cache.nodeLists().withRequiredAntiAffinity), ['n2']);
  cache.addOrUpdatePod({ ...affine, spec: { ...affine.spec!, nodeName: 'n1' } });
  assert.deepEqual(names(cache.nodeLists().withAffinity), ['n1', 'n2']);
  assert.deepEqual(names(cache.nodeLists().withRequiredAntiAffinity), ['n2'], 'required affinity is not anti-affinity');
  cache.forgetPod(anti);
  assert.deepEqual(names(cache.nodeLists().withAffinity), ['n1']);
  assert.deepEqual(names(cache.nodeLists().withRequiredAntiAffinity), []);

  cache.removeNode(makeNode().name('n1').obj());
  assert.notEqual(cache.nodeInfos(), first);
  assert.deepEqual(names(cache.nodeInfos()), ['n2']);
  assert.deepEqual(names(cache.nodeLists().withAffinity), []);
});

test('the cache counts the nodes that hold each image as nodes come, change and go', () => {
  const cache = new SchedulerCache();
  const withImages = (name: string, ...images: string[][]) => {
    const node = makeNode().name(name).obj();
    node.status!.images = images.map((names) => ({ names, sizeBytes: 100 }));
    return node;
  };
  cache.addNode(withImages('n1', ['busybox:latest', 'busybox@sha256:1'], ['nginx:1']));
  cache.addNode(withImages('n2', ['busybox:latest']));
  const counts = () => Object.fromEntries(cache.nodeLists().imageNumNodes);
  assert.deepEqual(counts(), { 'busybox:latest': 2, 'busybox@sha256:1': 1, 'nginx:1': 1 });
  cache.updateNode(withImages('n1', ['nginx:1']));
  assert.deepEqual(counts(), { 'busybox:latest': 1, 'nginx:1': 1 });
  cache.removeNode(withImages('n2'));
  assert.deepEqual(counts(), { 'nginx:1': 1 });
});
