/**
 * Encryption at rest, the API server's side: the EncryptionConfiguration (`--encryption-provider-config`) and
 * the mapping from store keys to the chain of the resource they hold. The providers and the TransformingStore
 * that applies them live in `storage/`.
 */
export { EncryptionConfig, EncryptionConfigError, loadEncryptionConfig, parseEncryptionConfiguration, parseGroupResource, type GroupResource } from './config.ts';
export { storeKeyTransformers } from './store-keys.ts';
export { checkStoredValuesReadable } from './check.ts';
