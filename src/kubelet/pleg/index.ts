/** The pod lifecycle event generator: relist, diff, cache, notify. */
export {
  GenericPLEG,
  generateEvents,
  type GenericPLEGConfig,
  type PodLifecycleEvent,
  type PodLifecycleEventType,
  type PodLifecycleListener,
  type PodStatusSource,
  type PlegContainerState,
} from './generic.ts';
