export { HorizontalPodAutoscalerController, type HorizontalPodAutoscalerControllerConfig } from './hpa.ts';
