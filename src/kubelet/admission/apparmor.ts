/**
 * The kubelet's AppArmor admit handler: a pod that asks for an AppArmor profile (`appArmorProfile` of type
 * RuntimeDefault or Localhost on the pod or a container, or the deprecated
 * `container.apparmor.security.beta.kubernetes.io/<container>` annotation with any value but `unconfined`)
 * is rejected with reason `AppArmor` on a node whose kernel has AppArmor off, as upstream's validator does.
 * kubeling loads and applies no AppArmor profiles, so on a host with AppArmor such a pod is rejected too
 * (with its own message) rather than run unconfined.
 */
import { readFileSync } from 'node:fs';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { AdmitResult } from './predicates.ts';

const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** Whether the host's kernel enforces AppArmor (`/sys/module/apparmor/parameters/enabled` is `Y`). */
export function hostAppArmorEnabled(file = '/sys/module/apparmor/parameters/enabled'): boolean {
  try {
    return readFileSync(file, 'utf8').trim().startsWith('Y');
  } catch {
    return false;
  }
}

/** Whether any container of the pod runs confined by AppArmor. */
export function requiresAppArmor(pod: IPod): boolean {
  const spec = pod.spec;
  const podType = spec?.securityContext?.appArmorProfile?.type;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  for (const c of containers) {
    const annotation = pod.metadata?.annotations?.[ANNOTATION_PREFIX + c.name];
    const type = c.securityContext?.appArmorProfile?.type ?? podType;
    if (type !== undefined ? type !== 'Unconfined' : annotation !== undefined && annotation !== 'unconfined') return true;
  }
  return false;
}

export function admitAppArmor(pod: IPod, hostEnabled: boolean): AdmitResult {
  if (!requiresAppArmor(pod)) return { admit: true };
  const why = hostEnabled ? 'kubeling does not apply AppArmor profiles' : 'AppArmor is not enabled on the host';
  return { admit: false, reason: 'AppArmor', message: `Cannot enforce AppArmor: ${why}` };
}
