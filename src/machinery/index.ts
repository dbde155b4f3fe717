/** Domain-free helpers shared by every component. Imports nothing else of ours. */
export * from './clock.ts';
export * from './deferred.ts';
export * from './workqueue.ts';
export * from './backoff.ts';
export * from './doorbell.ts';
export * from './random.ts';
export * from './logger.ts';
export * from './log-text.ts';
export * from './x509.ts';
export * from './deep-freeze.ts';
