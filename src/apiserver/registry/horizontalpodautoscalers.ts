/**
 * HorizontalPodAutoscalers: status only through /status (the controller's), and the autoscaling/v1
 * endpoint a view of the autoscaling/v2 objects: it converts on the way to and from the store (upstream
 * stores HPAs as autoscaling/v2), so `kubectl autoscale` (v1) and `kubectl get hpa` (v2) see one object.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1, KubeObject, ResourceInfo } from '../../api/index.ts';
import { applyDefaults, hpaV1ToV2, hpaV2ToV1, RESOURCES } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import type { Strategy } from './strategy.ts';

const V2 = RESOURCES.find((r) => r.group === 'autoscaling' && r.version === 'v2' && r.plural === 'horizontalpodautoscalers')!;

export function horizontalPodAutoscalerStrategy(info: ResourceInfo): Strategy {
  if (info.version !== 'v1') return baseStrategy(info, { hasStatusSubresource: true });
  return baseStrategy(info, {
    hasStatusSubresource: true,
    conversion: {
      storageVersion: V2.groupVersion,
      // The stored form gets v2's defaults (a v1 object without a CPU target still has the default metric).
      toStorage: (obj) => applyDefaults(V2, hpaV1ToV2(obj as unknown as HorizontalPodAutoscalerV1)) as unknown as KubeObject,
      fromStorage: (obj) => hpaV2ToV1(obj as unknown as HorizontalPodAutoscaler) as unknown as KubeObject,
    },
  });
}
