/** Abuse limits of the API server: body, object and nesting caps, max in-flight, watch caps, timeouts. */
export { MAX_REQUEST_BODY_BYTES, readLimitedBody, requestEntityTooLarge } from './request-body.ts';
export { MAX_OBJECT_BYTES, checkObjectSize, objectTooLarge } from './object-size.ts';
export { MAX_NESTING_DEPTH, exceedsDepth, tooDeep } from './json-depth.ts';
export { MaxInFlightLimiter, type MaxInFlightConfig } from './max-in-flight.ts';
export { WatchLimiter, DEFAULT_MAX_WATCHES_PER_USER, type WatchLimiterConfig } from './watch-limit.ts';
export { isLongRunning } from './long-running.ts';
export { RequestLimits, listenerOptions, tooManyRequests, TOO_MANY_REQUESTS_MESSAGE, TIMEOUT_MESSAGE, type LimitsConfig } from './request-limits.ts';
