/**
 * The scheduler inside `kubeling server`: kube-scheduler's default profile, talking to the API server over
 * loopback with the admin client like any other component. It runs whether or not the local node does.
 */
import { Scheduler } from '../../scheduler/index.ts';
import type { Component, ComponentContext } from './component.ts';

export const schedulerComponent: Component = {
  name: 'scheduler',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-scheduler's client limits (QPS 50, burst 100) are the client's defaults: ctx.client has them, unless
    // the server's --kube-api-qps / --kube-api-burst say otherwise.
    const { kubeApiQps, kubeApiBurst } = ctx.options;
    const client = kubeApiQps !== undefined || kubeApiBurst !== undefined
      ? ctx.client.with({ ...(kubeApiQps !== undefined ? { qps: kubeApiQps } : {}), ...(kubeApiBurst !== undefined ? { burst: kubeApiBurst } : {}) })
      : ctx.client;
    try {
      await new Scheduler({ client, logger: ctx.logger, ...(ctx.metrics ? { metrics: ctx.metrics } : {}) }).run(ctx.signal);
    } finally {
      if (client !== ctx.client) client.close();
    }
  },
};
