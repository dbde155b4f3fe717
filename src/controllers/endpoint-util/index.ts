/** Helpers the EndpointSlice and Endpoints controllers share (upstream's endpoint and endpointslice utils). */
export * from './pods.ts';
export { TriggerTimeTracker, podTriggerTime, formatRFC3339Nano } from './trigger-time.ts';
export { enqueueServicesOnEvents, podsSelectedBy, servicesSelecting } from './service-events.ts';
