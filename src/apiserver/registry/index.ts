/**
 * One strategy per served resource. A resource missing here is served with the base strategy; adding a
 * resource with special rules is one file plus one line below.
 */
import type { ResourceInfo } from '../../api/index.ts';
import { baseStrategy } from './base.ts';
import { podStrategy } from './pods.ts';
import { namespaceStrategy } from './namespaces.ts';
import { endpointSliceStrategy } from './endpointslices.ts';
import { cronJobStrategy, jobStrategy } from './jobs.ts';
import { certificateSigningRequestStrategy } from './certificatesigningrequests.ts';
import { horizontalPodAutoscalerStrategy } from './horizontalpodautoscalers.ts';
import { customResourceDefinitionStrategy } from './customresourcedefinitions.ts';
import { customResourceStrategy } from './custom-resources.ts';
import type { Strategy } from './strategy.ts';

const BUILDERS: Record<string, (info: ResourceInfo) => Strategy> = {
  '/pods': podStrategy,
  '/namespaces': namespaceStrategy,
  // A node registers with its status filled in, so create keeps it.
  '/nodes': (info) => baseStrategy(info, { hasStatusSubresource: true, prepareForCreate: () => {} }),
  '/events': (info) => baseStrategy(info, { allowCreateOnUpdate: true }),
  'events.k8s.io/events': (info) => baseStrategy(info, { allowCreateOnUpdate: true }),
  'coordination.k8s.io/leases': (info) => baseStrategy(info, { allowCreateOnUpdate: true }),
  'apps/deployments': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true }),
  'admissionregistration.k8s.io/validatingadmissionpolicies': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true }),
  'apps/replicasets': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true }),
  'apps/daemonsets': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true }),
  '/replicationcontrollers': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true, defaultGarbageCollectionPolicy: 'OrphanDependents' }),
  'discovery.k8s.io/endpointslices': endpointSliceStrategy,
  // The resource quota controller writes status.hard and status.used; users write the spec.
  '/resourcequotas': (info) => baseStrategy(info, { hasStatusSubresource: true }),
  'batch/jobs': jobStrategy,
  'batch/cronjobs': cronJobStrategy,
  'certificates.k8s.io/certificatesigningrequests': certificateSigningRequestStrategy,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerStrategy,
  'apiextensions.k8s.io/customresourcedefinitions': customResourceDefinitionStrategy,
  'apps/statefulsets': (info) => baseStrategy(info, { hasStatusSubresource: true, tracksGeneration: true }),
  // Volumes and claims start Pending whatever the client sent; the PV controller moves them on.
  '/persistentvolumes': (info) => baseStrategy(info, { hasStatusSubresource: true, prepareForCreate: (o) => { o.status = { phase: 'Pending' }; } }),
  '/persistentvolumeclaims': (info) => baseStrategy(info, { hasStatusSubresource: true, prepareForCreate: (o) => { o.status = { phase: 'Pending' }; } }),
};

/**
 * Resources that have no storage of their own: bindings are a pod subresource in disguise; the self-subject
 * reviews are answered at once (self-subject-review.ts).
 */
export const VIRTUAL_RESOURCES = new Set([
  '/bindings', 'authentication.k8s.io/tokenreviews', 'authentication.k8s.io/selfsubjectreviews', 'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews',
  'authorization.k8s.io/subjectaccessreviews', 'authorization.k8s.io/localsubjectaccessreviews',
]);

export function strategyFor(info: ResourceInfo): Strategy {
  if (info.custom) return customResourceStrategy(info);
  const build = BUILDERS[`${info.group}/${info.plural}`];
  return build ? build(info) : baseStrategy(info);
}

export { GenericRegistry, randomSuffix, timestamp } from './generic.ts';
export type { Strategy } from './strategy.ts';
export { prepareForFinalize } from './namespaces.ts';
