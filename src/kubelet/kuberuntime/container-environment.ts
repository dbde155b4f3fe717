/**
 * What kuberuntime needs from the node side (kubelet-node implements both): a container's resolved env and
 * mounts, and the pod's volumes. kuberuntime calls these while it turns a Pod into runtime calls; it never
 * reads ConfigMaps, Secrets or the node's disk itself.
 */
import type { Mount } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';

export interface ContainerEnvironment {
  /** Resolved env (value, valueFrom fieldRef/resourceFieldRef/configMapKeyRef/secretKeyRef, envFrom, $(VAR)
   *  expansion) and mounts (the pod's volumes as host paths, the managed /etc/hosts, the termination-message
   *  file) for one container. Throws with a message the kubelet reports as CreateContainerConfigError. */
  makeContainerEnvironment(
    pod: Pod,
    container: Container,
    podIPs: string[],
  ): Promise<{ envs: { key: string; value: string }[]; mounts: Mount[] }>;
}

export interface VolumeManager {
  /** Resolves when every volume of the pod is set up on the node (called before the sandbox is created). */
  waitForAttachAndMount(pod: Pod, signal: AbortSignal): Promise<void>;
  /** Tears a terminated pod's volumes down (called once its containers are gone). */
  unmountPodVolumes(podUid: string): Promise<void>;
}
