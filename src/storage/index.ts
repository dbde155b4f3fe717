/** The store's public surface: the interface and its errors. Backends are picked by `cmd`. */
export * from './store.ts';
export * from './errors.ts';
