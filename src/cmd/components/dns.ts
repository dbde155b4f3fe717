/**
 * Cluster DNS in `kubeling server` and `kubeling agent`:
 *
 *   kube-dns (server, control plane)  makes `kube-system/kube-dns` (ClusterIP `--cluster-dns`, no selector,
 *                                     internalTrafficPolicy Local) if it does not exist, as k3s deploys
 *                                     its CoreDNS Service
 *   dns (every node)                  the node's DnsManager on UDP/TCP 53 of its pod bridge's gateway
 *                                     (`10.42.0.1` for 10.42.0.0/24; the bridge is made first if no pod
 *                                     made it yet), forwarding to the host's /etc/resolv.conf, and its
 *                                     `kube-dns-<node>` EndpointSlice; the service proxy sends each pod's
 *                                     queries for the kube-dns ClusterIP to its own node's gateway
 *
 * Why the gateway: it is the one address on a node that every pod reaches directly and that differs
 * between nodes, also between several nodes on one host (each has its own bridge and /24), so no two
 * nodes' DNS servers ever compete for one address, and nothing listens on the host's other addresses.
 * Nodes with the fake runtime have no bridge and serve no DNS.
 */
import { isAlreadyExists, isInvalid, type Client } from '../../client/index.ts';
import { DnsManager, KUBE_DNS, kubeDnsService, readResolvConf } from '../../dns/index.ts';
import type { Service } from '../../api/types.ts';
import { realClock, type Logger } from '../../machinery/index.ts';
import { ensureBridge, gatewayForPodCidr } from '../../runtime/cni/index.ts';
import type { Component, ComponentContext, NodeConfig } from './component.ts';

export const DNS_PORT = 53;

/** Makes the kube-dns Service unless it exists (a user's edits to an existing one are left alone). */
export async function ensureKubeDnsService(client: Client, clusterIP: string, logger: Logger, signal: AbortSignal): Promise<void> {
  const services = client.resource<Service>('services', KUBE_DNS.namespace);
  let delay = 200;
  while (!signal.aborted) {
    try {
      await services.create(kubeDnsService(clusterIP), { signal });
      logger.info({ clusterIP }, `created service ${KUBE_DNS.namespace}/${KUBE_DNS.name}`);
      return;
    } catch (err) {
      if (isAlreadyExists(err)) {
        const svc = await services.get(KUBE_DNS.name, { signal }).catch(() => undefined);
        if (svc && svc.spec?.clusterIP !== clusterIP) {
          logger.warn({ clusterIP: svc.spec?.clusterIP, clusterDns: clusterIP }, `service ${KUBE_DNS.namespace}/${KUBE_DNS.name} exists with another ClusterIP than --cluster-dns`);
        }
        return;
      }
      if (signal.aborted) return;
      if (isInvalid(err)) {
        // e.g. a --cluster-dns outside the service CIDR: retrying cannot help.
        logger.error({ err: (err as Error).message, clusterIP }, `cannot create service ${KUBE_DNS.namespace}/${KUBE_DNS.name}`);
        return;
      }
      logger.warn({ err: (err as Error).message }, `creating service ${KUBE_DNS.namespace}/${KUBE_DNS.name} failed; retrying`);
      await realClock.sleep(delay, signal).catch(() => {});
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export interface NodeDnsContext {
  client: Client;
  node: NodeConfig;
  logger: Logger;
  signal: AbortSignal;
}

/** Runs a node's cluster DNS until the signal aborts (nothing for fake-runtime nodes). */
export async function runNodeDns(ctx: NodeDnsContext): Promise<void> {
  const { node } = ctx;
  if (node.runtime !== 'oci') {
    ctx.logger.info('no pod network with the fake runtime: this node serves no cluster DNS');
    return;
  }
  const clusterDns = node.clusterDns;
  if (!clusterDns) throw new Error('the node has no --cluster-dns');
  const manager = new DnsManager({
    client: ctx.client,
    nodeName: node.name,
    listen: { host: gatewayForPodCidr(node.podCidr).address, port: DNS_PORT },
    clusterDomain: node.clusterDomain ?? 'cluster.local',
    clusterDns: [clusterDns],
    upstreams: await readResolvConf(),
    prepare: async () => {
      await ensureBridge(node.bridge, node.podCidr);
    },
    logger: ctx.logger,
  });
  await manager.run(ctx.signal);
}

export const kubeDnsServiceComponent: Component = {
  name: 'kube-dns',
  async run(ctx: ComponentContext): Promise<void> {
    await ensureKubeDnsService(ctx.client, ctx.options.clusterDns, ctx.logger, ctx.signal);
  },
};

export const dnsComponent: Component = {
  name: 'dns',
  async run(ctx: ComponentContext): Promise<void> {
    if (!ctx.node) return;
    try {
      await runNodeDns({ client: ctx.client, node: ctx.node, logger: ctx.logger, signal: ctx.signal });
    } finally {
      ctx.client.close();
    }
  },
};
