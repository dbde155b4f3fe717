/**
 * A node's pod network (src/network), for both `kubeling server` (its own node) and `kubeling agent`, and
 * the server's `kube-system/kubeling-pod-network` ConfigMap that tells agents the cluster CIDR and backend.
 *
 * `ip`, `bridge` and `nft` run through a helper shell of the runtime's Spawner (no fork of the node process
 * per command). As the proxy's rules do, the routes, the vxlan device and the masquerade table stay when the
 * node stops, unless the kubelet reports it stopped with no pod left. Nodes with the fake runtime have no pod
 * network.
 */
import { execFile } from 'node:child_process';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { isAlreadyExists, isNotFound, type Client } from '../../client/index.ts';
import { realClock, type Logger } from '../../machinery/index.ts';
import { detectNodeIp, NET_CONF, netConfData, parseNetConf, PodNetwork, type NetConf } from '../../network/index.ts';
import type { Component, ComponentContext, NodeConfig } from './component.ts';
import type { KubeletStopped } from './kubelet.ts';
import { findTool } from './proxy.ts';

export interface PodNetworkContext {
  client: Client;
  node: NodeConfig;
  /** This node's address between hosts (resolved by resolveNodeIp). */
  nodeIp: string;
  /** The cluster CIDR and backend: the server's flags, or for an agent the server's ConfigMap (readNetConf). */
  netConf?: NetConf;
  logger: Logger;
  signal: AbortSignal;
}

/** `--node-ip`, or the address of the default route's interface (undefined when `ip` finds none). */
export async function resolveNodeIp(node: NodeConfig): Promise<string | undefined> {
  if (node.nodeIp) return node.nodeIp;
  const ip = findTool('ip');
  if (!ip) return undefined;
  return detectNodeIp((args) => new Promise((resolve, reject) => {
    execFile(ip, args, (err, stdout) => (err ? reject(err) : resolve({ stdout })));
  })).catch(() => undefined);
}

export async function runPodNetwork(ctx: PodNetworkContext, kubeletStopped: Promise<KubeletStopped>): Promise<void> {
  if (ctx.node.runtime === 'fake') return;
  const tools = { ip: findTool('ip'), bridge: findTool('bridge'), nft: findTool('nft') };
  const missing = Object.entries(tools).filter(([, path]) => !path).map(([name]) => name);
  if (missing.length > 0) {
    ctx.logger.warn(`${missing.join(', ')} not installed: no pod network between nodes (scripts/setup-host.sh installs iproute2 and nftables)`);
    return;
  }
  const netConf = ctx.netConf;
  if (!netConf) {
    ctx.logger.warn('the pod network settings are unknown: no pod network between nodes');
    return;
  }
  const { Spawner } = await import('../../runtime/oci/index.ts');
  const shells = new Spawner({ max: 1 });
  const network = new PodNetwork({
    client: ctx.client,
    nodeName: ctx.node.name,
    podCidr: ctx.node.podCidr,
    clusterCidr: netConf.clusterCidr,
    backend: netConf.backend,
    nodeIp: ctx.nodeIp,
    exec: (tool, args, input) => shells.run(tools[tool]!, args, input !== undefined ? { input } : {}),
    logger: ctx.logger,
  });
  ctx.logger.info({ backend: netConf.backend, nodeIp: ctx.nodeIp, clusterCidr: netConf.clusterCidr }, 'pod network starting');
  try {
    await network.run(ctx.signal);
  } finally {
    try {
      const { podsLeft } = await kubeletStopped;
      if (!podsLeft && (await network.remove())) ctx.logger.info(`removed the pod network (routes, ${netConf.backend === 'vxlan' ? 'kubeling.vxlan, ' : ''}nftables table ip ${network.table}): no pod left on the node`);
    } catch (err) {
      ctx.logger.error({ err }, 'removing the pod network failed');
    } finally {
      await shells.close();
    }
  }
}

/** The server's net-conf.json (one attempt: the agent retries while the server is still starting). */
export async function readNetConf(client: Client, signal: AbortSignal): Promise<NetConf> {
  const cm = await client.resource<IConfigMap>('configmaps', NET_CONF.namespace).get(NET_CONF.name, { signal });
  return parseNetConf(cm.data);
}

/** The server publishes `--cluster-cidr` and `--pod-network` for agents (updated when a restart changes them). */
export const podNetworkConfigComponent: Component = {
  name: 'pod-network-config',
  async run(ctx: ComponentContext): Promise<void> {
    const data = netConfData({ clusterCidr: ctx.options.clusterCidr, backend: ctx.options.podNetwork });
    const configMaps = ctx.client.resource<IConfigMap>('configmaps', NET_CONF.namespace);
    const want: IConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NET_CONF.name, namespace: NET_CONF.namespace }, data };
    let delay = 200;
    while (!ctx.signal.aborted) {
      try {
        try {
          await configMaps.create(want, { signal: ctx.signal });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const current = await configMaps.get(NET_CONF.name, { signal: ctx.signal });
          if (current.data?.[NET_CONF.key] !== data[NET_CONF.key]) await configMaps.update({ ...current, data }, { signal: ctx.signal });
        }
        return;
      } catch (err) {
        if (ctx.signal.aborted) return;
        // kube-system may not exist yet on a first start.
        if (!isNotFound(err)) ctx.logger.warn({ err: (err as Error).message }, `writing ${NET_CONF.namespace}/${NET_CONF.name} failed; retrying`);
        await realClock.sleep(delay, ctx.signal).catch(() => {});
        delay = Math.min(delay * 2, 5000);
      }
    }
  },
};
