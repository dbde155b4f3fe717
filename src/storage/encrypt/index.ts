/**
 * Encryption at rest for the store's values (apiserver's `storage/value` and `value/encrypt`): the providers
 * and upstream's prefix chooser. The EncryptionConfiguration that picks them per resource is the API server's
 * (`apiserver/encryption/`); `TransformingStore` applies them under every backend.
 */
export * from './transformer.ts';
export { IdentityTransformer } from './identity.ts';
export { AesCbcTransformer, AesGcmTransformer } from './aes.ts';
export { SecretboxTransformer } from './secretbox.ts';
