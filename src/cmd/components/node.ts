/**
 * A node's managers side by side: the kubelet and the service proxy, for both `kubeling server` (its own node)
 * and `kubeling agent`. They stop together (the kubelet ending, or the proxy failing, stops the other), and the proxy learns from the
 * kubelet whether pods stay on the node, which decides whether its rules stay too.
 */
import { createLogger, Deferred } from '../../machinery/index.ts';
import { runKubelet, type KubeletContext, type KubeletStopped } from './kubelet.ts';
import { runProxy, type ProxyContext } from './proxy.ts';
import type { Component, ComponentContext } from './component.ts';

export type NodeContext = KubeletContext & Pick<ProxyContext, 'localPodCidr' | 'serviceCidr'> & {
  /** The proxy's logger (default: the kubelet's). */
  proxyLogger?: ProxyContext['logger'];
};

export async function runNode(ctx: NodeContext): Promise<void> {
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
  const proxy = runProxy(
    { client: ctx.client, node: ctx.node, localPodCidr: ctx.localPodCidr, serviceCidr: ctx.serviceCidr, logger: ctx.proxyLogger ?? ctx.logger, signal },
    kubeletStopped.promise,
  ).catch((err: unknown) => {
    // A failed proxy stops the node; one that has nothing to do (fake runtime, no nft) returns at once and
    // must not take the kubelet with it.
    stop.abort();
    throw err;
  });
  const [k, p] = await Promise.allSettled([kubelet, proxy]);
  if (k.status === 'rejected') throw k.reason;
  if (p.status === 'rejected') throw p.reason;
}

export const nodeComponent: Component = {
  name: 'node',
  async run(ctx: ComponentContext): Promise<void> {
    if (!ctx.node) return;
    // TODO(proxy, #9): pass options.serviceCidr once --service-cidr (svcapi) is merged; the default until then.
    await runNode({ ...ctx, node: ctx.node, localPodCidr: ctx.options.clusterCidr, proxyLogger: createLogger('proxy') });
  },
};
