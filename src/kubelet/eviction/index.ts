/** Node-pressure eviction: thresholds, signals, ranking and the manager that evicts. */
export * from './thresholds.ts';
export * from './rank.ts';
export * from './stats.ts';
export * from './node-stats.ts';
export * from './eviction-manager.ts';
