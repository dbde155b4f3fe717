/** The Endpoints controller and its pure parts (subsets, repacking, truncation). */
export { EndpointsController, buildEndpoints, endpointsUpToDate, type EndpointsControllerConfig } from './endpoints.ts';
export { desiredSubsets, repackSubsets, truncateSubsets, MAX_ENDPOINTS_CAPACITY } from './subsets.ts';
