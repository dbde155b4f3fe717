/**
 * The scheduler inside `kubeling server`: kube-scheduler's default profile, talking to the API server over
 * loopback with the admin client like any other component. It runs whether or not the local node does.
 */
import { Scheduler } from '../../scheduler/index.ts';
import type { Component, ComponentContext } from './component.ts';

export const schedulerComponent: Component = {
  name: 'scheduler',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-scheduler's client limits (QPS 50, burst 100) are the client's defaults: ctx.client has them.
    await new Scheduler({ client: ctx.client, logger: ctx.logger, ...(ctx.metrics ? { metrics: ctx.metrics } : {}) }).run(ctx.signal);
  },
};
