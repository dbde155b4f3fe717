/** The etcd Store backend (clusters, several API servers). */
export { EtcdStore, type EtcdStoreConfig } from './etcd-store.ts';
