/**
 * The scheduler module's public surface: `Scheduler` (informers → queue → framework → bind), the queue,
 * the cache, the framework and the default plugins. Imports api, client and machinery only.
 */
export { Scheduler, DEFAULT_SCHEDULER_NAME, podSchedulingChanged, nodeSchedulingChanged, type SchedulerConfig } from './scheduler.ts';
export { SchedulingQueue, type QueuedPodInfo, type SchedulingQueueConfig } from './queue.ts';
export { SchedulerCache } from './cache.ts';
export * from './framework/index.ts';
export * from './plugins/index.ts';
export { SchedulerMetrics, type SchedulerMetricsRecorder, type ScheduleResult } from './metrics.ts';
