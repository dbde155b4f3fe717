/** The kubelet's container manager: the QoS parent cgroups and node allocatable enforcement. */
export * from './qos-cgroups.ts';
export * from './cgroupfs.ts';
export * from './qos-container-manager.ts';
