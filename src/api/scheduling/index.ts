/** What scheduling decisions share across components: toleration and node-affinity matching. */
export * from './tolerations.ts';
export * from './node-affinity.ts';
