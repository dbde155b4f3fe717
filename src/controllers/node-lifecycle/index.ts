/** The node lifecycle controller and its pure decisions (health, taints, zones, the rate-limited queue). */
export { NodeLifecycleController, NODE_LEASE_NAMESPACE, type NodeLifecycleControllerConfig } from './node-lifecycle.ts';
export * from './taints.ts';
export { observeHealth, type NodeHealth, REASON_STATUS_UNKNOWN, MESSAGE_STATUS_UNKNOWN } from './health.ts';
export { computeZoneState, zoneEvictionRate, zoneKey, zoneStates, type ZoneState, type EvictionRates } from './zones.ts';
export { RateLimitedQueue, TokenBucket } from './rate-limited-queue.ts';
