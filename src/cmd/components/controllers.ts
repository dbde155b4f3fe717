/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet, ReplicationController, DaemonSet, StatefulSet, Job, CronJob, TTL-after-finished, the PersistentVolume binder,
 * PVC and PV protection, the garbage collector,
 * EndpointSlice, Endpoints, the LoadBalancer status of k3s's servicelb, node lifecycle, the taint manager, pod GC
 * the disruption controller, the CSR approver and signer), each acting as its own service account `kube-system/<name>` as
 * kube-controller-manager does with `--use-service-account-credentials` (../component-identities.ts), with
 * kube-controller-manager's rate limit (QPS 20, burst 30) per controller client as upstream's client builder gives.
 */
import {
  CronJobController, DeploymentController, DisruptionController, EndpointsController, EndpointSliceController, GarbageCollector, JobController,
  NodeLifecycleController, PodGCController, ReplicaSetController, ServiceLBController, StatefulSetController, TaintEvictionController,
  TTLAfterFinishedController, VolumeBindingController, VolumeProtectionController, ReplicationManager, DaemonSetController, CertificateController,
} from '../../controllers/index.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component, ComponentContext } from './component.ts';
import { controllerUser, type ControllerName } from '../component-identities.ts';
import type { Client } from '../../client/index.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-controller-manager's client limits (--kube-api-qps 20, --kube-api-burst 30).
    const clients: Client[] = [];
    const as = (name: ControllerName) => {
      const c = ctx.clientAs(controllerUser(name), `kubeling-controller-manager/${name}`).with({ qps: 20, burst: 30 });
      clients.push(c);
      return c;
    };
    const o = ctx.options;
    // The CSR signer holds the cluster CA's key, as kube-controller-manager's --cluster-signing-key-file.
    const caKeyPem = await readFile(join(ctx.dataDir, 'pki', 'ca.key'), 'utf8');
    const isBootstrapper = (_user: string, groups: readonly string[]) => groups.includes('system:bootstrappers');
    try {
      await Promise.all([
        new ReplicaSetController({ client: as('replicaset'), logger: ctx.logger.child({ controller: 'replicaset' }) }).run(ctx.signal),
        new DeploymentController({ client: as('deployment'), logger: ctx.logger.child({ controller: 'deployment' }) }).run(ctx.signal),
        new JobController({ client: as('job'), logger: ctx.logger.child({ controller: 'job' }) }).run(ctx.signal),
        new CronJobController({ client: as('cronjob'), logger: ctx.logger.child({ controller: 'cronjob' }) }).run(ctx.signal),
        new TTLAfterFinishedController({ client: as('ttl-after-finished'), logger: ctx.logger.child({ controller: 'ttl-after-finished' }) }).run(ctx.signal),
        new StatefulSetController({ client: as('statefulset'), logger: ctx.logger.child({ controller: 'statefulset' }) }).run(ctx.signal),
        new VolumeBindingController({ client: as('persistentvolume-binder'), logger: ctx.logger.child({ controller: 'persistentvolume-binder' }) }).run(ctx.signal),
        new VolumeProtectionController({ client: as('volume-protection'), logger: ctx.logger.child({ controller: 'volume-protection' }) }).run(ctx.signal),
        new ReplicationManager({ client: as('replicationcontroller'), logger: ctx.logger.child({ controller: 'replicationcontroller' }) }).run(ctx.signal),
        new DaemonSetController({ client: as('daemonset'), logger: ctx.logger.child({ controller: 'daemonset' }) }).run(ctx.signal),
        new GarbageCollector({ client: as('garbage-collector'), logger: ctx.logger.child({ controller: 'garbage-collector' }) }).run(ctx.signal),
        new EndpointSliceController({ client: as('endpointslice'), maxEndpointsPerSlice: ctx.options.maxEndpointsPerSlice, logger: ctx.logger.child({ controller: 'endpointslice' }) }).run(ctx.signal),
        new EndpointsController({ client: as('endpoints'), logger: ctx.logger.child({ controller: 'endpoints' }) }).run(ctx.signal),
        new ServiceLBController({ client: as('service-lb'), logger: ctx.logger.child({ controller: 'service-lb' }) }).run(ctx.signal),
        new NodeLifecycleController({
          client: as('node-lifecycle'), logger: ctx.logger.child({ controller: 'node-lifecycle' }),
          nodeMonitorPeriodMs: o.nodeMonitorPeriodMs, nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
          nodeEvictionRate: o.nodeEvictionRate, secondaryNodeEvictionRate: o.secondaryNodeEvictionRate,
          unhealthyZoneThreshold: o.unhealthyZoneThreshold, largeClusterSizeThreshold: o.largeClusterSizeThreshold,
        }).run(ctx.signal),
        new TaintEvictionController({ client: as('taint-eviction'), logger: ctx.logger.child({ controller: 'taint-eviction' }) }).run(ctx.signal),
        new DisruptionController({ client: as('disruption'), logger: ctx.logger.child({ controller: 'disruption' }) }).run(ctx.signal),
        new CertificateController({ client: as('certificate'), caPem: ctx.caPem, caKeyPem, isBootstrapper, logger: ctx.logger.child({ controller: 'certificatesigningrequest' }) }).run(ctx.signal),
        new PodGCController({ client: as('pod-garbage-collector'), terminatedPodThreshold: o.terminatedPodGcThreshold, logger: ctx.logger.child({ controller: 'pod-garbage-collector' }) }).run(ctx.signal),
      ]);
    } finally {
      for (const c of clients) c.close();
    }
  },
};
