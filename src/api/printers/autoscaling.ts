/**
 * Table printer of HorizontalPodAutoscalers: upstream's printHorizontalPodAutoscaler columns (NAME REFERENCE
 * TARGETS MINPODS MAXPODS REPLICAS AGE), with TARGETS as formatHPAMetrics writes it in 1.32 (`cpu: 50%/80%`,
 * `memory: 10Mi/64Mi`, at most two metrics then `+ N more...`). autoscaling/v1 objects print as their v2 form.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1, KubeObject, MetricSpec, MetricStatus, TableColumnDefinition } from '../types.ts';
import { hpaV1ToV2 } from '../autoscaling-conversion.ts';

export interface AutoscalingPrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { type?: string; priority?: number; format?: string }) => TableColumnDefinition;

const UNKNOWN = '<unknown>';

function q(v: unknown): string {
  return v === undefined || v === null ? '0' : String(v);
}

function formatOne(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External': {
      const t = spec.external!.target;
      if (t.averageValue !== undefined) return `${status?.external?.current.averageValue !== undefined ? q(status.external.current.averageValue) : UNKNOWN}/${q(t.averageValue)} (avg)`;
      return `${status?.external ? q(status.external.current.value) : UNKNOWN}/${q(t.value)}`;
    }
    case 'Pods':
      return `${status?.pods ? q(status.pods.current.averageValue) : UNKNOWN}/${q(spec.pods!.target.averageValue)}`;
    case 'Object': {
      const t = spec.object!.target;
      if (t.averageValue !== undefined) return `${status?.object?.current.averageValue !== undefined ? q(status.object.current.averageValue) : UNKNOWN}/${q(t.averageValue)} (avg)`;
      return `${status?.object ? q(status.object.current.value) : UNKNOWN}/${q(t.value)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource! : spec.containerResource!;
      const cur = spec.type === 'Resource' ? status?.resource : status?.containerResource;
      if (src.target.averageValue !== undefined) return `${src.name}: ${cur ? q(cur.current.averageValue) : UNKNOWN}/${q(src.target.averageValue)}`;
      const current = cur?.current.averageUtilization !== undefined ? `${cur.current.averageUtilization}%` : UNKNOWN;
      const target = src.target.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
      return `${src.name}: ${current}/${target}`;
    }
    default:
      return '<unknown type>';
  }
}

/** formatHPAMetrics: each metric's current/target, the status matched to the spec by position. */
export function formatHPAMetrics(specs: readonly MetricSpec[] | undefined, statuses: readonly MetricStatus[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list = specs.map((s, i) => formatOne(s, statuses?.[i]));
  if (list.length > 2) return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
  return list.join(', ');
}

export function autoscalingPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition,
  age: (obj: KubeObject, now: number) => string): Record<string, AutoscalingPrinter> {
  const hpa: AutoscalingPrinter = {
    columns: [
      NAME,
      col('Reference', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
      col('Targets', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.'),
      col('MinPods', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.'),
      col('MaxPods', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.', { type: 'integer' }),
      col('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.', { type: 'integer' }),
      AGE,
    ],
    cells(obj, now) {
      const h = obj.apiVersion === 'autoscaling/v1' ? hpaV1ToV2(obj as unknown as HorizontalPodAutoscalerV1) : obj as unknown as HorizontalPodAutoscaler;
      const ref = h.spec?.scaleTargetRef;
      return [
        h.metadata?.name ?? '',
        `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
        formatHPAMetrics(h.spec?.metrics, h.status?.currentMetrics),
        h.spec?.minReplicas !== undefined ? String(h.spec.minReplicas) : '<unset>',
        h.spec?.maxReplicas ?? 0,
        h.status?.currentReplicas ?? 0,
        age(obj, now),
      ];
    },
  };
  return { 'autoscaling/horizontalpodautoscalers': hpa };
}
