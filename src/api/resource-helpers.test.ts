import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podRequests, podLimits, podQOSClass } from './resource-helpers.ts';
import type { Container, Pod } from './types.ts';

function c(name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: 'Always'): Container {
  const ctr: Container = { name, image: 'x' };
  if (requests || limits) ctr.resources = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  if (restartPolicy) ctr.restartPolicy = restartPolicy;
  return ctr;
}
function pod(containers: Container[], initContainers: Container[] = [], overhead?: Record<string, string>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', spec: { containers, initContainers, ...(overhead ? { overhead } : {}) } };
}
function text(q: Record<string, { toString(): string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.toString()]).sort());
}

test('podRequests: containers summed, init maximum, sidecars accumulated, overhead added', () => {
  const cases: [string, Pod, Record<string, string>][] = [
    ['empty', pod([c('a')]), {}],
    ['sum of containers', pod([c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '200m' })]), { cpu: '300m', memory: '64Mi' }],
    ['init larger than containers', pod([c('a', { cpu: '100m' })], [c('i', { cpu: '1' })]), { cpu: '1' }],
    ['init smaller than containers', pod([c('a', { cpu: '2' })], [c('i', { cpu: '1' })]), { cpu: '2' }],
    // KEP-753: sidecar 500m runs beside everything; the later init container needs 1 + 500m while it runs.
    ['sidecar then init', pod([c('a', { cpu: '200m' })], [c('s', { cpu: '500m' }, undefined, 'Always'), c('i', { cpu: '1' })]), { cpu: '1500m' }],
    ['init then sidecar', pod([c('a', { cpu: '200m' })], [c('i', { cpu: '1' }), c('s', { cpu: '500m' }, undefined, 'Always')]), { cpu: '1' }],
    ['overhead', pod([c('a', { cpu: '100m' })], [], { cpu: '250m', memory: '120Mi' }), { cpu: '350m', memory: '120Mi' }],
  ];
  for (const [name, p, want] of cases) assert.deepEqual(text(podRequests(p)), want, name);
  assert.deepEqual(text(podRequests(pod([c('a'), c('b', { cpu: '1' })]), { nonMissingContainerRequests: { cpu: '100m', memory: '200Mi' } })), { cpu: '1100m', memory: '400Mi' });
  assert.deepEqual(text(podRequests(pod([c('a', { cpu: '1' })], [], { cpu: '1' }), { excludeOverhead: true })), { cpu: '1' });
  assert.deepEqual(text(podLimits(pod([c('a', undefined, { memory: '1Gi' }), c('b', undefined, { memory: '1Gi' })]))), { memory: '2Gi' });
});

test('podQOSClass follows ComputePodQOS', () => {
  const g = { cpu: '1', memory: '1Gi' };
  const cases: [string, Pod, string][] = [
    ['no resources', pod([c('a')]), 'BestEffort'],
    ['only extended resources', pod([c('a', { 'example.com/gpu': '1' }, { 'example.com/gpu': '1' })]), 'BestEffort'],
    ['zero requests', pod([c('a', { cpu: '0' })]), 'BestEffort'],
    ['requests equal limits', pod([c('a', g, g)]), 'Guaranteed'],
    ['limits only (requests defaulted)', pod([c('a', g, g), c('b', g, g)]), 'Guaranteed'],
    ['missing memory limit', pod([c('a', { cpu: '1' }, { cpu: '1' })]), 'Burstable'],
    ['requests below limits', pod([c('a', { cpu: '500m', memory: '1Gi' }, g)]), 'Burstable'],
    ['one container without limits', pod([c('a', g, g), c('b')]), 'Burstable'],
    ['init container counts', pod([c('a', g, g)], [c('i', { cpu: '100m' })]), 'Burstable'],
  ];
  for (const [name, p, want] of cases) assert.equal(podQOSClass(p), want, name);
});
