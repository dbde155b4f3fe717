/** The EndpointSlice controller and its pure reconciler. */
export { EndpointSliceController, type EndpointSliceControllerConfig } from './endpointslice.ts';
export { CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, desiredEndpoints, reconcileSlices, sliceLabels, type SlicePlan, type SliceReconcileInput } from './reconciler.ts';
