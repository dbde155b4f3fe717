/** The resource quota controller: status.hard and status.used of every ResourceQuota. */
export { ResourceQuotaController, type ResourceQuotaControllerConfig } from './resourcequota.ts';
