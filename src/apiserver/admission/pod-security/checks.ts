/**
 * The Pod Security Standards' checks as Kubernetes 1.32 ships them (`k8s.io/pod-security-admission/policy`,
 * one `check_*.go` each): every baseline and restricted check, each with the policy versions where it changed,
 * and upstream's reasons and details word for word (`privileged` / `container "c" must not set
 * securityContext.privileged=true`), because users read them in 403s and warnings. A restricted check may
 * override baseline checks it tightens (capabilities, hostPath volumes, seccomp). Pure: a pod's metadata and
 * spec in, a result out; evaluator.ts picks the checks for a level and version.
 */
import type { Container, EphemeralContainer, ObjectMeta, PodSpec, SecurityContext, Volume } from '../../../api/index.ts';
import type { Level } from './levels.ts';

export interface CheckResult {
  allowed: boolean;
  /** Short reason (`host namespaces`); set when not allowed. */
  forbiddenReason?: string;
  /** What exactly is forbidden (`hostNetwork=true`); may be empty. */
  forbiddenDetail?: string;
}

export type CheckPod = (meta: ObjectMeta, spec: PodSpec) => CheckResult;

export interface VersionedCheck {
  /** First policy minor version (1.N) this implementation applies to. */
  minimumMinor: number;
  check: CheckPod;
  /** Baseline checks this restricted check replaces while it applies. */
  overrides?: string[];
}

export interface Check {
  id: string;
  level: Exclude<Level, 'privileged'>;
  /** Ordered by minimumMinor, strictly increasing. */
  versions: VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };
const deny = (forbiddenReason: string, forbiddenDetail: string): CheckResult => ({ allowed: false, forbiddenReason, forbiddenDetail });

function joinQuote(items: readonly string[]): string {
  return items.length ? `"${items.join('", "')}"` : '';
}

function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}

/** Go's sets.NewString(...).List(): unique, sorted byte-wise. */
function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's %q for the values seen here. */
const quote = (s: string) => JSON.stringify(s);

type AnyContainer = Container | EphemeralContainer;

/** Init containers, then containers, then ephemeral containers (upstream's visitContainers order). */
function containers(spec: PodSpec): AnyContainer[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

const sc = (c: AnyContainer): SecurityContext | undefined => c.securityContext;
const isWindows = (spec: PodSpec) => spec.os?.name === 'windows';

/** `container "a"` / `containers "a", "b"`. */
function containerList(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

// --- baseline ------------------------------------------------------------------------------------------------

function privileged(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = containers(spec).filter((c) => sc(c)?.privileged === true).map((c) => c.name);
  if (!bad.length) return ALLOWED;
  return deny('privileged', `${containerList(bad)} must not set securityContext.privileged=true`);
}

function hostNamespaces(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const set: string[] = [];
  if (spec.hostNetwork) set.push('hostNetwork=true');
  if (spec.hostPID) set.push('hostPID=true');
  if (spec.hostIPC) set.push('hostIPC=true');
  if (!set.length) return ALLOWED;
  return deny('host namespaces', set.join(', '));
}

function hostPathVolumes(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  if (!bad.length) return ALLOWED;
  return deny('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`);
}

function hostPorts(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of containers(spec)) {
    const used = (c.ports ?? []).filter((p) => p.hostPort).map((p) => String(p.hostPort));
    if (used.length) {
      bad.push(c.name);
      ports.push(...used);
    }
  }
  if (!bad.length) return ALLOWED;
  const list = sortedSet(ports);
  return deny('hostPort', `${containerList(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`);
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

function capabilitiesBaseline(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of containers(spec)) {
    const extra = (sc(c)?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) {
      bad.push(c.name);
      caps.push(...extra);
    }
  }
  if (!bad.length) return ALLOWED;
  return deny('non-default capabilities', `${containerList(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
}

/** AppArmor: the profile fields may be RuntimeDefault or Localhost; the beta annotations runtime/default or localhost/*. */
function appArmorProfile(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const okType = (t: string) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !okType(podProfile.type)) {
    setters.push('pod');
    values.push(podProfile.type);
  }
  const bad: string[] = [];
  for (const c of containers(spec)) {
    const p = sc(c)?.appArmorProfile;
    if (p && !okType(p.type)) {
      bad.push(c.name);
      values.push(p.type);
    }
  }
  if (bad.length) setters.push(containerList(bad));
  const list = sortedSet(values);
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    if (!k.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
    if (v === '' || v === 'runtime/default' || v.startsWith('localhost/')) continue;
    annotations.push(`${k}=${quote(v)}`);
  }
  if (annotations.length) {
    list.push(...sortedSet(annotations));
    setters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (!setters.length) return ALLOWED;
  return deny(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', list.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(list)}`,
  );
}

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckPod {
  return (_m, spec) => {
    const setters: string[] = [];
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: { type?: string; user?: string; role?: string }) => {
      let ok = true;
      if (!allowedTypes.has(o.type ?? '')) {
        ok = false;
        badTypes.push(o.type ?? '');
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOptions = spec.securityContext?.seLinuxOptions;
    if (podOptions && !valid(podOptions)) setters.push('pod');
    const bad: string[] = [];
    for (const c of containers(spec)) {
      const o = sc(c)?.seLinuxOptions;
      if (o && !valid(o)) bad.push(c.name);
    }
    if (bad.length) setters.push(containerList(bad));
    if (!setters.length) return ALLOWED;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return deny('seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`);
  };
}

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function procMount(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const values: string[] = [];
  for (const c of containers(spec)) {
    const pm = sc(c)?.procMount;
    if (pm !== undefined && pm !== 'Default') {
      bad.push(c.name);
      values.push(pm);
    }
  }
  if (!bad.length) return ALLOWED;
  return deny('procMount', `${containerList(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(values))}`);
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';

/** Policy versions before 1.19 read seccomp from the alpha annotations. */
function seccompBaselineAnnotations(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const ok = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const annotations = meta.annotations ?? {};
  const forbidden: string[] = [];
  const pod = annotations[SECCOMP_POD_ANNOTATION];
  if (pod !== undefined && !ok(pod)) forbidden.push(`${SECCOMP_POD_ANNOTATION}=${quote(pod)}`);
  for (const c of containers(spec)) {
    const key = SECCOMP_CONTAINER_ANNOTATION + c.name;
    const v = annotations[key];
    if (v !== undefined && !ok(v)) forbidden.push(`${key}=${quote(v)}`);
  }
  if (!forbidden.length) return ALLOWED;
  const list = sortedSet(forbidden);
  return deny('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', list.length)} ${list.join(', ')}`);
}

const validSeccomp = (t: string) => t === 'RuntimeDefault' || t === 'Localhost';

/** Shared by the baseline (explicit bad values only) and restricted (a profile required) seccomp checks. */
function seccomp(spec: PodSpec, required: boolean): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  let podSet = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile) {
    if (validSeccomp(podProfile.type)) podSet = true;
    else {
      setters.push('pod');
      values.push(podProfile.type);
    }
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containers(spec)) {
    const p = sc(c)?.seccompProfile;
    if (p) {
      if (!validSeccomp(p.type)) {
        explicit.push(c.name);
        values.push(p.type);
      }
    } else if (!podSet) implicit.push(c.name);
  }
  if (explicit.length) setters.push(containerList(explicit));
  if (setters.length) {
    return deny('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`);
  }
  if (required && implicit.length) {
    return deny('seccompProfile', `pod or ${containerList(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
  }
  return ALLOWED;
}

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

function sysctls(allowed: readonly string[]): CheckPod {
  const set = new Set(allowed);
  return (_m, spec) => {
    const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !set.has(n));
    if (!bad.length) return ALLOWED;
    return deny('forbidden sysctls', sortedSet(bad).join(', '));
  };
}

function windowsHostProcess(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
  const bad = containers(spec).filter((c) => sc(c)?.windowsOptions?.hostProcess === true).map((c) => c.name);
  if (bad.length) setters.push(containerList(bad));
  if (!setters.length) return ALLOWED;
  return deny('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
}

// --- restricted ----------------------------------------------------------------------------------------------

/** From 1.25 the checks that make no sense on Windows pods (spec.os.name=windows) let them through. */
const skipWindows = (check: CheckPod): CheckPod => (m, spec) => (isWindows(spec) ? ALLOWED : check(m, spec));

function allowPrivilegeEscalation(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = containers(spec).filter((c) => sc(c)?.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (!bad.length) return ALLOWED;
  return deny('allowPrivilegeEscalation != false', `${containerList(bad)} must set securityContext.allowPrivilegeEscalation=false`);
}

function capabilitiesRestricted(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const adding: string[] = [];
  const caps: string[] = [];
  for (const c of containers(spec)) {
    const capabilities = sc(c)?.capabilities;
    if (!capabilities) {
      missingDropAll.push(c.name);
      continue;
    }
    if (!(capabilities.drop ?? []).includes('ALL')) missingDropAll.push(c.name);
    const extra = (capabilities.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length) {
      adding.push(c.name);
      caps.push(...extra);
    }
  }
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containerList(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containerList(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
  if (!details.length) return ALLOWED;
  return deny('unrestricted capabilities', details.join('; '));
}

const RESTRICTED_VOLUME_OK = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** The names upstream reports, in its order of checking. */
const RESTRICTED_VOLUME_TYPES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

function restrictedVolumes(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of spec.volumes ?? []) {
    const source = v as Volume & Record<string, unknown>;
    if (RESTRICTED_VOLUME_OK.some((k) => source[k] != null)) continue;
    bad.push(v.name);
    types.push(RESTRICTED_VOLUME_TYPES.find((k) => source[k] != null) ?? 'unknown');
  }
  if (!bad.length) return ALLOWED;
  const list = sortedSet(types);
  return deny(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', list.length)} ${joinQuote(list)}`,
  );
}

function runAsNonRoot(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  let podNonRoot = false;
  const pod = spec.securityContext?.runAsNonRoot;
  if (pod === false) setters.push('pod');
  else if (pod === true) podNonRoot = true;
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containers(spec)) {
    const v = sc(c)?.runAsNonRoot;
    if (v === false) explicit.push(c.name);
    else if (v === undefined && !podNonRoot) implicit.push(c.name);
  }
  if (explicit.length) setters.push(containerList(explicit));
  if (setters.length) return deny('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicit.length) return deny('runAsNonRoot != true', `pod or ${containerList(implicit)} must set securityContext.runAsNonRoot=true`);
  return ALLOWED;
}

function runAsUser(_m: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad = containers(spec).filter((c) => sc(c)?.runAsUser === 0).map((c) => c.name);
  if (bad.length) setters.push(containerList(bad));
  if (!setters.length) return ALLOWED;
  return deny('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`);
}

/** Every check of Kubernetes 1.32's pod-security-admission, with the versions where each changed. */
export const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumMinor: 0, check: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimumMinor: 0, check: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumMinor: 0, check: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimumMinor: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumMinor: 0, check: hostPorts }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimumMinor: 0, check: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ minimumMinor: 0, check: procMount }] },
  {
    id: 'seLinuxOptions', level: 'baseline', versions: [
      { minimumMinor: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimumMinor: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: 'seccompProfile_baseline', level: 'baseline', versions: [
      { minimumMinor: 0, check: seccompBaselineAnnotations },
      { minimumMinor: 19, check: (_m, spec) => seccomp(spec, false) },
    ],
  },
  {
    id: 'sysctls', level: 'baseline', versions: [
      { minimumMinor: 0, check: sysctls(SYSCTLS_1_0) },
      { minimumMinor: 27, check: sysctls(SYSCTLS_1_27) },
      { minimumMinor: 29, check: sysctls(SYSCTLS_1_29) },
      { minimumMinor: 32, check: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumMinor: 0, check: windowsHostProcess }] },
  {
    id: 'allowPrivilegeEscalation', level: 'restricted', versions: [
      { minimumMinor: 8, check: allowPrivilegeEscalation },
      { minimumMinor: 25, check: skipWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted', level: 'restricted', versions: [
      { minimumMinor: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minimumMinor: 25, check: skipWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minimumMinor: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minimumMinor: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minimumMinor: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted', level: 'restricted', versions: [
      { minimumMinor: 19, check: (_m, spec) => seccomp(spec, true), overrides: ['seccompProfile_baseline'] },
      { minimumMinor: 25, check: skipWindows((_m, spec) => seccomp(spec, true)), overrides: ['seccompProfile_baseline'] },
    ],
  },
];
