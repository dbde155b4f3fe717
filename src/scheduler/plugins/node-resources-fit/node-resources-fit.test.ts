import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode, makePod } from '../../testing/builders.ts';
import { nodeInfoOf, runFilter, runScore } from '../../testing/run-plugin.ts';
import { podResourceRequest } from '../../framework/index.ts';
import { fitsRequest, fitsRequestQuickly, NodeResourcesFit } from './node-resources-fit.ts';

test('NodeResourcesFit filter', () => {
  const node = makeNode().name('n').capacity({ cpu: '2', memory: '4Gi', pods: 3, 'example.com/gpu': 1 }).obj();
  const used = makePod().req({ cpu: '1', memory: '1Gi' }).obj();
  const cases = [
    { name: 'fits', pod: makePod().req({ cpu: '1', memory: '3Gi' }).obj(), existing: [used], want: undefined },
    { name: 'no requests fit anywhere with pod room', pod: makePod().obj(), existing: [used], want: undefined },
    {
      name: 'cpu short, preemption could help',
      pod: makePod().req({ cpu: '1500m' }).obj(), existing: [used],
      want: { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    },
    {
      name: 'cpu and memory short',
      pod: makePod().req({ cpu: '1500m', memory: '3500Mi' }).obj(), existing: [used],
      want: { code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] },
    },
    {
      name: 'more than the whole node is unresolvable',
      pod: makePod().req({ cpu: '3' }).obj(), existing: [],
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] },
    },
    {
      name: 'init containers count by their maximum',
      pod: makePod().req({ cpu: '100m' }).initReq({ cpu: '1500m' }).obj(), existing: [used],
      want: { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    },
    {
      name: 'sidecars add to the containers',
      pod: makePod().req({ cpu: '600m' }).initReq({ cpu: '500m' }, { sidecar: true }).obj(), existing: [used],
      want: { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    },
    {
      name: 'overhead counts',
      pod: makePod().req({ cpu: '900m' }).overhead({ cpu: '200m' }).obj(), existing: [used],
      want: { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    },
    {
      name: 'extended resource',
      pod: makePod().req({ 'example.com/gpu': '2' }).obj(), existing: [],
      want: { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient example.com/gpu'] },
    },
    {
      name: 'too many pods',
      pod: makePod().obj(), existing: [makePod().obj(), makePod().obj(), makePod().obj()],
      want: { code: 'Unschedulable', reasons: ['Too many pods'] },
    },
  ];
  for (const c of cases) {
    assert.deepEqual(runFilter(new NodeResourcesFit(), c.pod, node, c.existing), c.want, c.name);
    // The quick check the filter asks first agrees with the full one.
    const info = nodeInfoOf(node, c.existing);
    assert.equal(fitsRequestQuickly(podResourceRequest(c.pod), info), fitsRequest(podResourceRequest(c.pod), info).length === 0, c.name);
  }
});

test('the quick fit check agrees with the full one at and around every edge', () => {
  const node = makeNode().name('n').capacity({ cpu: '2', memory: '2Gi', 'ephemeral-storage': '1Gi', pods: 2, 'example.com/gpu': 2 }).obj();
  const existing = [makePod().req({ cpu: '1', memory: '1Gi', 'ephemeral-storage': '512Mi', 'example.com/gpu': '1' }).obj()];
  const info = nodeInfoOf(node, existing);
  for (const [resource, values] of [
    ['cpu', ['999m', '1', '1001m']],
    ['memory', ['1023Mi', '1Gi', '1025Mi']],
    ['ephemeral-storage', ['511Mi', '512Mi', '513Mi']],
    ['example.com/gpu', ['1', '2']],
  ] as const) {
    for (const v of values) {
      const req = podResourceRequest(makePod().req({ [resource]: v }).obj());
      assert.equal(fitsRequestQuickly(req, info), fitsRequest(req, info).length === 0, `${resource} ${v}`);
    }
  }
  const full = nodeInfoOf(node, [...existing, makePod().obj()]);
  assert.equal(fitsRequestQuickly(podResourceRequest(makePod().obj()), full), false, 'no room for another pod');
});

test('NodeResourcesFit least-allocated score prefers emptier nodes', () => {
  const mk = (name: string) => makeNode().name(name).capacity({ cpu: '4', memory: '4Gi', pods: 110 }).obj();
  const nodes = [
    nodeInfoOf(mk('empty')),
    nodeInfoOf(mk('half'), [makePod().req({ cpu: '2', memory: '2Gi' }).obj()]),
    // Containers without requests count as 100m / 200Mi for scoring.
    nodeInfoOf(mk('besteffort'), [makePod().obj()]),
  ];
  const pod = makePod().req({ cpu: '1', memory: '1Gi' }).obj();
  // empty: cpu (4-1)/4 = 75, mem 75 → 75; half: cpu (4-3)/4 = 25, mem 25 → 25;
  // besteffort: cpu (4000-1100)/4000 = 72, mem (4096-1224)/4096 = 70 → 71.
  assert.deepEqual(runScore(new NodeResourcesFit(), pod, nodes), { empty: 75, half: 25, besteffort: 71 });
});
