/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet and the garbage collector so far), on the admin client like any other component, with
 * kube-controller-manager's rate limit (QPS 20, burst 30).
 */
import { DeploymentController, GarbageCollector, ReplicaSetController } from '../../controllers/index.ts';
import type { Component, ComponentContext } from './component.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-controller-manager's client limits (--kube-api-qps 20, --kube-api-burst 30), shared by its controllers.
    const client = ctx.client.with({ qps: 20, burst: 30 });
    try {
      await Promise.all([
        new ReplicaSetController({ client, logger: ctx.logger.child({ controller: 'replicaset' }) }).run(ctx.signal),
        new DeploymentController({ client, logger: ctx.logger.child({ controller: 'deployment' }) }).run(ctx.signal),
        new GarbageCollector({ client, logger: ctx.logger.child({ controller: 'garbage-collector' }) }).run(ctx.signal),
      ]);
    } finally {
      client.close();
    }
  },
};
