/**
 * Priority, as upstream's admission plugin (plugin/pkg/admission/priority): a new Pod gets `spec.priority` and
 * `spec.preemptionPolicy` from the PriorityClass it names, or from the global default class (the lowest-valued
 * one marked `globalDefault`; none means priority 0 and PreemptLowerPriority). A class that does not exist, or a
 * priority/preemptionPolicy in the pod that differs from the class's, is refused with upstream's messages. An
 * update keeps the stored priority. For PriorityClasses themselves: only one may be the global default, and the
 * two system classes cannot be deleted.
 */
import { SYSTEM_PRIORITY_CLASSES, type KubeObject, type Pod, type PriorityClass } from '../../api/index.ts';
import { forbidden } from '../status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

const PODS = { group: '', resource: 'pods' };
const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/** The global default class: the lowest value among those marked globalDefault (getDefaultPriority). */
export function globalDefaultClass(classes: PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of classes) {
    if (!pc.globalDefault || pc.metadata?.deletionTimestamp) continue;
    if (!best || (pc.value ?? 0) < (best.value ?? 0)) best = pc;
  }
  return best;
}

export class PriorityAdmission implements AdmissionPlugin {
  readonly name = 'Priority';
  readonly #classes: () => KubeObject[];

  /** `classes` lists the PriorityClasses (the API server's watch cache). */
  constructor(classes: () => KubeObject[]) {
    this.#classes = classes;
  }

  admit(a: AdmissionAttributes): void {
    if (a.subresource || a.resource.group !== '' || a.resource.plural !== 'pods') return;
    const pod = a.object as unknown as Pod | undefined;
    if (!pod) return;
    const spec = (pod.spec ??= { containers: [] });
    if (a.operation === 'UPDATE') {
      const old = (a.oldObject as unknown as Pod | undefined)?.spec;
      if (spec.priority === undefined && old?.priority !== undefined) spec.priority = old.priority;
      if (spec.preemptionPolicy === undefined && old?.preemptionPolicy !== undefined) spec.preemptionPolicy = old.preemptionPolicy;
      return;
    }
    if (a.operation !== 'CREATE') return;
    const classes = this.#classes() as unknown as PriorityClass[];
    let priority = 0;
    let policy: 'PreemptLowerPriority' | 'Never' = 'PreemptLowerPriority';
    if (!spec.priorityClassName) {
      const def = globalDefaultClass(classes);
      if (def) {
        spec.priorityClassName = def.metadata!.name!;
        priority = def.value ?? 0;
        policy = def.preemptionPolicy ?? policy;
      }
    } else {
      const pc = classes.find((c) => c.metadata?.name === spec.priorityClassName);
      const system = SYSTEM_PRIORITY_CLASSES[spec.priorityClassName];
      if (pc) {
        priority = pc.value ?? 0;
        policy = pc.preemptionPolicy ?? policy;
      } else if (system !== undefined) {
        // The system classes are created at start; until they are in the cache, their values are known.
        priority = system;
      } else {
        throw forbidden(PODS, a.name, `no PriorityClass with name ${spec.priorityClassName} was found`);
      }
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw forbidden(PODS, a.name, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw forbidden(PODS, a.name, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }

  validate(a: AdmissionAttributes): void {
    if (a.subresource || a.resource.group !== 'scheduling.k8s.io' || a.resource.plural !== 'priorityclasses') return;
    if (a.operation === 'DELETE') {
      if (a.name in SYSTEM_PRIORITY_CLASSES) throw forbidden(PRIORITY_CLASSES, a.name, 'this is a system priority class and cannot be deleted');
      return;
    }
    const pc = a.object as unknown as PriorityClass | undefined;
    if (!pc?.globalDefault) return;
    const other = (this.#classes() as unknown as PriorityClass[]).find((c) => c.globalDefault && c.metadata?.name !== pc.metadata?.name && !c.metadata?.deletionTimestamp);
    if (other) throw forbidden(PRIORITY_CLASSES, a.name, `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`);
  }
}
