export { KubeletMetrics, type RelistCounts } from './kubelet-metrics.ts';
