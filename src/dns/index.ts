/**
 * Cluster DNS (DESIGN.md: informers -> records -> answers): `DnsManager` runs one node's DNS; the pure
 * parts (ClusterIndex, ClusterLookup, the wire encoding) and the kube-dns object builders are exported for
 * the command's components and for tests. Reaches the cluster only through `src/client`.
 */
export { DnsManager, type DnsManagerConfig } from './manager.ts';
export { DnsServer, type QueryHandler } from './server.ts';
export { Resolver } from './resolver.ts';
export { Forwarder, parseResolvConf, readResolvConf, type Upstream } from './forward.ts';
export { ClusterIndex, type ClusterSnapshot } from './records.ts';
export { ClusterLookup, type LookupConfig, type Reply } from './lookup.ts';
export {
  KUBE_DNS,
  MANAGED_BY_LABEL,
  NODE_DNS_MANAGER,
  defaultClusterDns,
  kubeDnsService,
  nodeDnsSlice,
  nodeSliceName,
} from './kube-dns.ts';
