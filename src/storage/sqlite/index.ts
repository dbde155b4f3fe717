/** The embedded SQLite Store backend (the default). */
export { SqliteStore, type SqliteStoreConfig } from './sqlite-store.ts';
