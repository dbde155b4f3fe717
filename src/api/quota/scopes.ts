/**
 * ResourceQuota scopes (pkg/apis/core/helper and pkg/quota/v1/evaluator/core): which scopes exist, which
 * resources a scope may limit, and whether a pod falls under a scope selector requirement. A quota with scopes
 * tracks only the pods that match every one of them.
 */
import type { Pod, PodAffinityTerm, ResourceQuota } from '../types.ts';
import { podQOSClass } from '../resource-helpers.ts';

export const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

/** One requirement of a quota's scope selector (a `spec.scopes` entry becomes `Exists`). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** Object counts, whose quantities must be whole numbers. */
const INTEGER_RESOURCES = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);

export function isIntegerQuotaResource(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || name.startsWith('count/');
}

/** IsResourceQuotaScopeValidForResource. */
export function scopeSupportsResource(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return resource === 'pods';
  if (QUOTA_SCOPES.includes(scope)) return resource === 'pods' || POD_COMPUTE.has(resource);
  return true;
}

/** The quota's scopes and scope selector as one list of requirements (getScopeSelectorsFromQuota). */
export function quotaScopeRequirements(rq: ResourceQuota): ScopeRequirement[] {
  return [
    ...(rq.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })),
    ...(rq.spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

function crossNamespaceTerm(t: PodAffinityTerm): boolean {
  return (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined;
}

function usesCrossNamespacePodAffinity(pod: Pod): boolean {
  for (const a of [pod.spec?.affinity?.podAffinity, pod.spec?.affinity?.podAntiAffinity]) {
    if (!a) continue;
    if ((a.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespaceTerm)) return true;
    if ((a.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crossNamespaceTerm(w.podAffinityTerm))) return true;
  }
  return false;
}

/** podMatchesScopeFunc. */
export function podMatchesScope(req: ScopeRequirement, pod: Pod): boolean {
  const terminating = pod.spec?.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds >= 0;
  switch (req.scopeName) {
    case 'Terminating': return terminating;
    case 'NotTerminating': return !terminating;
    case 'BestEffort': return podQOSClass(pod) === 'BestEffort';
    case 'NotBestEffort': return podQOSClass(pod) !== 'BestEffort';
    case 'CrossNamespacePodAffinity': return usesCrossNamespacePodAffinity(pod);
    case 'PriorityClass': {
      // The selector is a label selector over {PriorityClass: <the pod's class>}.
      const cls = pod.spec?.priorityClassName ?? '';
      switch (req.operator) {
        case 'Exists': return cls !== '';
        case 'DoesNotExist': return cls === '';
        case 'In': return cls !== '' && (req.values ?? []).includes(cls);
        case 'NotIn': return cls === '' || !(req.values ?? []).includes(cls);
        default: return false;
      }
    }
    default: return false;
  }
}
