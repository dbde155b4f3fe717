/** Domain-free helpers shared by every component. Imports nothing else of ours. */
export * from './clock.ts';
export * from './deferred.ts';
