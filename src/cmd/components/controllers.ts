/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet, ReplicationController, DaemonSet, the garbage collector, EndpointSlice, Endpoints, the LoadBalancer status of k3s's
 * servicelb, node lifecycle, the taint manager and pod GC), on the admin client like any other component, with kube-controller-manager's rate limit
 * (QPS 20, burst 30).
 */
import {
  DeploymentController, EndpointsController, EndpointSliceController, GarbageCollector, NodeLifecycleController, PodGCController,
  ReplicaSetController, ReplicationManager, DaemonSetController, ServiceLBController, TaintEvictionController,
} from '../../controllers/index.ts';
import type { Component, ComponentContext } from './component.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-controller-manager's client limits (--kube-api-qps 20, --kube-api-burst 30), shared by its controllers.
    const client = ctx.client.with({ qps: 20, burst: 30 });
    const o = ctx.options;
    try {
      await Promise.all([
        new ReplicaSetController({ client, logger: ctx.logger.child({ controller: 'replicaset' }) }).run(ctx.signal),
        new DeploymentController({ client, logger: ctx.logger.child({ controller: 'deployment' }) }).run(ctx.signal),
        new ReplicationManager({ client, logger: ctx.logger.child({ controller: 'replicationcontroller' }) }).run(ctx.signal),
        new DaemonSetController({ client, logger: ctx.logger.child({ controller: 'daemonset' }) }).run(ctx.signal),
        new GarbageCollector({ client, logger: ctx.logger.child({ controller: 'garbage-collector' }) }).run(ctx.signal),
        new EndpointSliceController({ client, maxEndpointsPerSlice: ctx.options.maxEndpointsPerSlice, logger: ctx.logger.child({ controller: 'endpointslice' }) }).run(ctx.signal),
        new EndpointsController({ client, logger: ctx.logger.child({ controller: 'endpoints' }) }).run(ctx.signal),
        new ServiceLBController({ client, logger: ctx.logger.child({ controller: 'service-lb' }) }).run(ctx.signal),
        new NodeLifecycleController({
          client, logger: ctx.logger.child({ controller: 'node-lifecycle' }),
          nodeMonitorPeriodMs: o.nodeMonitorPeriodMs, nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
          nodeEvictionRate: o.nodeEvictionRate, secondaryNodeEvictionRate: o.secondaryNodeEvictionRate,
          unhealthyZoneThreshold: o.unhealthyZoneThreshold, largeClusterSizeThreshold: o.largeClusterSizeThreshold,
        }).run(ctx.signal),
        new TaintEvictionController({ client, logger: ctx.logger.child({ controller: 'taint-eviction' }) }).run(ctx.signal),
        new PodGCController({ client, terminatedPodThreshold: o.terminatedPodGcThreshold, logger: ctx.logger.child({ controller: 'pod-garbage-collector' }) }).run(ctx.signal),
      ]);
    } finally {
      client.close();
    }
  },
};
