/**
 * The Kubernetes object types the kubelet core speaks, taken from src/api in one place.
 */
export type {
  Pod,
  PodSpec,
  PodStatus,
  PodCondition,
  Container,
  ContainerStatus,
  ContainerState,
  Probe,
  LifecycleHandler,
  EphemeralContainer,
  HTTPGetAction,
  ContainerPort,
} from '../../api/index.ts';
