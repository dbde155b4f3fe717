/**
 * DefaultTolerationSeconds: every new pod tolerates `node.kubernetes.io/not-ready` and
 * `node.kubernetes.io/unreachable` (NoExecute) for 300 s unless it already tolerates them, so a pod rides out
 * a short node outage before the node lifecycle controller evicts it. The two times are kube-apiserver's
 * `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
 */
import type { Pod, Toleration } from '../../api/index.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

export const DEFAULT_TOLERATION_SECONDS = 300;
const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

function tolerates(t: Toleration, key: string): boolean {
  const effectOk = !t.effect || t.effect === 'NoExecute';
  if (!effectOk) return false;
  if (t.operator === 'Exists' && !t.key) return true;
  return t.key === key;
}

export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = 'DefaultTolerationSeconds';
  readonly #seconds: Record<string, number>;

  constructor(options: { notReadySeconds?: number; unreachableSeconds?: number } = {}) {
    this.#seconds = {
      'node.kubernetes.io/not-ready': options.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS,
      'node.kubernetes.io/unreachable': options.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS,
    };
  }

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.plural !== 'pods' || a.resource.group !== '') return;
    const spec = (a.object as unknown as Pod).spec!;
    const tolerations = (spec.tolerations ??= []);
    for (const key of TAINTS) {
      if (tolerations.some((t) => tolerates(t, key))) continue;
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.#seconds[key] });
    }
  }
}
