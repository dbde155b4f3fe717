/** Pod status: generated from spec + runtime + probes, written by one StatusManager. */
export {
  generatePodStatus,
  getPhase,
  toRFC3339,
  type ContainerProbeView,
  type GeneratePodStatusInput,
} from './generate.ts';
export { StatusManager, type PodStatusWriter, type StatusManagerConfig } from './status-manager.ts';
export { podStatusPatch, type PodStatusPatch } from './pod-status-patch.ts';
