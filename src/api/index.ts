/**
 * The api module's public surface: Kubernetes object types, the resource table, and the pure logic
 * every component shares (defaulting, validation, selectors, patches, quantities, table printers).
 * No I/O; imports only machinery.
 */
export type * from './types.ts';
export * from './resources.ts';
export * from './discovery.ts';
export * from './field-error.ts';
export * from './image-ref.ts';
export * from './quantity.ts';
export * from './defaults.ts';
export * from './resource-helpers.ts';
export * from './validation/index.ts';
export * from './selectors/index.ts';
export * from './printers/index.ts';
export * from './patch/index.ts';
export * from './schema/unknown-fields.ts';
export * from './schema/duplicate-fields.ts';
