/** The kubelet's per-pod record of lifecycle steps with millisecond times (served at /podTimeline). */
export * from './pod-timelines.ts';
