/**
 * The API source: pods bound to this node (`spec.nodeName=<node>`), watched through an Informer. Ordinary pods
 * go into PodConfig as source `api`; mirror pods (the API's copies of our static pods) are not run, only kept
 * for the mirror-pod reconcile.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import { Informer, type Client } from '../../client/index.ts';
import { isMirrorPod, type PodConfig } from './pod-config.ts';

export class ApiPodSource {
  readonly informer: Informer<IPod>;

  constructor(client: Client, nodeName: string, config: PodConfig) {
    this.informer = new Informer<IPod>(client.resource<IPod>('pods'), { fieldSelector: `spec.nodeName=${nodeName}` });
    this.informer.onAdd((pod) => {
      if (!isMirrorPod(pod)) config.addOrUpdate('api', pod);
    });
    this.informer.onUpdate((_old, pod) => {
      if (!isMirrorPod(pod)) config.addOrUpdate('api', pod);
    });
    this.informer.onDelete((pod) => {
      if (!isMirrorPod(pod)) config.remove('api', pod);
    });
  }

  get synced(): Promise<void> {
    return this.informer.synced;
  }

  mirrorPods(): IPod[] {
    return this.informer.list().filter(isMirrorPod);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }
}
