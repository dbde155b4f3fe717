/**
 * Which Service keys a Service or Pod event touches, for the controllers keyed by Service (Endpoints,
 * EndpointSlice), as upstream's endpoint controllers map pods to Services (`GetPodServiceMemberships`): every
 * Service event enqueues that Service; a pod event enqueues the Services of its namespace whose selector picks
 * it, and, when its labels changed, also those that picked it before.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pod, Service } from '../../api/index.ts';
import type { Informer } from '../../client/index.ts';
import { selectsPod, serviceSelector } from './pods.ts';

/** The pods of `namespace` (from a cache's list) that a Service's selector picks. */
export function podsSelectedBy(pods: Pod[], namespace: string, selector: Record<string, string>): Pod[] {
  return pods.filter((p) => p.metadata?.namespace === namespace && selectsPod(selector, p));
}

/** The Services (from a cache's list) in the pod's namespace whose selector picks the pod. */
export function servicesSelecting(services: Service[], pod: Pod): Service[] {
  return services.filter((svc) => {
    if (svc.metadata?.namespace !== pod.metadata?.namespace) return false;
    const sel = serviceSelector(svc);
    return sel !== undefined && selectsPod(sel, pod);
  });
}

/**
 * Registers the Service and Pod handlers that call `enqueue` with each Service an event touches. Called once,
 * before the informers start; `enqueue` may be called for the same Service many times (the work queue dedupes).
 */
export function enqueueServicesOnEvents(services: Informer<Service>, pods: Informer<Pod>, enqueue: (svc: Service) => void): void {
  services.onAdd(enqueue).onUpdate((_o, s) => enqueue(s)).onDelete(enqueue);
  const forPod = (pod: Pod) => servicesSelecting(services.list(), pod).forEach((svc) => enqueue(svc));
  pods.onAdd(forPod).onUpdate((old, pod) => {
    forPod(pod);
    if (!isDeepStrictEqual(old.metadata?.labels, pod.metadata?.labels)) forPod(old);
  }).onDelete(forPod);
}
