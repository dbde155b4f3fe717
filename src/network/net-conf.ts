/**
 * The cluster-wide settings of the pod network, which the server publishes and agents read: a ConfigMap
 * `kube-system/kubeling-pod-network` with flannel's `net-conf.json` (`{"Network":"10.42.0.0/16","Backend":
 * {"Type":"vxlan"}}`), as flannel's kube-flannel-cfg carries them. Agents are not given the cluster CIDR on
 * their command line, and every node must run the same backend, so both come from the server
 * (`--cluster-cidr`, `--pod-network`), as k3s agents take `--flannel-backend` from their server.
 */
import { BACKENDS, type Backend } from './peers.ts';

export const NET_CONF = { namespace: 'kube-system', name: 'kubeling-pod-network', key: 'net-conf.json' } as const;

export interface NetConf {
  clusterCidr: string;
  backend: Backend;
}

export function netConfData(conf: NetConf): Record<string, string> {
  return { [NET_CONF.key]: JSON.stringify({ Network: conf.clusterCidr, Backend: { Type: conf.backend } }) };
}

/** The settings in a ConfigMap's data; throws when they are missing or unknown. */
export function parseNetConf(data: Record<string, string> | undefined): NetConf {
  const text = data?.[NET_CONF.key];
  if (!text) throw new Error(`${NET_CONF.namespace}/${NET_CONF.name} has no ${NET_CONF.key}`);
  const v = JSON.parse(text) as { Network?: unknown; Backend?: { Type?: unknown } };
  const backend = v.Backend?.Type;
  if (typeof v.Network !== 'string' || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(v.Network)) throw new Error(`${NET_CONF.key}: Network is not an IPv4 CIDR`);
  if (typeof backend !== 'string' || !(BACKENDS as readonly string[]).includes(backend)) throw new Error(`${NET_CONF.key}: unknown Backend.Type ${JSON.stringify(backend)}`);
  return { clusterCidr: v.Network, backend: backend as Backend };
}
