/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet, ReplicationController, DaemonSet, StatefulSet, Job, CronJob, TTL-after-finished, the PersistentVolume binder, the garbage collector,
 * EndpointSlice, Endpoints, the LoadBalancer status of k3s's servicelb, node lifecycle, the taint manager, pod GC
 * and the disruption controller, the CSR approver and signer), on the admin client like any other component, with kube-controller-manager's
 * rate limit (QPS 20, burst 30).
 */
import {
  CronJobController, DeploymentController, DisruptionController, EndpointsController, EndpointSliceController, GarbageCollector, JobController,
  NodeLifecycleController, PodGCController, ReplicaSetController, ServiceLBController, StatefulSetController, TaintEvictionController,
  TTLAfterFinishedController, VolumeBindingController, ReplicationManager, DaemonSetController, CertificateController,
} from '../../controllers/index.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component, ComponentContext } from './component.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-controller-manager's client limits (--kube-api-qps 20, --kube-api-burst 30), shared by its controllers.
    const client = ctx.client.with({ qps: 20, burst: 30 });
    const o = ctx.options;
    // The CSR signer holds the cluster CA's key, as kube-controller-manager's --cluster-signing-key-file.
    const caKeyPem = await readFile(join(ctx.dataDir, 'pki', 'ca.key'), 'utf8');
    const isBootstrapper = (_user: string, groups: readonly string[]) => groups.includes('system:bootstrappers');
    try {
      await Promise.all([
        new ReplicaSetController({ client, logger: ctx.logger.child({ controller: 'replicaset' }) }).run(ctx.signal),
        new DeploymentController({ client, logger: ctx.logger.child({ controller: 'deployment' }) }).run(ctx.signal),
        new JobController({ client, logger: ctx.logger.child({ controller: 'job' }) }).run(ctx.signal),
        new CronJobController({ client, logger: ctx.logger.child({ controller: 'cronjob' }) }).run(ctx.signal),
        new TTLAfterFinishedController({ client, logger: ctx.logger.child({ controller: 'ttl-after-finished' }) }).run(ctx.signal),
        new StatefulSetController({ client, logger: ctx.logger.child({ controller: 'statefulset' }) }).run(ctx.signal),
        new VolumeBindingController({ client, logger: ctx.logger.child({ controller: 'persistentvolume-binder' }) }).run(ctx.signal),
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
        new DisruptionController({ client, logger: ctx.logger.child({ controller: 'disruption' }) }).run(ctx.signal),
        new CertificateController({ client, caPem: ctx.caPem, caKeyPem, isBootstrapper, logger: ctx.logger.child({ controller: 'certificatesigningrequest' }) }).run(ctx.signal),
        new PodGCController({ client, terminatedPodThreshold: o.terminatedPodGcThreshold, logger: ctx.logger.child({ controller: 'pod-garbage-collector' }) }).run(ctx.signal),
      ]);
    } finally {
      client.close();
    }
  },
};
