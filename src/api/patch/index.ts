/** Patch application for the three PATCH content types the apiserver accepts from kubectl. */
export * from './json-patch.ts';
export * from './strategic-merge-patch.ts';
export { PATCH_META, type FieldMeta } from './patch-meta.ts';
