import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from './types.ts';
import { applyDefaults } from './defaults.ts';
import { RESOURCES } from './resources.ts';
import { hpaV1ToV2, hpaV2ToV1, BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION, METRIC_SPECS_ANNOTATION } from './autoscaling-conversion.ts';
import { validateObject } from './validation/index.ts';
import { formatHPAMetrics } from './printers/autoscaling.ts';
import { printTable } from './printers/table.ts';

const V2 = RESOURCES.find((r) => r.groupVersion === 'autoscaling/v2' && r.plural === 'horizontalpodautoscalers')!;
const V1 = RESOURCES.find((r) => r.groupVersion === 'autoscaling/v1' && r.plural === 'horizontalpodautoscalers')!;

function hpa(spec: Partial<NonNullable<HorizontalPodAutoscaler['spec']>> = {}): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, ...spec },
  };
}

test('v2 defaults: minReplicas 1, CPU at 80%, and a given behavior filled in (scale-down window left to the controller)', () => {
  const h = applyDefaults(V2, hpa());
  assert.equal(h.spec!.minReplicas, 1);
  assert.deepEqual(h.spec!.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.equal(h.spec!.behavior, undefined);
  const b = applyDefaults(V2, hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } as never }));
  assert.deepEqual(b.spec!.behavior, {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  });
  assert.equal(applyDefaults(V2, hpa({ behavior: {} })).spec!.behavior!.scaleDown!.stabilizationWindowSeconds, undefined);
});

test('v1 <-> v2: the CPU target in v1 fields, everything else in the alpha annotations, losslessly', () => {
  const v2 = hpa({
    minReplicas: 2,
    metrics: [
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 10, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } },
  });
  v2.status = {
    currentReplicas: 2, desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } },
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '14m' } } },
    ],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  };
  const v1 = hpaV2ToV1(v2);
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec!.targetCPUUtilizationPercentage, 50);
  assert.equal(v1.status!.currentCPUUtilizationPercentage, 70);
  assert.deepEqual(JSON.parse(v1.metadata!.annotations![METRIC_SPECS_ANNOTATION]!), [{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } }]);
  assert.ok(v1.metadata!.annotations![BEHAVIOR_ANNOTATION]);
  assert.ok(v1.metadata!.annotations![CONDITIONS_ANNOTATION]);
  const back = hpaV1ToV2(v1);
  assert.equal(back.metadata!.annotations, undefined);
  assert.deepEqual(back.spec, v2.spec);
  assert.deepEqual(back.status!.conditions, v2.status.conditions);
  // v1 has no current averageValue for CPU: it is the one thing that does not survive.
  assert.deepEqual(back.status!.currentMetrics, [v2.status.currentMetrics![0], { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } }]);
});

test('v1 without a CPU target converts to no metrics (v2 defaulting then adds 80%); v1 defaults minReplicas', () => {
  const v1: HorizontalPodAutoscalerV1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 2 } };
  assert.equal(applyDefaults(V1, v1).spec!.minReplicas, 1);
  assert.equal(hpaV1ToV2(v1).spec!.metrics, undefined);
});

test('validation: bounds, target reference, metric sources and targets, behavior rules', () => {
  const fields = (h: HorizontalPodAutoscaler) => validateObject(V2, h).map((e) => `${e.field}: ${e.message}`);
  const has = (list: string[], field: string, detail: string) => list.some((f) => f.startsWith(`${field}: `) && f.endsWith(detail));
  assert.deepEqual(fields(applyDefaults(V2, hpa())), []);
  assert.deepEqual(fields(hpa({ minReplicas: 0, maxReplicas: 0 })).map((f) => f.split(':')[0]), ['spec.minReplicas', 'spec.maxReplicas']);
  assert.ok(has(fields(hpa({ minReplicas: 5 })), 'spec.maxReplicas', 'must be greater than or equal to `minReplicas`'));
  assert.ok(fields(hpa({ scaleTargetRef: { kind: '', name: 'a/b' } })).some((f) => f.startsWith('spec.scaleTargetRef.kind: Required value')));
  assert.ok(has(fields(hpa({ scaleTargetRef: { kind: 'Deployment', name: 'a/b' } })), 'spec.scaleTargetRef.name', "may not contain '/'"));
  assert.ok(has(fields(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] })), 'spec.metrics[0].resource.target.averageUtilization', 'must set either a target raw value or a target utilization'));
  assert.ok(has(fields(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] })), 'spec.metrics[0].resource.target.averageUtilization', 'must be greater than 0'));
  assert.ok(has(fields(hpa({ metrics: [{ type: 'Pods', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 5 } } }] })), 'spec.metrics[0].pods', 'must populate information for the given metric source'));
  assert.ok(has(fields(hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Bogus', averageUtilization: 5 } } }] })), 'spec.metrics[0].resource.target.type', 'must be either Utilization, Value, or AverageValue'));
  const bad = fields(hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 4000, selectPolicy: 'Most', policies: [{ type: 'Pods', value: 0, periodSeconds: 2000 }] }, scaleDown: { policies: [] } } }));
  assert.deepEqual(bad.map((f) => f.split(':')[0]), [
    'spec.behavior.scaleUp.stabilizationWindowSeconds', 'spec.behavior.scaleUp.selectPolicy', 'spec.behavior.scaleUp.policies[0].value',
    'spec.behavior.scaleUp.policies[0].periodSeconds', 'spec.behavior.scaleDown.policies',
  ]);
  // v1 objects are validated as their v2 form.
  assert.ok(validateObject(V1, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x', namespace: 'd' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 0 } })
    .some((e) => e.field === 'spec.maxReplicas'));
});

test('kubectl get hpa columns and TARGETS as kubectl 1.32 prints them', () => {
  const h = applyDefaults(V2, hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] }));
  h.metadata!.creationTimestamp = '2026-01-01T00:00:00Z';
  h.status = { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '10m' } } }] };
  const t = printTable(V2, [h], { now: Date.parse('2026-01-01T00:05:00Z') });
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
  assert.deepEqual(t.rows[0]!.cells, ['web', 'Deployment/web', 'cpu: 50%/80%', '1', 3, 2, '5m']);
  assert.equal(formatHPAMetrics(undefined, undefined), '<none>');
  assert.equal(formatHPAMetrics([
    { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '64Mi' } } },
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
  ], [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '10Mi' } } }]), 'memory: 10Mi/64Mi, cpu: <unknown>/80% + 1 more...');
  // A v1 object prints the same way.
  const v1 = { ...hpaV2ToV1(h), metadata: h.metadata };
  assert.equal(printTable(V1, [v1], { now: Date.parse('2026-01-01T00:05:00Z') }).rows[0]!.cells[2], 'cpu: 50%/80%');
});
