/** The in-memory Store backend (tests and `--storage memory`). */
export { MemoryStore, type MemoryStoreConfig } from './memory-store.ts';
