/**
 * A node's managers side by side: the kubelet, the service proxy, the pod network and the local-path
 * provisioner (its volumes are directories under DIR/storage on this node), for both `kubeling
 * server` (its own node) and `kubeling agent`. They stop together (the kubelet ending, or any one failing,
 * stops the others; a proxy or pod network with nothing to do, on a fake-runtime node, returns
 * at once and leaves the kubelet running), and the proxy and the pod network learn from the kubelet whether pods stay on the node,
 * which decides whether their rules and routes stay too. The node's address (`--node-ip`, else the default route's interface's) is
 * resolved here once: the kubelet reports it as the InternalIP and the pod network announces it to peers.
 */
import { createLogger, Deferred, realClock } from '../../machinery/index.ts';
import type { Node } from '../../api/index.ts';
import { isAlreadyExists, isNotFound, type ResourceClient } from '../../client/index.ts';
import { runKubelet, type KubeletContext, type KubeletStopped } from './kubelet.ts';
import { runProxy, type ProxyContext } from './proxy.ts';
import { resolveNodeIp, runPodNetwork, type PodNetworkContext } from './pod-network.ts';
import { LocalPathProvisioner } from '../../controllers/index.ts';
import { join } from 'node:path';
import type { Component, ComponentContext, NodeConfig } from './component.ts';
import { nodeRecord, writeNodeRecord } from '../node-record.ts';
import { BOOTSTRAP_USER, KUBE_PROXY_USER, POD_NETWORK_USER } from '../component-identities.ts';

export type NodeContext = KubeletContext & Pick<ProxyContext, 'localPodCidr' | 'serviceCidr'> & {
  /** The proxy's logger (default: the kubelet's). */
  proxyLogger?: ProxyContext['logger'];
  /** The server's cluster CIDR and backend; an agent leaves it out and reads the server's ConfigMap. */
  netConf?: PodNetworkContext['netConf'];
  /** The service proxy's client (kube-proxy's identity; default: the kubelet's). */
  proxyClient?: ProxyContext['client'];
  /** The pod network's client (default: the kubelet's). */
  networkClient?: PodNetworkContext['client'];
};

export async function runNode(ctx: NodeContext): Promise<void> {
  // What outlives the node on this host, for `kubeling killall` (node-record.ts).
  if (ctx.node.runtime === 'oci') writeNodeRecord(ctx.dataDir, nodeRecord(ctx.node));
  const nodeIp = ctx.node.runtime === 'oci' || ctx.node.nodeIp ? await resolveNodeIp(ctx.node) : undefined;
  if (nodeIp && nodeIp !== ctx.node.nodeIp) ctx = { ...ctx, node: { ...ctx.node, nodeIp } };
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const kubeletStopped = new Deferred<KubeletStopped>();
  const kubelet = runKubelet({ ...ctx, signal }).then(
    (s) => kubeletStopped.resolve(s),
    (err: unknown) => {
      // Whatever happened, pods may still be running: keep their rules.
      kubeletStopped.resolve({ podsLeft: true });
      throw err;
    },
  ).finally(() => stop.abort());
  // The proxy and the pod network return at once where they have nothing to do (fake runtime, tools
  // missing): only a failure of theirs stops the node.
  const failed = (err: unknown): never => {
    stop.abort();
    throw err;
  };
  const proxy = runProxy(
    { client: ctx.proxyClient ?? ctx.client, node: ctx.node, localPodCidr: ctx.localPodCidr, serviceCidr: ctx.serviceCidr, logger: ctx.proxyLogger ?? ctx.logger, signal },
    kubeletStopped.promise,
  ).catch(failed);
  const network = nodeIp
    ? runPodNetwork({ client: ctx.networkClient ?? ctx.client, node: ctx.node, nodeIp, ...(ctx.netConf ? { netConf: ctx.netConf } : {}), logger: createLogger('pod-network'), signal }, kubeletStopped.promise).catch(failed)
    : Promise.resolve(ctx.node.runtime === 'oci' ? ctx.logger.warn('no node address found (give --node-ip): no pod network between nodes') : undefined);
  const provisioner = new LocalPathProvisioner({
    client: ctx.client, nodeName: ctx.node.name, root: join(ctx.dataDir, 'storage'), logger: createLogger('local-path-provisioner'),
  }).run(signal).catch(failed);
  const [k, p, n, s] = await Promise.allSettled([kubelet, proxy, network, provisioner]);
  if (k.status === 'rejected') throw k.reason;
  if (p.status === 'rejected') throw p.reason;
  if (n.status === 'rejected') throw n.reason;
  if (s.status === 'rejected') throw s.reason;
}

/**
 * The server's Node carries the control-plane role, a label no node may set on itself (NodeRestriction): the
 * server registers it as its bootstrap identity (kube-system/kubeling-bootstrap) before the kubelet, which then
 * finds it and adds its labels.
 */
async function registerControlPlaneNode(ctx: ComponentContext, node: NodeConfig): Promise<void> {
  const client = ctx.clientAs(BOOTSTRAP_USER, 'kubeling-node-registration');
  try {
    await registerAs(client.resource<Node>('nodes'), ctx, node);
  } finally {
    client.close();
  }
}

async function registerAs(nodes: ResourceClient<Node>, ctx: ComponentContext, node: NodeConfig): Promise<void> {
  const role = { 'node-role.kubernetes.io/control-plane': '' };
  for (let delay = 100; !ctx.signal.aborted; delay = Math.min(delay * 2, 5000)) {
    try {
      const have = await nodes.get(node.name, { signal: ctx.signal }).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
      if (!have) {
        await nodes.create({
          apiVersion: 'v1', kind: 'Node',
          metadata: { name: node.name, labels: { ...role, 'kubernetes.io/hostname': node.name } },
          spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr], ...(node.taints.length ? { taints: node.taints } : {}) },
        }, { signal: ctx.signal });
      } else if (have.metadata?.labels?.['node-role.kubernetes.io/control-plane'] === undefined) {
        await nodes.patch(node.name, { metadata: { labels: role } }, 'merge', { signal: ctx.signal });
      }
      return;
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (isAlreadyExists(err)) continue;
      ctx.logger.warn({ err: (err as Error).message }, 'registering the control-plane node failed; retrying');
      await realClock.sleep(delay, ctx.signal).catch(() => {});
    }
  }
}

export const nodeComponent: Component = {
  name: 'node',
  async run(ctx: ComponentContext): Promise<void> {
    if (!ctx.node) return;
    if (ctx.node.role === 'server') await registerControlPlaneNode(ctx, ctx.node);
    // The kubelet acts as system:node:<name> (its certificate, ctx.nodeClient; else ctx.client), the proxy as system:kube-proxy, the pod network as its own.
    const proxyClient = ctx.clientAs(KUBE_PROXY_USER, 'kubeling-proxy');
    const networkClient = ctx.clientAs(POD_NETWORK_USER, 'kubeling-pod-network');
    try {
      await runNode({
        ...ctx, ...(ctx.nodeClient ? { client: ctx.nodeClient } : {}), node: ctx.node, ...(ctx.onNodeReady ? { onReady: ctx.onNodeReady } : {}), localPodCidr: ctx.options.clusterCidr, serviceCidr: ctx.options.serviceCidr,
        proxyLogger: createLogger('proxy'), netConf: { clusterCidr: ctx.options.clusterCidr, backend: ctx.options.podNetwork }, proxyClient, networkClient,
      });
    } finally {
      proxyClient.close();
      networkClient.close();
    }
  },
};
