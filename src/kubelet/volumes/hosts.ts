/**
 * The managed /etc/hosts each container of a pod gets (the kubelet's `etc-hosts` file in the pod directory),
 * byte for byte as the real kubelet writes it: a header, the loopback entries, one line per pod IP with the
 * pod's hostname (fully qualified when it has a subdomain), then the `hostAliases`. Pods on the host network get
 * the node's own /etc/hosts under a different header, plus the aliases.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import { podHostname } from '../index.ts';

/** The one pod hostname rule (kuberuntime's, which the sandbox gets too): re-exported for kubelet-node's parts. */
export { podHostname };

/** `clusterDomain` empty: no domain, as upstream's GeneratePodHostNameAndDomain (then the short name only). */
export function managedHostsFile(pod: IPod, podIPs: string[], clusterDomain = 'cluster.local'): string {
  const hostname = podHostname(pod);
  const subdomain = pod.spec?.subdomain;
  const namespace = pod.metadata?.namespace ?? 'default';
  let out = '# Kubernetes-managed hosts file.\n';
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) {
    out += subdomain && clusterDomain
      ? `${ip}\t${hostname}.${subdomain}.${namespace}.svc.${clusterDomain}\t${hostname}\n`
      : `${ip}\t${hostname}\n`;
  }
  return out + hostAliasesSection(pod);
}

export function hostNetworkHostsFile(pod: IPod, nodeHosts: string): string {
  let out = '# Kubernetes-managed hosts file (host network).\n';
  out += nodeHosts;
  return out + hostAliasesSection(pod);
}

function hostAliasesSection(pod: IPod): string {
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length === 0) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}
