/** Server-side apply's field ownership: field sets, types, the apply/update rules and managedFields entries. */
export { FieldSet, pathString } from './field-set.ts';
export { DEDUCED, fieldTypeFromOpenAPI, fieldTypeOfCustomResource, fieldTypeOfKind, type FieldType } from './field-type.ts';
export { compare, merge, removeItems, toFieldSet, type Comparison } from './typed-value.ts';
export { ANCIENT_CHANGES, ApplyConflictError, MAX_UPDATE_MANAGERS, apply, capUpdateManagers, managerId, update, type ChangeContext, type Conflict, type Manager, type Managers, type Operation } from './managers.ts';
export { conflictReport, decodeManagedFields, describeManager, encodeManagedFields } from './managed-fields-entries.ts';
