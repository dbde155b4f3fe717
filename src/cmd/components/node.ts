/**
 * A node's managers side by side: the kubelet and the service proxy, for both `kubeling server` (its own node)
 * and `kubeling agent`. The kubelet's end stops the proxy, and a failed proxy stops the kubelet (a proxy with
 * nothing to do, on a fake-runtime node, returns at once and leaves the kubelet running); the proxy learns
 * from the kubelet whether pods stay on the node, which decides whether its rules stay too.
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
    await runNode({ ...ctx, node: ctx.node, localPodCidr: ctx.options.clusterCidr, serviceCidr: ctx.options.serviceCidr, proxyLogger: createLogger('proxy') });
  },
};
