/** Table printers (`kubectl get` columns) and the pod/node status text they use. */
export * from './duration.ts';
export * from './pod-status.ts';
export * from './table.ts';
export { jobStatusText, jobCompletionsText } from './batch.ts';
