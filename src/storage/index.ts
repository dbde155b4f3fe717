/**
 * The storage module's public surface: the Store contract, its errors, and the backends. The API server uses
 * only the contract; `cmd` picks a backend with `openStore` (the --storage flag).
 */
export * from './store.ts';
export * from './errors.ts';
export { MemoryStore, type MemoryStoreConfig } from './memory/index.ts';
export { SqliteStore, type SqliteStoreConfig } from './sqlite/index.ts';
export { openStore, type OpenStoreOptions } from './open-store.ts';
export { TransformingStore, type TransformingStoreConfig } from './transforming-store.ts';
export * from './encrypt/index.ts';
