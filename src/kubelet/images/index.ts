/** The kubelet's image management: garbage collection by disk usage. */
export * from './image-gc.ts';
