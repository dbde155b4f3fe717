/** The scheduling framework: extension-point interfaces, statuses, cycle state, node info, failure messages. */
export * from './status.ts';
export * from './cycle-state.ts';
export * from './interface.ts';
export * from './node-info.ts';
export * from './framework.ts';
export * from './fit-error.ts';
