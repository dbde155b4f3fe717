/** Container logs on the node: the CRI log format, reading for `kubectl logs`, and size-based rotation. */
export { parseCriLine, formatCriLine, formatTimestamp, type LogEntry } from './cri-log.ts';
export { readLogs, type LogOptions, type FollowHooks } from './read-logs.ts';
export { ContainerLogManager, type LogManagerConfig } from './log-manager.ts';
