/**
 * Outbound masquerade for the node's pods (pure): an nftables table of the node's own, `ip kubeling-net-<hash>`,
 * beside the service proxy's table and independent of it. Traffic from this node's pods to anything outside
 * the cluster CIDR leaves with the node's address (flannel's `--ip-masq`); pod-to-pod traffic, also across
 * nodes, keeps the pod's address, so a pod sees its peers' real IPs. Multicast is left alone.
 *
 * This is the one place pods are masqueraded: the CNI bridge plugin runs with `ipMasq: false` (its per-pod
 * iptables rules would masquerade pod-to-pod traffic across nodes too). The table is named from the node's
 * name and podCIDR, as the proxy's is, so test servers sharing one host never overwrite each other's table.
 */
import { createHash } from 'node:crypto';

/** The node's masquerade table (`kubeling-net-` and a hash of node name and podCIDR). */
export function masqueradeTable(nodeName: string, podCidr: string): string {
  const hash = createHash('sha256').update(`${nodeName}/${podCidr}`).digest('base64url').replace(/[-_]/g, '').slice(0, 8).toLowerCase();
  return `kubeling-net-${hash}`;
}

/**
 * `nft -f -` input that creates or replaces the table atomically (add, delete, then define: one transaction,
 * which the kernel applies entirely or not at all).
 */
export function masqueradeRules(table: string, podCidr: string, clusterCidr: string): string {
  return [
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  comment "kubeling pod network: masquerade of pods' traffic leaving the cluster CIDR"`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    ip saddr ${podCidr} ip daddr ${clusterCidr} return`,
    `    ip saddr ${podCidr} ip daddr 224.0.0.0/4 return`,
    `    ip saddr ${podCidr} masquerade fully-random`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
