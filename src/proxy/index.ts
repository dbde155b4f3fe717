/**
 * The proxy module's public surface: `Proxier` (one per node: informers on Services and EndpointSlices ->
 * rules -> one nftables transaction per sync), the pure pieces it is made of (servicePorts, generateRules)
 * and the nft runner seam (`NftExec`) that `cmd` fills with the node's helper shells.
 */
export { Proxier, DEFAULT_SERVICE_CIDR, type ProxierConfig, type SyncRecord } from './proxier.ts';
export { servicePorts, usableEndpoints, type ServicePortInfo, type ProxyEndpoint, type Protocol } from './service-ports.ts';
export { generateRules, transaction, partialTransaction, tableName, cidrsOverlap, type RuleConfig, type RuleSet, type TableContent } from './nftables-rules.ts';
export { staleUdpFlows } from './conntrack.ts';
export { NftablesApplier, NftError, spawnNft, bridgeNetfilterProblem, parseTableContent, type NftExec } from './nftables.ts';
