import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.stop();
});

const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';

type Hpa = { apiVersion: string; metadata: { annotations?: Record<string, string>; resourceVersion: string }; spec: Record<string, unknown>; status?: Record<string, unknown> };

test('one object, two versions: created as v1 (kubectl autoscale), read and status-written as v2, read back as v1', async () => {
  const created = await s.request('POST', V1, {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const v1 = created.body as Hpa;
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.minReplicas, 1);
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);

  const read = await s.request('GET', `${V2}/web`);
  const v2 = read.body as Hpa;
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  assert.equal(v2.metadata.resourceVersion, v1.metadata.resourceVersion);

  const status = {
    currentReplicas: 1, desiredReplicas: 2,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '18m' } } }],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 2', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  };
  const written = await s.request('PUT', `${V2}/web/status`, { ...v2, status });
  assert.equal(written.status, 200, JSON.stringify(written.body));

  const back = (await s.request('GET', `${V1}/web`)).body as Hpa;
  assert.deepEqual(back.status, { currentReplicas: 1, desiredReplicas: 2, currentCPUUtilizationPercentage: 90 });
  assert.deepEqual(JSON.parse(back.metadata.annotations!['autoscaling.alpha.kubernetes.io/conditions']!), status.conditions);

  // A v1 update of the spec keeps the v2-only parts it cannot express (conditions come back from the annotation).
  const updated = await s.request('PUT', `${V1}/web`, { ...back, spec: { ...back.spec, maxReplicas: 5 } });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  const after = (await s.request('GET', `${V2}/web`)).body as Hpa;
  assert.equal(after.spec.maxReplicas, 5);
  assert.equal(after.metadata.annotations, undefined, 'the conversion annotations are not stored');
  assert.equal((after.status as { desiredReplicas: number }).desiredReplicas, 2, 'status is kept across a main-resource update');
});

test('v1 validation speaks v2 field paths; a list in either version holds the object once', async () => {
  const bad = await s.request('POST', V1, {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, minReplicas: 4, maxReplicas: 3 },
  });
  assert.equal(bad.status, 422);
  assert.match((bad.body as { message: string }).message, /spec\.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`/);
  const l1 = (await s.request('GET', V1)).body as { items: Hpa[] };
  const l2 = (await s.request('GET', V2)).body as { items: Hpa[] };
  assert.deepEqual(l1.items.map((i) => i.apiVersion), ['autoscaling/v1']);
  assert.deepEqual(l2.items.map((i) => i.apiVersion), ['autoscaling/v2']);
});
