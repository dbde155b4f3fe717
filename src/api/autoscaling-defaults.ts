/**
 * Defaults of autoscaling/v2 and autoscaling/v1 HorizontalPodAutoscalers (pkg/apis/autoscaling/v2 and v1
 * defaults.go): minReplicas 1; with no metrics, one CPU utilization target of 80%; and a behavior that is
 * given has its missing parts filled from the defaults below. A missing behavior stays missing (the
 * controller then applies its own rules); a scale-down stabilization window left unset stays unset, so the
 * controller's `--horizontal-pod-autoscaler-downscale-stabilization` decides it.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1, HPAScalingRules } from './types.ts';

/** autoscaling.DefaultCPUUtilization. */
export const DEFAULT_CPU_UTILIZATION = 80;

/** Scale up: no stabilization, at most 4 pods or 100% more per 15 s, whichever allows more. */
export function defaultScaleUpRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** Scale down: everything may go at once (100% per 15 s); the stabilization window is the controller's. */
export function defaultScaleDownRules(): HPAScalingRules {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** copyHPAScalingRules: the fields `given` sets win over the defaults. */
export function withDefaultRules(given: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!given) return defaults;
  const out = { ...defaults };
  if (given.selectPolicy !== undefined) out.selectPolicy = given.selectPolicy;
  if (given.stabilizationWindowSeconds !== undefined) out.stabilizationWindowSeconds = given.stabilizationWindowSeconds;
  if (given.policies !== undefined) out.policies = given.policies;
  return out;
}

export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): void {
  const spec = (hpa.spec ??= {} as HorizontalPodAutoscaler['spec'] & object);
  spec.minReplicas ??= 1;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (spec.behavior) {
    spec.behavior.scaleUp = withDefaultRules(spec.behavior.scaleUp, defaultScaleUpRules());
    spec.behavior.scaleDown = withDefaultRules(spec.behavior.scaleDown, defaultScaleDownRules());
  }
}

export function defaultHorizontalPodAutoscalerV1(hpa: HorizontalPodAutoscalerV1): void {
  const spec = (hpa.spec ??= {} as HorizontalPodAutoscalerV1['spec'] & object);
  spec.minReplicas ??= 1;
}
