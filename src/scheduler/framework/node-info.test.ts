import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../testing/builders.ts';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, NodeInfo, podNonZeroRequest, podResourceRequest, shareParsedRequests } from './node-info.ts';

test('NodeInfo keeps the pods with pod (anti-)affinity apart, and its pod list current', () => {
  const info = new NodeInfo(makeNode().name('n1').obj());
  const plain = makePod().name('plain').obj();
  const anti = makePod().name('anti').obj();
  anti.spec!.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  info.addPod(plain);
  info.addPod(anti);
  assert.deepEqual([...info.podsWithAffinity].map((p) => p.metadata?.name), ['anti']);
  assert.deepEqual(info.pods.map((p) => p.metadata?.name), ['plain', 'anti']);
  info.removePod(anti);
  assert.deepEqual([...info.podsWithAffinity], []);
  assert.deepEqual(info.pods.map((p) => p.metadata?.name), ['plain'], 'the list follows a removal');
  assert.deepEqual(info.clone().pods.map((p) => p.metadata?.name), ['plain']);
});

test('a clone has the same sums, pods and lists, and changes to it leave the original alone', () => {
  const info = new NodeInfo(makeNode().name('n1').capacity({ cpu: '4', memory: '8Gi', pods: 10 }).obj());
  const anti = makePod().name('anti').req({ cpu: '1', memory: '1Gi' }).podAffinity({ a: 'b' }, 'kubernetes.io/hostname', { anti: true }).obj();
  const web = makePod().name('web').req({ cpu: '500m' }).hostPort(8080).obj();
  info.addPod(anti);
  info.addPod(web);
  const copy = info.clone();
  assert.deepEqual(copy.requested, info.requested);
  assert.deepEqual(copy.nonZeroRequested, info.nonZeroRequested);
  assert.deepEqual(copy.usedPorts, info.usedPorts);
  assert.equal(copy.podCount, 2);
  assert.deepEqual(copy.allocatable, info.allocatable);
  assert.deepEqual([...copy.podsWithRequiredAntiAffinity].map((p) => p.metadata?.name), ['anti']);

  copy.removePod(anti);
  copy.removePod(web);
  copy.addPod(makePod().name('big').req({ cpu: '3' }).obj());
  assert.equal(copy.requested.milliCPU, 3000);
  assert.deepEqual(copy.usedPorts, []);
  assert.equal(copy.hasPodsWithAffinity, false);
  assert.equal(info.requested.milliCPU, 1500, 'the original keeps its sums');
  assert.equal(info.requested.memory, 2 ** 30);
  assert.equal(info.usedPorts.length, 1);
  assert.equal(info.hasPodsWithRequiredAntiAffinity, true);
  assert.deepEqual(info.pods.map((p) => p.metadata?.name), ['anti', 'web']);
});

test('requests are parsed once per pod object; an assumed copy can share them', () => {
  const pod = makePod().name('a').req({ cpu: '250m', memory: '64Mi' }).obj();
  assert.equal(podResourceRequest(pod), podResourceRequest(pod));
  assert.deepEqual(podNonZeroRequest(pod), { milliCPU: 250, memory: 64 * 2 ** 20 });
  // A container without requests is charged the scoring defaults in the non-zero view only.
  const besteffort = makePod().name('b').obj();
  assert.deepEqual(podNonZeroRequest(besteffort), { milliCPU: DEFAULT_MILLI_CPU_REQUEST, memory: DEFAULT_MEMORY_REQUEST });
  assert.equal(podResourceRequest(besteffort).milliCPU, 0);
  const assumed = { ...pod, spec: { ...pod.spec!, nodeName: 'n1' } };
  shareParsedRequests(pod, assumed);
  assert.equal(podResourceRequest(assumed), podResourceRequest(pod));
});
