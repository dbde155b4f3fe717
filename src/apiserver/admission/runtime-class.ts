/**
 * RuntimeClass, as upstream's admission plugin (plugin/pkg/admission/runtimeclass), on pod creation:
 *
 *   admit     a pod naming a RuntimeClass that does not exist is refused (`pod rejected: RuntimeClass "x" not
 *             found`); the class's `overhead.podFixed` becomes the pod's `spec.overhead` (a different overhead in
 *             the pod is refused); its `scheduling.nodeSelector` is merged into the pod's (a key with another
 *             value there is refused as a conflict) and its tolerations merged into the pod's, a toleration
 *             another one already covers left out (upstream's MergeTolerations);
 *   validate  the pod's overhead must be the class's, and a pod may carry an overhead only through a class that
 *             defines one.
 */
import { tryParseQuantity, type KubeObject, type Pod, type RuntimeClass, type Toleration } from '../../api/index.ts';
import { forbidden } from '../status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

const PODS = { group: '', resource: 'pods' };

/** Semantic equality of resource lists (`0.25` and `250m` are the same cpu), as apiequality.Semantic. */
function quantitiesEqual(a: Record<string, string | number> | undefined, b: Record<string, string | number> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.length === kb.length && ka.every((k, i) => {
    if (k !== kb[i]) return false;
    const qa = tryParseQuantity(a![k]);
    const qb = tryParseQuantity(b![k]);
    return qa && qb ? qa.cmp(qb) === 0 : String(a![k]) === String(b![k]);
  });
}

function canonical(list: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, tryParseQuantity(v)?.toString() ?? String(v)]));
}

/** Whether `ss` tolerates everything `t` does (upstream's isSuperset). */
function isSuperset(ss: Toleration, t: Toleration): boolean {
  if (JSON.stringify(ss) === JSON.stringify(t)) return true;
  // An empty key with Exists matches every key.
  if ((t.key ?? '') !== (ss.key ?? '') && ((ss.key ?? '') !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (ss.effect ?? '') && (ss.effect ?? '') !== '') return false;
  if (ss.effect === 'NoExecute' && ss.tolerationSeconds !== undefined && ss.tolerationSeconds !== null) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null || t.tolerationSeconds > ss.tolerationSeconds) return false;
  }
  switch (ss.operator ?? '') {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && (t.value ?? '') === (ss.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** upstream tolerations.MergeTolerations: both lists, each toleration another one covers left out. */
export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  next: for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    for (const m of merged) if (isSuperset(m, t)) continue next;
    for (const later of all.slice(i + 1)) {
      // Equal ones: the first is kept.
      if (JSON.stringify(later) !== JSON.stringify(t) && isSuperset(later, t)) continue next;
    }
    merged.push(t);
  }
  return merged;
}

export class RuntimeClassAdmission implements AdmissionPlugin {
  readonly name = 'RuntimeClass';
  readonly #classes: () => KubeObject[];

  /** `classes` lists the RuntimeClasses (the API server's watch cache). */
  constructor(classes: () => KubeObject[]) {
    this.#classes = classes;
  }

  #prepare(a: AdmissionAttributes): { pod: Pod; rc: RuntimeClass | undefined } | undefined {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || a.resource.plural !== 'pods') return undefined;
    const pod = a.object as unknown as Pod | undefined;
    if (!pod) return undefined;
    const name = pod.spec?.runtimeClassName;
    if (!name) return { pod, rc: undefined };
    const rc = (this.#classes() as unknown as RuntimeClass[]).find((c) => c.metadata?.name === name);
    if (!rc) throw forbidden(PODS, a.name, `pod rejected: RuntimeClass ${JSON.stringify(name)} not found`);
    return { pod, rc };
  }

  admit(a: AdmissionAttributes): void {
    const p = this.#prepare(a);
    if (!p?.rc) return;
    const { pod, rc } = p;
    const spec = (pod.spec ??= { containers: [] });
    if (rc.overhead?.podFixed) {
      if (spec.overhead && !quantitiesEqual(spec.overhead, rc.overhead.podFixed))
        throw forbidden(PODS, a.name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      spec.overhead = canonical(rc.overhead.podFixed);
    }
    const s = rc.scheduling;
    if (!s) return;
    if (s.nodeSelector) {
      const selector = { ...(spec.nodeSelector ?? {}) };
      for (const [k, v] of Object.entries(s.nodeSelector)) {
        if (k in selector && selector[k] !== v)
          throw forbidden(PODS, a.name, `conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${selector[k]}`);
        selector[k] = v;
      }
      spec.nodeSelector = selector;
    }
    if (s.tolerations?.length) spec.tolerations = mergeTolerations(spec.tolerations ?? [], s.tolerations);
  }

  validate(a: AdmissionAttributes): void {
    const p = this.#prepare(a);
    if (!p) return;
    const overhead = p.pod.spec?.overhead;
    if (p.rc?.overhead?.podFixed) {
      if (!quantitiesEqual(overhead, p.rc.overhead.podFixed))
        throw forbidden(PODS, a.name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
    } else if (overhead) {
      throw forbidden(PODS, a.name, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    }
  }
}
