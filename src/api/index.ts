/**
 * The api module's public surface: Kubernetes object types, the resource table, and the pure logic
 * every component shares. No I/O; imports only machinery (schema/generate.ts is a build-time tool,
 * never imported).
 *
 * How the apiserver uses it on a write, in Kubernetes' order:
 *   decodeError / unknownFields + duplicateFields (fieldValidation=Strict)   → 400
 *   applyDefaults (throws DecodeError for wrongly typed fields)               → 400
 *   setZeroTimes (absent non-pointer timestamps become null, as Go marshals them)
 *   validateObject / validateObjectUpdate / validateStatusUpdate             → 422 via invalidMessage
 * and on reads: parseLabelSelector / parseFieldSelector + convertFieldSelector, printTable.
 *
 *   types.ts              kubernetes-models interfaces under plain names, Table, WatchEvent, discovery types
 *   resources.ts          RESOURCES, findResource, resolveResource (the shared resource table)
 *   discovery.ts          aggregated and legacy discovery documents
 *   defaults.ts           SetDefaults_* for pods, nodes, namespaces, secrets, apps
 *   zero-times.ts         the non-pointer metav1.Time fields upstream serializes as null when zero
 *   validation/           pkg/apis/core/validation equivalents with Kubernetes' paths and messages
 *   selectors/            label and field selectors
 *   patch/                JSON patch, merge patch, strategic merge patch
 *   printers/             server-side Table printers, pod STATUS text, HumanDuration
 *   quantity.ts           resource.Quantity; resource-helpers.ts: podRequests, podQOSClass
 *   apiextensions/        CustomResourceDefinition validation, structural schemas (prune, default, validate)
 *   schema/               unknownFields, decodeError, duplicateFields (from a generated schema)
 */
export type * from './types.ts';
export * from './resources.ts';
export * from './discovery.ts';
export * from './field-error.ts';
export * from './image-ref.ts';
export type * from './pod-timeline.ts';
export * from './quantity.ts';
export * from './defaults.ts';
export * from './zero-times.ts';
export * from './service-defaults.ts';
export * from './batch-defaults.ts';
export * from './autoscaling-defaults.ts';
export * from './autoscaling-conversion.ts';
export * from './cron-schedule.ts';
export * from './storage-defaults.ts';
export * from './resource-helpers.ts';
export * from './quota/index.ts';
export * from './validation/index.ts';
export * from './selectors/index.ts';
export * from './scheduling/index.ts';
export * from './printers/index.ts';
export * from './patch/index.ts';
export * from './schema/unknown-fields.ts';
export * from './apiextensions/crd.ts';
export * from './apiextensions/structural-schema.ts';
export { evaluateSimpleJsonPath } from './printers/custom-columns.ts';
export * from './schema/duplicate-fields.ts';
/** The field schema derived from kubernetes-models (the apiserver builds its OpenAPI component schemas from it). */
export { SCHEMA_ROOTS, SCHEMA_TYPES } from './schema/schema.generated.ts';
export * from './managed-fields/index.ts';
