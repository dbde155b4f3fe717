/**
 * The whole scheduler against MemoryApi with more nodes and pods than the HTTP tests use: every pod bound
 * once, no node over what it has, required anti-affinity kept, and the API calls one binding and one event
 * per pod. The fast paths (skipped plugins, the cache's lists, parsed requests) must not change where pods go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/index.ts';
import { Deferred } from '../machinery/index.ts';
import { Scheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing/builders.ts';
import { MemoryApi } from './testing/memory-api.ts';

test('scheduler over MemoryApi: 40 nodes, 600 pods, each bound once, within capacity, anti-affinity one per node', async () => {
  const api = new MemoryApi();
  for (let i = 0; i < 40; i++) api.put('nodes', makeNode().name(`n${i}`).capacity({ cpu: '4', memory: '8Gi', pods: 20 }).obj());
  const bindings = new Map<string, number>();
  const allBound = new Deferred<void>();
  const total = 600;
  api.onBind = (pod) => {
    bindings.set(pod.metadata.uid!, (bindings.get(pod.metadata.uid!) ?? 0) + 1);
    if (bindings.size === total) allBound.resolve();
  };
  const sched = new Scheduler({ client: api.client() });
  const stop = new AbortController();
  const running = sched.run(stop.signal);
  try {
    await Promise.all([sched.pods.synced, sched.nodes.synced]);
    for (let i = 0; i < 570; i++) api.put('pods', makePod().name(`web-${i}`).uid(`web-${i}`).req({ cpu: '200m', memory: '300Mi' }).obj());
    // 30 "green" pods that keep away from each other by hostname, and 40 nodes for them.
    for (let i = 0; i < 30; i++) {
      api.put('pods', makePod().name(`green-${i}`).uid(`green-${i}`).labels({ color: 'green' }).req({ cpu: '100m' })
        .podAffinity({ color: 'green' }, 'kubernetes.io/hostname', { anti: true }).obj());
    }
    await allBound.promise;
  } finally {
    stop.abort();
    await running;
    api.close();
  }
  const pods = api.list('pods') as unknown as Pod[];
  assert.equal(pods.filter((p) => p.spec?.nodeName).length, total);
  assert.deepEqual([...bindings.values()].filter((n) => n > 1), [], 'no pod bound twice');
  const perNode = new Map<string, { pods: number; cpu: number; mem: number; green: number }>();
  for (const p of pods) {
    const n = perNode.get(p.spec!.nodeName!) ?? { pods: 0, cpu: 0, mem: 0, green: 0 };
    const green = p.metadata?.labels?.color === 'green';
    n.pods++;
    n.cpu += green ? 100 : 200;
    n.mem += green ? 0 : 300;
    n.green += green ? 1 : 0;
    perNode.set(p.spec!.nodeName!, n);
  }
  for (const [name, n] of perNode) {
    assert.ok(n.pods <= 20 && n.cpu <= 4000 && n.mem <= 8192, `${name} over capacity: ${JSON.stringify(n)}`);
    assert.ok(n.green <= 1, `${name} has ${n.green} green pods`);
  }
  assert.equal(api.calls.get('POST pods/binding'), total);
});
