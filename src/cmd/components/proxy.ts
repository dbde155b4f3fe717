/**
 * A node's service proxy (src/proxy), for both `kubeling server` (its own node) and `kubeling agent`. It runs
 * `nft` and `conntrack` through a helper shell of the runtime's Spawner (no fork of the node process per
 * sync) and keeps its rules when it stops, unless the kubelet reports the node stopped with no pod left: like
 * the runtime's state, the rules serve the pods, which outlive the node process and are adopted by its next
 * start.
 *
 * Nodes with the fake runtime run no proxy: their pods have no network to forward to, and many of them share
 * one test host.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEFAULT_SERVICE_CIDR, Proxier } from '../../proxy/index.ts';
import type { Client } from '../../client/index.ts';
import type { Logger } from '../../machinery/index.ts';
import type { NodeConfig } from './component.ts';
import type { KubeletStopped } from './kubelet.ts';

export interface ProxyContext {
  client: Client;
  node: NodeConfig;
  /**
   * Pod addresses traffic from which is not masqueraded: the server's `--cluster-cidr`; an agent, which is not
   * told the cluster's range, gives its node's podCIDR (kube-proxy's `--detect-local-mode=NodeCIDR`).
   */
  localPodCidr: string;
  /** `--service-cidr` (default 10.43.0.0/16). */
  serviceCidr?: string;
  logger: Logger;
  signal: AbortSignal;
}

export async function runProxy(ctx: ProxyContext, kubeletStopped: Promise<KubeletStopped>): Promise<void> {
  if (ctx.node.runtime === 'fake') return;
  const nft = findTool('nft');
  if (!nft) {
    ctx.logger.warn('nft is not installed: Services are not proxied on this node (scripts/setup-host.sh installs nftables)');
    return;
  }
  const conntrack = findTool('conntrack');
  if (!conntrack) ctx.logger.warn('conntrack is not installed: UDP flows to removed endpoints are not cleared (scripts/setup-host.sh installs it)');
  const { Spawner } = await import('../../runtime/oci/index.ts');
  const shells = new Spawner({ max: 1 });
  const proxier = new Proxier({
    client: ctx.client,
    nodeName: ctx.node.name,
    nodePodCidr: ctx.node.podCidr,
    clusterCidr: ctx.localPodCidr,
    serviceCidr: ctx.serviceCidr ?? DEFAULT_SERVICE_CIDR,
    exec: (args, input) => shells.run(nft, args, input !== undefined ? { input } : {}),
    // conntrack exits 1 when no flow matched, the usual case.
    ...(conntrack ? { conntrack: (args: string[]) => shells.run(conntrack, args).then(() => {}, (err: unknown) => {
      if ((err as { code?: unknown }).code !== 1) throw err;
    }) } : {}),
    logger: ctx.logger,
  });
  try {
    await proxier.run(ctx.signal);
  } finally {
    try {
      const { podsLeft } = await kubeletStopped;
      if (!podsLeft && (await proxier.removeRules())) ctx.logger.info(`removed the service rules (nftables table ip ${proxier.table}): no pod left on the node`);
    } catch (err) {
      ctx.logger.error({ err }, 'removing the service rules failed');
    } finally {
      await shells.close();
    }
  }
}

/** A tool's path: from PATH, or where Debian puts it (root's PATH has /usr/sbin, others' may not). */
export function findTool(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
