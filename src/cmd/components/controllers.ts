/**
 * The controller manager inside `kubeling server`: the controllers of src/controllers (Deployment,
 * ReplicaSet, ReplicationController, DaemonSet, StatefulSet, Job, CronJob, TTL-after-finished, the PersistentVolume binder,
 * PVC and PV protection, the garbage collector,
 * EndpointSlice, Endpoints, the LoadBalancer status of k3s's servicelb, node lifecycle, the taint manager, pod GC, resource quota
 * the disruption controller, the horizontal pod autoscaler, the CSR approver and signer), each acting as its own service account `kube-system/<name>` as
 * kube-controller-manager does with `--use-service-account-credentials` (../component-identities.ts), with
 * kube-controller-manager's rate limit (QPS 20, burst 30) per controller client as upstream's client builder gives.
 * Their informers are shared (one per resource, on the controller manager's own identity), as upstream's
 * SharedInformerFactory is.
 */
import {
  CronJobController, DeploymentController, DisruptionController, EndpointsController, EndpointSliceController, GarbageCollector, JobController,
  NodeLifecycleController, PodGCController, ResourceQuotaController, ReplicaSetController, ServiceLBController, StatefulSetController, TaintEvictionController,
  TTLAfterFinishedController, VolumeBindingController, VolumeProtectionController, ReplicationManager, DaemonSetController, CertificateController,
  Controller, WorkQueueMetricsProvider, HorizontalPodAutoscalerController,
} from '../../controllers/index.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component, ComponentContext } from './component.ts';
import { CONTROLLER_MANAGER_USER, controllerUser, type ControllerName } from '../component-identities.ts';
import { SharedInformers, type Client } from '../../client/index.ts';

export const controllersComponent: Component = {
  name: 'controller-manager',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-controller-manager's client limits (--kube-api-qps 20, --kube-api-burst 30 unless the server's flags say).
    const clients: Client[] = [];
    const limits = { qps: ctx.options.kubeApiQps ?? 20, burst: ctx.options.kubeApiBurst ?? 30 };
    const as = (name: ControllerName) => {
      const c = ctx.clientAs(controllerUser(name), `kubeling-controller-manager/${name}`).with(limits);
      clients.push(c);
      return c;
    };
    // One informer per resource for every controller, on the controller manager's own client (upstream's
    // "shared-informers" client): each pod is kept once, not once per controller, and inside `kubeling
    // server` not even that: the informers read the API server's own cached objects (in-process reads).
    const informerClient = ctx.clientAs(CONTROLLER_MANAGER_USER, 'kubeling-controller-manager/shared-informers', { inProcessReads: true });
    clients.push(informerClient);
    const informers = new SharedInformers({ client: informerClient, logger: ctx.logger.child({ controller: 'shared-informers' }) });
    const o = ctx.options;
    // The CSR signer holds the cluster CA's key, as kube-controller-manager's --cluster-signing-key-file.
    const caKeyPem = await readFile(join(ctx.dataDir, 'pki', 'ca.key'), 'utf8');
    const isBootstrapper = (_user: string, groups: readonly string[]) => groups.includes('system:bootstrappers');
    // Each controller's work queue reports workqueue_* under the controller's name, into the process registry.
    const queues = ctx.metrics ? new WorkQueueMetricsProvider(ctx.metrics) : undefined;
    const queued = <T extends object>(name: ControllerName, c: T): T => {
      if ('controller' in c && c.controller instanceof Controller) queues?.instrument(c.controller.queue, name);
      return c;
    };
    try {
      await Promise.all([
        queued('replicaset', new ReplicaSetController({ client: as('replicaset'), informers, logger: ctx.logger.child({ controller: 'replicaset' }) })).run(ctx.signal),
        queued('deployment', new DeploymentController({ client: as('deployment'), informers, logger: ctx.logger.child({ controller: 'deployment' }) })).run(ctx.signal),
        queued('job', new JobController({ client: as('job'), informers, logger: ctx.logger.child({ controller: 'job' }) })).run(ctx.signal),
        queued('cronjob', new CronJobController({ client: as('cronjob'), informers, logger: ctx.logger.child({ controller: 'cronjob' }) })).run(ctx.signal),
        queued('ttl-after-finished', new TTLAfterFinishedController({ client: as('ttl-after-finished'), informers, logger: ctx.logger.child({ controller: 'ttl-after-finished' }) })).run(ctx.signal),
        queued('statefulset', new StatefulSetController({ client: as('statefulset'), informers, logger: ctx.logger.child({ controller: 'statefulset' }) })).run(ctx.signal),
        queued('persistentvolume-binder', new VolumeBindingController({ client: as('persistentvolume-binder'), informers, logger: ctx.logger.child({ controller: 'persistentvolume-binder' }) })).run(ctx.signal),
        queued('volume-protection', new VolumeProtectionController({ client: as('volume-protection'), informers, logger: ctx.logger.child({ controller: 'volume-protection' }) })).run(ctx.signal),
        queued('replicationcontroller', new ReplicationManager({ client: as('replicationcontroller'), informers, logger: ctx.logger.child({ controller: 'replicationcontroller' }) })).run(ctx.signal),
        queued('daemonset', new DaemonSetController({ client: as('daemonset'), informers, logger: ctx.logger.child({ controller: 'daemonset' }) })).run(ctx.signal),
        queued('garbage-collector', new GarbageCollector({ client: as('garbage-collector'), informers, logger: ctx.logger.child({ controller: 'garbage-collector' }) })).run(ctx.signal),
        queued('endpointslice', new EndpointSliceController({ client: as('endpointslice'), informers, maxEndpointsPerSlice: ctx.options.maxEndpointsPerSlice, logger: ctx.logger.child({ controller: 'endpointslice' }) })).run(ctx.signal),
        queued('endpoints', new EndpointsController({ client: as('endpoints'), informers, logger: ctx.logger.child({ controller: 'endpoints' }) })).run(ctx.signal),
        queued('service-lb', new ServiceLBController({ client: as('service-lb'), informers, logger: ctx.logger.child({ controller: 'service-lb' }) })).run(ctx.signal),
        queued('node-lifecycle', new NodeLifecycleController({
          client: as('node-lifecycle'), informers, logger: ctx.logger.child({ controller: 'node-lifecycle' }),
          nodeMonitorPeriodMs: o.nodeMonitorPeriodMs, nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs,
          nodeEvictionRate: o.nodeEvictionRate, secondaryNodeEvictionRate: o.secondaryNodeEvictionRate,
          unhealthyZoneThreshold: o.unhealthyZoneThreshold, largeClusterSizeThreshold: o.largeClusterSizeThreshold,
        })).run(ctx.signal),
        queued('taint-eviction', new TaintEvictionController({ client: as('taint-eviction'), informers, logger: ctx.logger.child({ controller: 'taint-eviction' }) })).run(ctx.signal),
        queued('disruption', new DisruptionController({ client: as('disruption'), informers, logger: ctx.logger.child({ controller: 'disruption' }) })).run(ctx.signal),
        queued('certificate', new CertificateController({ client: as('certificate'), caPem: ctx.caPem, caKeyPem, isBootstrapper, logger: ctx.logger.child({ controller: 'certificatesigningrequest' }) })).run(ctx.signal),
        queued('resourcequota', new ResourceQuotaController({ client: as('resourcequota'), informers, logger: ctx.logger.child({ controller: 'resourcequota' }) })).run(ctx.signal),
        queued('horizontal-pod-autoscaler', new HorizontalPodAutoscalerController({
          client: as('horizontal-pod-autoscaler'), informers, logger: ctx.logger.child({ controller: 'horizontal-pod-autoscaler' }),
          syncPeriodMs: o.hpaSyncPeriodMs, downscaleStabilizationMs: o.hpaDownscaleStabilizationMs, tolerance: o.hpaTolerance,
          cpuInitializationPeriodMs: o.hpaCpuInitializationPeriodMs, initialReadinessDelayMs: o.hpaInitialReadinessDelayMs,
        })).run(ctx.signal),
        queued('pod-garbage-collector', new PodGCController({ client: as('pod-garbage-collector'), informers, terminatedPodThreshold: o.terminatedPodGcThreshold, logger: ctx.logger.child({ controller: 'pod-garbage-collector' }) })).run(ctx.signal),
      ]);
    } finally {
      for (const c of clients) c.close();
    }
  },
};
