/** ResourceQuota arithmetic shared by the quota admission plugin and the resource quota controller. */
export * from './scopes.ts';
export * from './resource-list.ts';
export * from './evaluators.ts';
