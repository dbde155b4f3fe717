/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet and the garbage collector so far), each on the admin client like any other component.
 */
import { DeploymentController, GarbageCollector, ReplicaSetController } from '../../controllers/index.ts';
import type { Component, ComponentContext } from './component.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    await Promise.all([
      new ReplicaSetController({ client: ctx.client, logger: ctx.logger.child({ controller: 'replicaset' }) }).run(ctx.signal),
      new DeploymentController({ client: ctx.client, logger: ctx.logger.child({ controller: 'deployment' }) }).run(ctx.signal),
      new GarbageCollector({ client: ctx.client, logger: ctx.logger.child({ controller: 'garbage-collector' }) }).run(ctx.signal),
    ]);
  },
};
