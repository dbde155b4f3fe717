/**
 * The Kubernetes object types the kubelet core speaks, in one place. They come from kubernetes-models (plain
 * interfaces, timestamps as strings), the same types src/api exports; once src/api lands every kubelet file
 * keeps importing from here and only this file switches to `../../api/index.ts`.
 */
export type { IPod as Pod } from 'kubernetes-models/v1/Pod';
export type { IPodSpec as PodSpec } from 'kubernetes-models/v1/PodSpec';
export type { IPodStatus as PodStatus } from 'kubernetes-models/v1/PodStatus';
export type { IPodCondition as PodCondition } from 'kubernetes-models/v1/PodCondition';
export type { IContainer as Container } from 'kubernetes-models/v1/Container';
export type { IContainerStatus as ContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
export type { IContainerState as ContainerState } from 'kubernetes-models/v1/ContainerState';
export type { IProbe as Probe } from 'kubernetes-models/v1/Probe';
export type { ILifecycleHandler as LifecycleHandler } from 'kubernetes-models/v1/LifecycleHandler';
export type { IEphemeralContainer as EphemeralContainer } from 'kubernetes-models/v1/EphemeralContainer';
