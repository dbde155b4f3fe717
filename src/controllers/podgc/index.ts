/** The pod garbage collector and its pure choices. */
export { PodGCController, DEFAULT_TERMINATED_POD_GC_THRESHOLD, type PodGCControllerConfig } from './podgc.ts';
export { terminatedToDelete, terminatingOnOutOfServiceNodes, missingNodes, unscheduledTerminating } from './decisions.ts';
