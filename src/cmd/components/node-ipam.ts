/**
 * Node IPAM, as kube-controller-manager's range allocator does it: every Node without `spec.podCIDR` gets
 * the lowest free /24 of the cluster CIDR (`--cluster-cidr`, default 10.42.0.0/16; `--allocate-node-cidrs`).
 * The server's own node keeps the first /24 (10.42.0.0/24 by default), also before it has registered, so an
 * agent that joins first cannot take it. Agents wait for their podCIDR before they set up their pod network (agent.ts).
 *
 * One allocator per cluster: it is the single writer of podCIDRs, and each write is a compare-and-swap on
 * the Node's resourceVersion, so a node that registered meanwhile is seen on the next round.
 */
import type { INode } from 'kubernetes-models/v1/Node';
import { Informer, isConflict, isNotFound } from '../../client/index.ts';
import { realClock } from '../../machinery/index.ts';
import { allocatePodCidr, CLUSTER_CIDR, serverNodePodCidr } from '../join.ts';
import type { Component, ComponentContext } from './component.ts';

type Node = INode & { metadata: NonNullable<INode['metadata']> };

/** The podCIDR each node that needs one should get, given all nodes (pure; the server's node first). */
export function planPodCidrs(
  nodes: Node[],
  serverNodeName: string | undefined,
  clusterCidr = CLUSTER_CIDR,
): Map<string, string> {
  const SERVER_NODE_POD_CIDR = serverNodePodCidr(clusterCidr);
  const used = new Set<string>();
  for (const n of nodes) if (n.spec?.podCIDR) used.add(n.spec.podCIDR);
  const plan = new Map<string, string>();
  const serverNode = nodes.find((n) => n.metadata.name === serverNodeName);
  if (serverNodeName !== undefined && !serverNode?.spec?.podCIDR && !used.has(SERVER_NODE_POD_CIDR)) {
    if (serverNode) plan.set(serverNodeName, SERVER_NODE_POD_CIDR);
  }
  // Reserved for the server's node even before it registers.
  if (serverNodeName !== undefined) used.add(SERVER_NODE_POD_CIDR);
  for (const n of [...nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    if (n.spec?.podCIDR || plan.has(n.metadata.name!)) continue;
    const cidr = allocatePodCidr(used, clusterCidr);
    if (!cidr) break;
    used.add(cidr);
    plan.set(n.metadata.name!, cidr);
  }
  return plan;
}

export const nodeIpamComponent: Component = {
  name: 'node-ipam',
  async run(ctx: ComponentContext): Promise<void> {
    const nodes = ctx.client.resource<Node>('nodes');
    const informer = new Informer<Node>(nodes, { logger: ctx.logger });
    let wake: (() => void) | undefined;
    let dirty = true;
    const ring = () => {
      dirty = true;
      wake?.();
    };
    informer.onAdd(ring).onUpdate(ring);
    const informing = informer.run(ctx.signal);
    const serverNode = ctx.options.noAgent ? undefined : ctx.options.nodeName;
    const loop = async () => {
      await informer.synced.catch(() => {});
      while (!ctx.signal.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          wake = undefined;
          continue;
        }
        dirty = false;
        for (const [name, cidr] of planPodCidrs(informer.list(), serverNode, ctx.options.clusterCidr)) {
          try {
            const node = await nodes.get(name, { signal: ctx.signal });
            if (node.spec?.podCIDR) continue;
            node.spec = { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] };
            await nodes.update(node, { signal: ctx.signal });
            ctx.logger.info({ node: name, podCIDR: cidr }, 'allocated pod CIDR');
          } catch (err) {
            if (ctx.signal.aborted) return;
            if (isConflict(err) || isNotFound(err)) {
              dirty = true;
              continue;
            }
            ctx.logger.warn({ err, node: name }, 'allocating pod CIDR failed');
            dirty = true;
            await realClock.sleep(1000, ctx.signal).catch(() => {});
          }
        }
      }
    };
    await Promise.allSettled([informing, loop()]);
  },
};
