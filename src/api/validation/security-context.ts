/**
 * Pod and container security-context checks beyond ids (validation.go's validatePodSpecSecurityContext,
 * validateSysctls, validateSeccompProfileField, ValidateAppArmorProfileField and the procMount rule), with
 * upstream's paths and messages. One kubeling rule is added: `hostUsers: false` is refused, as kubeling runs
 * no pod in a user namespace (and so `procMount: Unmasked`, which needs one, is never allowed either).
 */
import type { PodSpec } from '../types.ts';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required } from '../field-error.ts';
import { SYSCTL_MAX_LENGTH, SYSCTL_NAME_FMT, isValidSysctlName, sysctlNamespace } from './sysctl-names.ts';

interface Profile {
  type?: string;
  localhostProfile?: string;
}

const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split(/[\\/]/).includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

/** seccompProfile and appArmorProfile share their rules; `what` names the kind in messages. */
function validateProfile(profile: Profile | undefined, what: 'seccomp' | 'AppArmor', path: string): FieldError[] {
  if (!profile) return [];
  const errs: FieldError[] = [];
  const field = what === 'seccomp' ? 'seccompProfile' : 'appArmorProfile';
  if (!profile.type) errs.push(required(`${path}.type`, `type is required when ${field} is set`));
  else if (!PROFILE_TYPES.includes(profile.type)) errs.push(notSupported(`${path}.type`, profile.type, PROFILE_TYPES));
  if (profile.type === 'Localhost') {
    if (profile.localhostProfile === undefined || (what === 'AppArmor' && profile.localhostProfile.trim() === ''))
      errs.push(required(`${path}.localhostProfile`, `must be set when ${what} type is Localhost`));
    else if (what === 'seccomp') errs.push(...validateLocalDescendingPath(profile.localhostProfile, `${path}.localhostProfile`));
  } else if (profile.localhostProfile !== undefined) {
    errs.push(invalid(`${path}.localhostProfile`, profile, `can only be set when ${what} type is Localhost`));
  }
  return errs;
}

function validateSysctls(s: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (s.securityContext?.sysctls ?? []).forEach((sysctl, i) => {
    const p = `${path}[${i}].name`;
    if (!sysctl.name) errs.push(required(p, ''));
    else if (!isValidSysctlName(sysctl.name))
      errs.push(invalid(p, sysctl.name, `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_NAME_FMT}`));
    else if (seen.has(sysctl.name)) errs.push(duplicate(p, sysctl.name));
    const ns = sysctl.name ? sysctlNamespace(sysctl.name) : undefined;
    if (s.hostNetwork && ns === 'Net') errs.push(invalid(p, sysctl.name, "may not be specified when 'hostNetwork' is true"));
    if (s.hostIPC && ns === 'IPC') errs.push(invalid(p, sysctl.name, "may not be specified when 'hostIPC' is true"));
    seen.add(sysctl.name);
  });
  return errs;
}

/** The pod's securityContext and the profiles and procMount of each of its containers. */
export function validatePodSecurity(s: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const psc = s.securityContext as (PodSpec['securityContext'] & { supplementalGroupsPolicy?: string }) | undefined;
  const scPath = `${path}.securityContext`;
  if (psc) {
    errs.push(...validateSysctls(s, `${scPath}.sysctls`));
    if (psc.fsGroupChangePolicy !== undefined && !['Always', 'OnRootMismatch'].includes(psc.fsGroupChangePolicy))
      errs.push(notSupported(`${scPath}.fsGroupChangePolicy`, psc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
    if (psc.supplementalGroupsPolicy !== undefined && !['Merge', 'Strict'].includes(psc.supplementalGroupsPolicy))
      errs.push(notSupported(`${scPath}.supplementalGroupsPolicy`, psc.supplementalGroupsPolicy, ['Merge', 'Strict']));
    errs.push(...validateProfile(psc.seccompProfile, 'seccomp', `${scPath}.seccompProfile`));
    errs.push(...validateProfile(psc.appArmorProfile, 'AppArmor', `${scPath}.appArmorProfile`));
  }
  if (s.hostUsers === false) errs.push(forbidden(`${path}.hostUsers`, 'kubeling does not run pods in user namespaces'));
  const hostUsers = s.hostUsers !== false;
  const groups = [
    ['initContainers', s.initContainers ?? []],
    ['containers', s.containers ?? []],
    ['ephemeralContainers', s.ephemeralContainers ?? []],
  ] as const;
  for (const [kind, list] of groups) {
    list.forEach((c, i) => {
      const sc = c.securityContext;
      if (!sc) return;
      const p = `${path}.${kind}[${i}].securityContext`;
      errs.push(...validateProfile(sc.seccompProfile, 'seccomp', `${p}.seccompProfile`));
      errs.push(...validateProfile(sc.appArmorProfile, 'AppArmor', `${p}.appArmorProfile`));
      if (hostUsers && sc.procMount === 'Unmasked')
        errs.push(invalid(`${p}.procMount`, sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
    });
  }
  return errs;
}
