/**
 * Pod validation, modelled on pkg/apis/core/validation/validation.go (ValidatePodCreate,
 * ValidatePodSpec, validateContainers/InitContainers/EphemeralContainers, ValidatePodUpdate,
 * ValidatePodStatusUpdate, ValidatePodEphemeralContainersUpdate), with the same field paths and
 * messages. Checks follow Kubernetes 1.32 with its default feature gates (sidecars on, relaxed env
 * var names on, in-place resize off).
 */
import type {
  Affinity, Container, ContainerStatus, EnvFromSource, EnvVar, EphemeralContainer, HostAlias, KubeObject, LifecycleHandler,
  NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, PodDNSConfig, PodSpec, Probe,
  ResourceRequirements, Toleration, TopologySpreadConstraint, Volume, VolumeMount, PodCondition, LocalObjectReference,
} from '../types.ts';
import {
  type FieldError, duplicate, forbidden, invalid, notFound, notSupported, required,
} from '../field-error.ts';
import {
  INVALID_IP_MESSAGE, inclusiveRangeError, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isHTTPHeaderName,
  isIPv4, isRelaxedEnvVarName, isValidIP, isValidLabelValue, isValidPortName, isValidPortNum, nameIsDNSSubdomain, nameIsDNSLabel,
} from './names.ts';
import {
  deepEqual, validateLabelName, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate,
  validateQualifiedName,
} from './meta.ts';
import { tryParseQuantity } from '../quantity.ts';
import { podQOSClass } from '../resource-helpers.ts';
import { validatePodSecurity } from './security-context.ts';
import { validateUnsupportedPodFields } from './unsupported-pod-fields.ts';

const MAX_INT32 = 2147483647;
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const IS_NEGATIVE = 'must be greater than or equal to 0';

type Obj = Record<string, unknown>;

function dns1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}
function dns1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m));
}
function nonNegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE)] : [];
}
function ipErrors(value: string, path: string): FieldError[] {
  return isValidIP(value) ? [] : [invalid(path, value, INVALID_IP_MESSAGE)];
}

// --- volumes --------------------------------------------------------------------------------

const VOLUME_SOURCE_ORDER = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'flocker', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flexVolume', 'configMap',
  'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO',
  'csi', 'ephemeral', 'image',
];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const VOLUME_DOWNWARD_API_FIELDS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const ENV_DOWNWARD_API_FIELDS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP',
  'status.hostIPs', 'status.podIP', 'status.podIPs',
];
const RESOURCE_FIELD_EXPRESSIONS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const RESOURCE_FIELD_PREFIXES = ['requests.hugepages-', 'limits.hugepages-'];

function validatePathNoBacksteps(target: string, path: string): FieldError[] {
  return target.split('/').includes('..') ? [invalid(path, target, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..')) errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateMode(mode: number | undefined, path: string): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

function validateKeyToPath(kp: { key?: string; path?: string; mode?: number }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(required(`${path}.key`, ''));
  if (!kp.path) errs.push(required(`${path}.path`, ''));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', `${path}.path`));
  errs.push(...validateMode(kp.mode, `${path}.mode`));
  return errs;
}

function validateObjectFieldSelector(fs: { apiVersion?: string; fieldPath?: string }, expressions: string[], path: string): FieldError[] {
  if (!fs.apiVersion) return [required(`${path}.apiVersion`, '')];
  if (!fs.fieldPath) return [required(`${path}.fieldPath`, '')];
  if (fs.apiVersion !== 'v1') {
    return [invalid(`${path}.fieldPath`, fs.fieldPath, `error converting fieldPath: unsupported pod version: ${fs.apiVersion}`)];
  }
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fs.fieldPath) ?? /^([^[]+)\[(.*)\]$/.exec(fs.fieldPath);
  if (sub) {
    const [, p, key] = sub;
    if (p === 'metadata.annotations') return validateQualifiedName(key!.toLowerCase(), path);
    if (p === 'metadata.labels') return validateQualifiedName(key!, path);
    return [invalid(path, p, 'does not support subscript')];
  }
  if (!expressions.includes(fs.fieldPath)) return [notSupported(`${path}.fieldPath`, fs.fieldPath, expressions)];
  return [];
}

const CPU_DIVISORS = ['1m', '1'];
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

function validateResourceFieldSelector(fs: { containerName?: string; resource?: string; divisor?: string | number }, path: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const res = fs.resource ?? '';
  if (volume && !fs.containerName) errs.push(required(`${path}.containerName`, ''));
  else if (!res) errs.push(required(`${path}.resource`, ''));
  else if (!RESOURCE_FIELD_EXPRESSIONS.includes(res) && !RESOURCE_FIELD_PREFIXES.some((p) => res.startsWith(p))) {
    errs.push(notSupported(`${path}.resource`, res, RESOURCE_FIELD_EXPRESSIONS));
  }
  const divisor = tryParseQuantity(fs.divisor ?? '0');
  if (divisor && !divisor.isZero()) {
    const text = divisor.toString();
    const check = (allowed: string[], name: string) => {
      if (!allowed.some((a) => tryParseQuantity(a)!.cmp(divisor) === 0)) {
        errs.push(invalid(`${path}.divisor`, text, `only divisor's values ${allowed.join(', ')} are supported with the ${name} resource`));
      }
    };
    if (res.endsWith('.cpu')) check(CPU_DIVISORS, 'cpu');
    else if (res.endsWith('.memory')) check(MEMORY_DIVISORS, 'memory');
    else if (res.endsWith('.ephemeral-storage')) check(MEMORY_DIVISORS, 'local ephemeral storage');
  }
  return errs;
}

function validateDownwardAPIFile(file: { path?: string; fieldRef?: { apiVersion?: string; fieldPath?: string }; resourceFieldRef?: { containerName?: string; resource?: string; divisor?: string | number }; mode?: number }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!file.path) errs.push(required(`${path}.path`, ''));
  errs.push(...validateLocalNonReservedPath(file.path ?? '', `${path}.path`));
  if (file.fieldRef) {
    errs.push(...validateObjectFieldSelector(file.fieldRef, VOLUME_DOWNWARD_API_FIELDS, `${path}.fieldRef`));
    if (file.resourceFieldRef) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (file.resourceFieldRef) {
    errs.push(...validateResourceFieldSelector(file.resourceFieldRef, `${path}.resourceFieldRef`, true));
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(file.mode, `${path}.mode`));
  return errs;
}

function validateProjected(proj: NonNullable<Volume['projected']>, path: string): FieldError[] {
  const errs = validateMode(proj.defaultMode, `${path}.defaultMode`);
  const allPaths = new Set<string>();
  (proj.sources ?? []).forEach((src, i) => {
    const srcPath = `${path}.sources[${i}]`;
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = src[kind];
      if (!s) continue;
      n++;
      if (!s.name) errs.push(required(`${srcPath}.${kind}.name`, ''));
      (s.items ?? []).forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, `${srcPath}.${kind}.items[${j}]`));
        if (kp.path) {
          if (allPaths.has(kp.path)) errs.push(invalid(path, s.name ?? '', 'conflicting duplicate paths'));
          allPaths.add(kp.path);
        }
      });
    }
    if (src.downwardAPI) {
      n++;
      for (const file of src.downwardAPI.items ?? []) {
        errs.push(...validateDownwardAPIFile(file, `${srcPath}.downwardAPI`));
        if (file.path) {
          if (allPaths.has(file.path)) errs.push(invalid(path, file.path, 'conflicting duplicate paths'));
          allPaths.add(file.path);
        }
      }
    }
    if (src.serviceAccountToken) {
      n++;
      const t = src.serviceAccountToken;
      const exp = t.expirationSeconds ?? 0;
      const expPath = `${srcPath}.serviceAccountToken.expirationSeconds`;
      if (exp < 600) errs.push(invalid(expPath, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(invalid(expPath, exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!t.path) errs.push(required(`${path}.path`, ''));
      else errs.push(...validateLocalNonReservedPath(t.path, `${path}.path`));
    }
    if (src.clusterTrustBundle) n++;
    if ((src as Obj).podCertificate) n++;
    if (n > 1) errs.push(forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

function validateVolumeSource(v: Volume, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const vo = v as unknown as Obj;
  let n = 0;
  for (const src of VOLUME_SOURCE_ORDER) {
    if (vo[src] === undefined || vo[src] === null) continue;
    if (n > 0) {
      errs.push(forbidden(`${path}.${src}`, 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const p = `${path}.${src}`;
    switch (src) {
      case 'emptyDir': {
        const limit = v.emptyDir!.sizeLimit;
        if (limit !== undefined && (tryParseQuantity(limit)?.nano ?? 0n) < 0n) errs.push(forbidden(`${p}.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
        break;
      }
      case 'hostPath': {
        const hp = v.hostPath!;
        if (!hp.path) { errs.push(required(`${p}.path`, '')); break; }
        errs.push(...validatePathNoBacksteps(hp.path, `${p}.path`));
        if (hp.type !== undefined && !HOST_PATH_TYPES.includes(hp.type)) errs.push(notSupported(`${p}.type`, hp.type, HOST_PATH_TYPES));
        break;
      }
      case 'secret': {
        const s = v.secret!;
        if (!s.secretName) errs.push(required(`${p}.secretName`, ''));
        errs.push(...validateMode(s.defaultMode, `${p}.defaultMode`));
        (s.items ?? []).forEach((kp, i) => errs.push(...validateKeyToPath(kp, `${p}.items[${i}]`)));
        break;
      }
      case 'configMap': {
        const c = v.configMap!;
        if (!c.name) errs.push(required(`${p}.name`, ''));
        errs.push(...validateMode(c.defaultMode, `${p}.defaultMode`));
        (c.items ?? []).forEach((kp, i) => errs.push(...validateKeyToPath(kp, `${p}.items[${i}]`)));
        break;
      }
      case 'downwardAPI': {
        const d = v.downwardAPI!;
        errs.push(...validateMode(d.defaultMode, `${p}.defaultMode`));
        for (const f of d.items ?? []) errs.push(...validateDownwardAPIFile(f, p));
        break;
      }
      case 'projected':
        errs.push(...validateProjected(v.projected!, p));
        break;
      case 'persistentVolumeClaim':
        if (!v.persistentVolumeClaim!.claimName) errs.push(required(`${p}.claimName`, ''));
        break;
      case 'nfs': {
        const nfs = v.nfs!;
        if (!nfs.server) errs.push(required(`${p}.server`, ''));
        if (!nfs.path) errs.push(required(`${p}.path`, ''));
        else if (!nfs.path.startsWith('/')) errs.push(invalid(`${p}.path`, nfs.path, 'must be an absolute path'));
        break;
      }
      case 'image': {
        if (!(v.image as { reference?: string }).reference) errs.push(required(`${p}.reference`, ''));
        break;
      }
      default:
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: returns the valid volumes by name (for mount checks) and the errors. */
export function validateVolumes(volumes: Volume[] | undefined, path: string): { names: Map<string, Volume>; errs: FieldError[] } {
  const names = new Map<string, Volume>();
  const all = new Set<string>();
  const errs: FieldError[] = [];
  (volumes ?? []).forEach((v, i) => {
    const idx = `${path}[${i}]`;
    const el = validateVolumeSource(v, idx);
    if (!v.name) el.push(required(`${idx}.name`, ''));
    else el.push(...dns1123Label(v.name, `${idx}.name`));
    if (all.has(v.name)) el.push(duplicate(`${idx}.name`, v.name));
    if (el.length === 0) {
      all.add(v.name);
      names.set(v.name, v);
    } else errs.push(...el);
  });
  return { names, errs };
}

// --- containers -----------------------------------------------------------------------------

function validateContainerPorts(ports: Container['ports'], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    const idx = `${path}[${i}]`;
    if (p.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(`${idx}.name`, p.name, m));
      else if (names.has(p.name)) errs.push(duplicate(`${idx}.name`, p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(required(`${idx}.containerPort`, ''));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(`${idx}.containerPort`, p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(`${idx}.hostPort`, p.hostPort, m));
    if (!p.protocol) errs.push(required(`${idx}.protocol`, ''));
    else if (!['SCTP', 'TCP', 'UDP'].includes(p.protocol)) errs.push(notSupported(`${idx}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (p.hostIP && !isValidIP(p.hostIP)) errs.push(invalid(`${idx}.hostIP`, p.hostIP, INVALID_IP_MESSAGE));
  });
  return errs;
}

function checkHostPortConflicts(containers: Container[], path: string, offset = 0): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((p, pi) => {
      if (!p.hostPort) return;
      const key = `${p.hostIP ?? ''}/${p.protocol ?? ''}/${p.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(`${path}[${ci + offset}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateEnv(env: EnvVar[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((e, i) => {
    const idx = `${path}[${i}]`;
    if (!e.name) errs.push(required(`${idx}.name`, ''));
    else for (const m of isRelaxedEnvVarName(e.name)) errs.push(invalid(`${idx}.name`, e.name, m));
    const vf = e.valueFrom;
    if (!vf) return;
    const vpath = `${idx}.valueFrom`;
    let n = 0;
    if (vf.fieldRef) { n++; errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_DOWNWARD_API_FIELDS, `${vpath}.fieldRef`)); }
    if (vf.resourceFieldRef) { n++; errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, `${vpath}.resourceFieldRef`, false)); }
    for (const kind of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = vf[kind];
      if (!ref) continue;
      n++;
      for (const m of nameIsDNSSubdomain(ref.name ?? '', false)) errs.push(invalid(`${vpath}.${kind}.name`, ref.name ?? '', m));
      if (!ref.key) errs.push(required(`${vpath}.${kind}.key`, ''));
      else for (const m of isConfigMapKey(ref.key)) errs.push(invalid(`${vpath}.${kind}.key`, ref.key, m));
    }
    if ((vf as Obj).fileKeyRef) n++;
    if (n === 0) errs.push(invalid(vpath, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (e.value) errs.push(invalid(vpath, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(vpath, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: EnvFromSource[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (envFrom ?? []).forEach((e, i) => {
    const idx = `${path}[${i}]`;
    if (e.prefix) for (const m of isRelaxedEnvVarName(e.prefix)) errs.push(invalid(`${idx}.prefix`, e.prefix, m));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = e[kind];
      if (!ref) continue;
      n++;
      if (!ref.name) errs.push(required(`${idx}.${kind}.name`, ''));
      else for (const m of nameIsDNSSubdomain(ref.name, false)) errs.push(invalid(`${idx}.${kind}.name`, ref.name, m));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: VolumeMount[] | undefined, devices: { name: string; devicePath: string }[] | undefined, volumes: Map<string, Volume>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountpoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const idx = `${path}[${i}]`;
    if (!m.name) errs.push(required(`${idx}.name`, ''));
    if (!volumes.has(m.name)) errs.push(notFound(`${idx}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${idx}.mountPath`, ''));
    if (mountpoints.has(m.mountPath)) errs.push(invalid(`${idx}.mountPath`, m.mountPath, 'must be unique'));
    mountpoints.add(m.mountPath);
    if ((devices ?? []).some((d) => d.name === m.name)) errs.push(invalid(`${idx}.name`, m.name, 'must not already exist in volumeDevices'));
    if ((devices ?? []).some((d) => d.devicePath === m.mountPath)) errs.push(invalid(`${idx}.mountPath`, m.mountPath, 'must not already exist as a path in volumeDevices'));
    // Kubernetes reports these two on the list's path, not the item's.
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, `${path}.subPath`));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalid(`${idx}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(m.subPathExpr, `${path}.subPathExpr`));
    }
    if (m.mountPropagation !== undefined && !['Bidirectional', 'HostToContainer', 'None'].includes(m.mountPropagation)) {
      errs.push(notSupported(`${path}.mountPropagation`, m.mountPropagation, ['Bidirectional', 'HostToContainer', 'None']));
    }
    const rro = (m as { recursiveReadOnly?: string }).recursiveReadOnly;
    if (rro === 'IfPossible' || rro === 'Enabled') {
      if (!m.readOnly) errs.push(forbidden(`${idx}.recursiveReadOnly`, 'may only be specified when readOnly is true'));
      if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') {
        errs.push(forbidden(`${idx}.recursiveReadOnly`, 'may only be specified when mountPropagation is None or not specified'));
      }
    } else if (rro !== undefined && rro !== 'Disabled') {
      errs.push(notSupported(`${idx}.recursiveReadOnly`, rro, ['Disabled', 'Enabled', 'IfPossible']));
    }
  });
  return errs;
}

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
/** helper.IsStandardResourceName: the names ResourceList keys may use without a domain. */
const STANDARD_RESOURCES = [
  'cpu', 'memory', 'ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'services.nodeports', 'services.loadbalancers',
];

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}
function isHugePageResource(name: string): boolean {
  return name.startsWith('hugepages-');
}
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResource(name);
}

export function validateResourceRequirements(r: ResourceRequirements | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = r?.limits ?? {};
  const requests = r?.requests ?? {};
  const checkName = (name: string, p: string) => {
    const qn = validateQualifiedName(name, p);
    errs.push(...qn);
    if (qn.length) return;
    if (!name.includes('/') && !STANDARD_RESOURCES.includes(name) && !isHugePageResource(name)) {
      errs.push(invalid(p, name, 'must be a standard resource type or fully qualified'));
    }
    if (!name.includes('/')) {
      if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !isHugePageResource(name)) errs.push(invalid(p, name, 'must be a standard resource for containers'));
    } else if (!isNativeResource(name) && name.startsWith('requests.')) {
      errs.push(invalid(p, name, "doesn't follow extended resource name standard"));
    }
  };
  const checkValue = (name: string, value: unknown, p: string) => {
    const q = tryParseQuantity(value);
    if (!q) {
      errs.push(invalid(p, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      return undefined;
    }
    if (q.nano < 0n) errs.push(invalid(p, q.toString(), IS_NEGATIVE));
    if (!isNativeResource(name) && q.milliValue() % 1000 !== 0) errs.push(invalid(p, q.toString(), 'must be an integer'));
    return q;
  };
  for (const [name, value] of Object.entries(limits)) {
    checkName(name, `${path}.limits[${name}]`);
    checkValue(name, value, `${path}.limits[${name}]`);
  }
  for (const [name, value] of Object.entries(requests)) {
    const p = `${path}.requests[${name}]`;
    checkName(name, p);
    const q = checkValue(name, value, p);
    if (!q) continue;
    if (name in limits) {
      const lim = tryParseQuantity(limits[name]);
      if (!lim) continue;
      if (q.cmp(lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(`${path}.requests`, q.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
      } else if (q.cmp(lim) > 0) {
        errs.push(invalid(`${path}.requests`, q.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

export function validatePortNumOrName(port: number | string | undefined, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return [invalid(path, port ?? null, 'must be an int or a string')];
}

function validateHandler(h: Probe | LifecycleHandler, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const ho = h as Obj;
  for (const kind of ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep']) {
    if (ho[kind] === undefined || ho[kind] === null) continue;
    if (n > 0) {
      errs.push(forbidden(`${path}.${kind}`, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const p = `${path}.${kind}`;
    if (kind === 'exec') {
      if (!h.exec!.command?.length) errs.push(required(`${p}.command`, ''));
    } else if (kind === 'httpGet') {
      const g = h.httpGet!;
      if (!g.path) errs.push(required(`${p}.path`, ''));
      errs.push(...validatePortNumOrName(g.port, `${p}.port`));
      if (!['HTTP', 'HTTPS'].includes(g.scheme ?? '')) errs.push(notSupported(`${p}.scheme`, g.scheme ?? '', ['HTTP', 'HTTPS']));
      for (const hdr of g.httpHeaders ?? []) for (const m of isHTTPHeaderName(hdr.name)) errs.push(invalid(`${p}.httpHeaders`, hdr.name, m));
    } else if (kind === 'tcpSocket') {
      errs.push(...validatePortNumOrName(h.tcpSocket!.port, `${p}.port`));
    } else if (kind === 'grpc') {
      const port = (h as Probe).grpc!.port;
      for (const m of isValidPortNum(port)) errs.push(invalid(`${p}.port`, port, m));
    } else if (kind === 'sleep') {
      const s = (h as LifecycleHandler).sleep!.seconds;
      if (s <= 0 || s > gracePeriod) errs.push(invalid(p, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`));
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(p: Probe | undefined, gracePeriod: number, path: string): FieldError[] {
  if (!p) return [];
  const errs = validateHandler(p, gracePeriod, path);
  errs.push(...nonNegative(p.initialDelaySeconds, `${path}.initialDelaySeconds`));
  errs.push(...nonNegative(p.timeoutSeconds, `${path}.timeoutSeconds`));
  errs.push(...nonNegative(p.periodSeconds, `${path}.periodSeconds`));
  errs.push(...nonNegative(p.successThreshold, `${path}.successThreshold`));
  errs.push(...nonNegative(p.failureThreshold, `${path}.failureThreshold`));
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** Probes and lifecycle as regular containers and sidecars may carry them. */
function validateProbesAndLifecycle(c: Container, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle) {
    if (c.lifecycle.postStart) errs.push(...validateHandler(c.lifecycle.postStart, gracePeriod, `${path}.lifecycle.postStart`));
    if (c.lifecycle.preStop) errs.push(...validateHandler(c.lifecycle.preStop, gracePeriod, `${path}.lifecycle.preStop`));
  }
  errs.push(...validateProbe(c.livenessProbe, gracePeriod, `${path}.livenessProbe`));
  if (c.livenessProbe && c.livenessProbe.successThreshold !== 1) {
    errs.push(invalid(`${path}.livenessProbe.successThreshold`, c.livenessProbe.successThreshold ?? 0, 'must be 1'));
  }
  errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${path}.readinessProbe`));
  if (c.readinessProbe?.terminationGracePeriodSeconds !== undefined) {
    errs.push(invalid(`${path}.readinessProbe.terminationGracePeriodSeconds`, c.readinessProbe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  errs.push(...validateProbe(c.startupProbe, gracePeriod, `${path}.startupProbe`));
  if (c.startupProbe && c.startupProbe.successThreshold !== 1) {
    errs.push(invalid(`${path}.startupProbe.successThreshold`, c.startupProbe.successThreshold ?? 0, 'must be 1'));
  }
  return errs;
}

function validateSecurityContext(sc: Container['securityContext'], path: string): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  if (sc.privileged && sc.allowPrivilegeEscalation === false) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  for (const f of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc[f];
    if (v !== undefined && (v < 0 || v > MAX_INT32)) errs.push(invalid(`${path}.${f}`, v, inclusiveRangeError(0, MAX_INT32)));
  }
  if (sc.procMount !== undefined && !['Default', 'Unmasked'].includes(sc.procMount)) {
    errs.push(notSupported(`${path}.procMount`, sc.procMount, ['Default', 'Unmasked']));
  }
  return errs;
}

function validateContainerCommon(c: Container, volumes: Map<string, Volume>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${path}.name`, ''));
  else errs.push(...dns1123Label(c.name, `${path}.name`));
  if (!c.image) errs.push(required(`${path}.image`, ''));
  switch (c.terminationMessagePolicy as string | undefined) {
    case 'File': case 'FallbackToLogsOnError': break;
    case undefined: case '':
      errs.push(required(`${path}.terminationMessagePolicy`, "must be 'File' or 'FallbackToLogsOnError'"));
      break;
    default:
      errs.push(notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`));
  errs.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  errs.push(...validateVolumeMounts(c.volumeMounts, c.volumeDevices, volumes, `${path}.volumeMounts`));
  switch (c.imagePullPolicy as string | undefined) {
    case 'Always': case 'IfNotPresent': case 'Never': break;
    case undefined: case '': errs.push(required(`${path}.imagePullPolicy`, '')); break;
    default: errs.push(notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
  }
  errs.push(...validateResourceRequirements(c.resources, `${path}.resources`));
  errs.push(...validateSecurityContext(c.securityContext, `${path}.securityContext`));
  return errs;
}

function validateContainers(containers: Container[] | undefined, volumes: Map<string, Volume>, gracePeriod: number, path: string): FieldError[] {
  if (!containers?.length) return [required(path, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, idx));
    if (names.has(c.name)) errs.push(duplicate(`${idx}.name`, c.name));
    else names.add(c.name);
    errs.push(...validateProbesAndLifecycle(c, gracePeriod, idx));
    if (c.restartPolicy !== undefined) errs.push(forbidden(`${idx}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

function validateInitContainers(inits: Container[] | undefined, regular: Container[] | undefined, volumes: Map<string, Volume>, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (inits ?? []).forEach((c, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, idx));
    let restartAlways = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(`${idx}.restartPolicy`, c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    if (names.has(c.name)) errs.push(duplicate(`${idx}.name`, c.name));
    else if (c.name) names.add(c.name);
    // Init containers run one by one, so host ports only conflict within one container.
    errs.push(...checkHostPortConflicts([c], path, i));
    if (restartAlways) {
      errs.push(...validateProbesAndLifecycle(c, gracePeriod, idx));
    } else {
      const msg = 'may not be set for init containers without restartPolicy=Always';
      if (c.lifecycle) errs.push(forbidden(`${idx}.lifecycle`, msg));
      if (c.livenessProbe) errs.push(forbidden(`${idx}.livenessProbe`, msg));
      if (c.readinessProbe) errs.push(forbidden(`${idx}.readinessProbe`, msg));
      if (c.startupProbe) errs.push(forbidden(`${idx}.startupProbe`, msg));
    }
    if (c.resizePolicy?.length) errs.push(invalid(`${idx}.resizePolicy`, c.resizePolicy, 'must not be set for init containers'));
  });
  return errs;
}

/** Fields an ephemeral container may set (allowedEphemeralContainerFields). */
const EPHEMERAL_ALLOWED = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty', 'targetContainerName',
]);

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Obj).every(isZero);
  return false;
}

function validateEphemeralContainers(ephemeral: EphemeralContainer[] | undefined, spec: PodSpec, volumes: Map<string, Volume>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name));
  const all = new Set(others);
  (ephemeral ?? []).forEach((e, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(e as Container, volumes, idx));
    errs.push(...validateContainerOnlyForPod(e as Container, idx));
    if (all.has(e.name)) errs.push(duplicate(`${idx}.name`, e.name));
    else all.add(e.name);
    if (e.targetContainerName && !others.has(e.targetContainerName)) errs.push(notFound(`${idx}.targetContainerName`, e.targetContainerName));
    for (const [k, v] of Object.entries(e)) {
      if (!EPHEMERAL_ALLOWED.has(k) && !isZero(v)) errs.push(forbidden(`${idx}.${k}`, 'cannot be set for an Ephemeral Container'));
    }
    (e.volumeMounts ?? []).forEach((vm, j) => {
      if (vm.subPath) errs.push(forbidden(`${idx}.volumeMounts[${j}].subPath`, 'cannot be set for an Ephemeral Container'));
      if (vm.subPathExpr) errs.push(forbidden(`${idx}.volumeMounts[${j}].subPathExpr`, 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

function validateContainerOnlyForPod(c: Container, path: string): FieldError[] {
  const image = c.image ?? '';
  return image.trim().length !== image.length ? [invalid(`${path}.image`, image, 'must not have leading or trailing whitespace')] : [];
}

// --- pod-level fields -----------------------------------------------------------------------

export function validateTolerations(tolerations: Toleration[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const idx = `${path}[${i}]`;
    if (t.key) errs.push(...validateLabelName(t.key, `${idx}.key`));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(`${idx}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(`${idx}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal': case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length) errs.push(invalid(`${idx}.operator`, t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(`${idx}.operator`, t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(`${idx}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, `${idx}.effect`));
  });
  return errs;
}

export function validateTaintEffect(effect: string | undefined, path: string, allowEmpty = true): FieldError[] {
  if (!effect) return allowEmpty ? [] : [required(path, '')];
  const valid = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  return valid.includes(effect) ? [] : [notSupported(path, effect, valid)];
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (r.operator) {
    case 'In': case 'NotIn':
      if (!r.values?.length) errs.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (r.values?.length) errs.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt': case 'Lt':
      if (r.values?.length !== 1) errs.push(required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(`${path}.operator`, r.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(r.key, `${path}.key`));
  return errs;
}

function validateNodeFieldSelectorRequirement(r: NodeSelectorRequirement, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (r.operator === 'In' || r.operator === 'NotIn') {
    if (r.values?.length !== 1) errs.push(required(`${path}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(invalid(`${path}.operator`, r.operator, 'not a valid selector operator'));
  }
  if (r.key !== 'metadata.name') errs.push(invalid(`${path}.key`, r.key, 'not a valid field selector key'));
  else (r.values ?? []).forEach((v, i) => { for (const m of nameIsDNSSubdomain(v, false)) errs.push(invalid(`${path}.values[${i}]`, v, m)); });
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(r, `${path}.matchExpressions[${j}]`)));
  (term.matchFields ?? []).forEach((r, j) => errs.push(...validateNodeFieldSelectorRequirement(r, `${path}.matchFields[${j}]`)));
  return errs;
}

export function validateNodeSelector(ns: NodeSelector, path: string): FieldError[] {
  const termPath = `${path}.nodeSelectorTerms`;
  if (!ns.nodeSelectorTerms?.length) return [required(termPath, 'must have at least one node selector term')];
  return ns.nodeSelectorTerms.flatMap((t, i) => validateNodeSelectorTerm(t, `${termPath}[${i}]`));
}

function validatePodAffinityTerm(term: PodAffinityTerm, path: string): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, `${path}.labelSelector`);
  errs.push(...validateLabelSelector(term.namespaceSelector, `${path}.namespaceSelector`));
  for (const ns of term.namespaces ?? []) for (const m of nameIsDNSLabel(ns, false)) errs.push(invalid(`${path}.namespace`, ns, m));
  if (!term.topologyKey) errs.push(required(`${path}.topologyKey`, 'can not be empty'));
  errs.push(...validateLabelName(term.topologyKey ?? '', `${path}.topologyKey`));
  return errs;
}

function validateAffinity(a: Affinity | undefined, path: string): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  if (na) {
    const p = `${path}.nodeAffinity`;
    if (na.requiredDuringSchedulingIgnoredDuringExecution) {
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, `${p}.requiredDuringSchedulingIgnoredDuringExecution`));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (t.weight <= 0 || t.weight > 100) errs.push(invalid(`${tp}.weight`, t.weight, 'must be in the range 1-100'));
      errs.push(...validateNodeSelectorTerm(t.preference, `${tp}.preference`));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (!pa) continue;
    const p = `${path}.${kind}`;
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, `${p}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (t.weight <= 0 || t.weight > 100) errs.push(invalid(`${tp}.weight`, t.weight, 'must be in the range 1-100'));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm, `${tp}.podAffinityTerm`));
    });
  }
  return errs;
}

function validateDNSConfig(cfg: PodDNSConfig | undefined, policy: string | undefined, path: string): FieldError[] {
  if (policy === 'None') {
    if (!cfg) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!cfg.nameservers?.length) return [required(`${path}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = cfg.nameservers ?? [];
  if (ns.length > 3) errs.push(invalid(`${path}.nameservers`, ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...ipErrors(n, `${path}.nameservers[${i}]`)));
  const searches = cfg.searches ?? [];
  if (searches.length > 32) errs.push(invalid(`${path}.searches`, searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) errs.push(invalid(`${path}.searches`, searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => errs.push(...dns1123Subdomain(s.replace(/\.$/, ''), `${path}.searches[${i}]`)));
  (cfg.options ?? []).forEach((o, i) => { if (!o.name) errs.push(required(`${path}.options[${i}]`, 'Option.Name must not be empty')); });
  return errs;
}

function validateHostAliases(aliases: HostAlias[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (aliases ?? []).forEach((a, i) => {
    errs.push(...ipErrors(a.ip ?? '', `${path}[${i}].ip`));
    (a.hostnames ?? []).forEach((h, j) => errs.push(...dns1123Subdomain(h, `${path}[${i}].hostnames[${j}]`)));
  });
  return errs;
}

function validateTopologySpreadConstraints(cs: TopologySpreadConstraint[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = cs ?? [];
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!(c.maxSkew > 0)) errs.push(invalid(`${p}.maxSkew`, c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
    else errs.push(...validateLabelName(c.topologyKey, `${p}.topologyKey`));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(c.whenUnsatisfiable)) {
      errs.push(notSupported(`${p}.whenUnsatisfiable`, c.whenUnsatisfiable, ['DoNotSchedule', 'ScheduleAnyway']));
    }
    if (list.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable)) {
      errs.push(duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    }
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) errs.push(invalid(`${p}.minDomains`, c.minDomains, 'must be greater than 0'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') errs.push(invalid(`${p}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[f];
      if (v !== undefined && !['Honor', 'Ignore'].includes(v)) errs.push(notSupported(`${p}.${f}`, v, ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}

function validateImagePullSecrets(secrets: LocalObjectReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (secrets ?? []).forEach((s, i) => {
    if (Object.keys(s).some((k) => k !== 'name')) errs.push(invalid(`${path}[${i}]`, s, 'only name may be set'));
  });
  return errs;
}

function validateHostNetworkPorts(spec: PodSpec, path: string): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  for (const kind of ['containers', 'initContainers'] as const) {
    (spec[kind] ?? []).forEach((c, i) => (c.ports ?? []).forEach((p, j) => {
      if ((p.hostPort ?? 0) !== p.containerPort) {
        errs.push(invalid(`${path}.${kind}[${i}].ports[${j}].hostPort`, p.hostPort ?? 0, 'must match `containerPort` when `hostNetwork` is true'));
      }
    }));
  }
  return errs;
}

/** ValidatePodSpec: shared by pods and pod templates. */
export function validatePodSpec(spec: PodSpec | undefined, path = 'spec'): FieldError[] {
  const s = spec ?? ({ containers: [] } as PodSpec);
  const gracePeriod = s.terminationGracePeriodSeconds ?? 30;
  const { names: volumes, errs } = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...validateContainers(s.containers, volumes, gracePeriod, `${path}.containers`));
  errs.push(...validateInitContainers(s.initContainers, s.containers, volumes, gracePeriod, `${path}.initContainers`));
  errs.push(...validateEphemeralContainers(s.ephemeralContainers, s, volumes, `${path}.ephemeralContainers`));
  errs.push(...validateHostNetworkPorts(s, path));
  errs.push(...validatePodSecurity(s, path));
  switch (s.restartPolicy as string | undefined) {
    case 'Always': case 'OnFailure': case 'Never': break;
    case undefined: case '': errs.push(required(`${path}.restartPolicy`, '')); break;
    default: errs.push(notSupported(`${path}.restartPolicy`, s.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  switch (s.dnsPolicy as string | undefined) {
    case 'ClusterFirstWithHostNet': case 'ClusterFirst': case 'Default': case 'None': break;
    case undefined: case '': errs.push(required(`${path}.dnsPolicy`, '')); break;
    default: errs.push(notSupported(`${path}.dnsPolicy`, s.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  const psc = s.securityContext;
  if (psc) {
    for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = psc[f];
      if (v !== undefined && (v < 0 || v > MAX_INT32)) errs.push(invalid(`${path}.securityContext.${f}`, v, inclusiveRangeError(0, MAX_INT32)));
    }
    (psc.supplementalGroups ?? []).forEach((g, i) => {
      if (g < 0 || g > MAX_INT32) errs.push(invalid(`${path}.securityContext.supplementalGroups[${i}]`, g, inclusiveRangeError(0, MAX_INT32)));
    });
  }
  errs.push(...validateImagePullSecrets(s.imagePullSecrets, `${path}.imagePullSecrets`));
  errs.push(...validateAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateDNSConfig(s.dnsConfig, s.dnsPolicy, `${path}.dnsConfig`));
  (s.readinessGates ?? []).forEach((g, i) => errs.push(...validateQualifiedName(g.conditionType, `${path}.readinessGates[${i}].conditionType`)));
  const gates = new Set<string>();
  (s.schedulingGates ?? []).forEach((g, i) => {
    errs.push(...validateQualifiedName(g.name, `${path}.schedulingGates[${i}]`));
    if (gates.has(g.name)) errs.push(duplicate(`${path}.schedulingGates[${i}]`, g.name));
    gates.add(g.name);
  });
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  if (s.serviceAccountName) for (const m of nameIsDNSSubdomain(s.serviceAccountName, false)) errs.push(invalid(`${path}.serviceAccountName`, s.serviceAccountName, m));
  if (s.nodeName) for (const m of nameIsDNSSubdomain(s.nodeName, false)) errs.push(invalid(`${path}.nodeName`, s.nodeName, m));
  if (s.activeDeadlineSeconds !== undefined && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) errs.push(...dns1123Label(s.hostname, `${path}.hostname`));
  if (s.subdomain) errs.push(...dns1123Label(s.subdomain, `${path}.subdomain`));
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  errs.push(...validateHostAliases(s.hostAliases, `${path}.hostAliases`));
  if (s.priorityClassName) for (const m of nameIsDNSSubdomain(s.priorityClassName, false)) errs.push(invalid(`${path}.priorityClassName`, s.priorityClassName, m));
  if (s.runtimeClassName) for (const m of nameIsDNSSubdomain(s.runtimeClassName, false)) errs.push(invalid(`${path}.runtimeClassName`, s.runtimeClassName, m));
  if (s.preemptionPolicy !== undefined && !['PreemptLowerPriority', 'Never'].includes(s.preemptionPolicy)) {
    errs.push(notSupported(`${path}.preemptionPolicy`, s.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  }
  if (s.os && !['linux', 'windows'].includes(s.os.name)) errs.push(notSupported(`${path}.os.name`, s.os.name, ['linux', 'windows']));
  errs.push(...validateUnsupportedPodFields(s, path));
  return errs;
}

function validatePodIPs(pod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const ips = pod.status?.podIPs ?? [];
  ips.forEach((p, i) => errs.push(...ipErrors(p.ip, `status.podIPs[${i}]`)));
  if (ips.length > 1) {
    const v4 = ips.filter((p) => isIPv4(p.ip)).length;
    if (ips.length > 2 || v4 !== 1) errs.push(invalid('status.podIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  const hostIPs = pod.status?.hostIPs ?? [];
  hostIPs.forEach((p, i) => errs.push(...ipErrors(p.ip ?? '', `status.hostIPs[${i}]`)));
  return errs;
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** ValidatePodSpecificAnnotations: mirror pods need a node; the deletion cost is an int32. */
function validatePodSpecificAnnotations(pod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const ann = pod.metadata?.annotations ?? {};
  if (MIRROR_POD_ANNOTATION in ann && !pod.spec?.nodeName) {
    errs.push(invalid(`metadata.annotations[${MIRROR_POD_ANNOTATION}]`, ann[MIRROR_POD_ANNOTATION], 'must set spec.nodeName if mirror pod annotation is set'));
  }
  if (DELETION_COST_ANNOTATION in ann) {
    const v = ann[DELETION_COST_ANNOTATION]!;
    const n = Number(v);
    if (!/^[-+]?\d+$/.test(v) || n < -(2 ** 31) || n > 2 ** 31 - 1) errs.push(invalid(`metadata.annotations[${DELETION_COST_ANNOTATION}]`, v, 'must be a 32bit integer'));
  }
  return errs;
}

/** ValidatePodSpecificAnnotationUpdates: the mirror pod annotation can be neither added, changed nor removed. */
function validatePodAnnotationUpdates(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const n = newPod.metadata?.annotations ?? {};
  const o = oldPod.metadata?.annotations ?? {};
  const path = `metadata.annotations[${MIRROR_POD_ANNOTATION}]`;
  if (MIRROR_POD_ANNOTATION in o && n[MIRROR_POD_ANNOTATION] !== o[MIRROR_POD_ANNOTATION]) errs.push(forbidden(path, 'may not remove or update mirror pod annotation'));
  if (MIRROR_POD_ANNOTATION in n && !(MIRROR_POD_ANNOTATION in o)) errs.push(forbidden(path, 'may not add mirror pod annotation'));
  return errs;
}

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain);
  errs.push(...validatePodSpecificAnnotations(pod));
  errs.push(...validatePodSpec(pod.spec));
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  if (!spec.serviceAccountName) {
    (spec.volumes ?? []).forEach((v, vi) => (v.projected?.sources ?? []).forEach((src, si) => {
      if (src.serviceAccountToken) {
        errs.push(forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
      }
    }));
  }
  (spec.containers ?? []).forEach((c, i) => errs.push(...validateContainerOnlyForPod(c, `spec.containers[${i}]`)));
  (spec.initContainers ?? []).forEach((c, i) => errs.push(...validateContainerOnlyForPod(c, `spec.initContainers[${i}]`)));
  return errs;
}

/** ValidatePodCreate. */
export function validatePodCreate(pod: Pod): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod);
  const spec = pod.spec;
  if (spec?.ephemeralContainers?.length) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (spec?.nodeName && spec.schedulingGates?.length) errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  errs.push(...validatePodIPs(pod));
  return errs;
}

// --- updates --------------------------------------------------------------------------------

export const POD_UPDATE_FORBIDDEN_MESSAGE = 'pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * A cmp.Diff-style rendering of what differs between two objects, as the apiserver appends to
 * "pod updates may not change fields ..." (`  core.PodSpec{`, `- \tField: old,`, `+ \tField: new,`, `  }`).
 * Values print as JSON rather than Go syntax.
 */
export function describeDiff(oldVal: unknown, newVal: unknown, typeName: string): string {
  const o = (oldVal ?? {}) as Obj;
  const n = (newVal ?? {}) as Obj;
  const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])];
  const lines = [`  ${typeName}{`];
  let same = 0;
  const flush = () => {
    if (same) lines.push(`  \t... // ${same} identical field${same === 1 ? '' : 's'}`);
    same = 0;
  };
  for (const k of keys) {
    if (deepEqual(o[k], n[k])) {
      same++;
      continue;
    }
    flush();
    const goName = k.charAt(0).toUpperCase() + k.slice(1);
    if (o[k] !== undefined) lines.push(`- \t${goName}: ${JSON.stringify(o[k])},`);
    if (n[k] !== undefined) lines.push(`+ \t${goName}: ${JSON.stringify(n[k])},`);
  }
  flush();
  lines.push('  }');
  return lines.join('\n');
}

function validateContainerUpdates(newCs: Container[] | undefined, oldCs: Container[] | undefined, path: string): { errs: FieldError[]; stop: boolean } {
  const n = newCs ?? [];
  const o = oldCs ?? [];
  if (n.length !== o.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    if (!c.image) errs.push(required(`${path}[${i}].image`, ''));
    const image = c.image ?? '';
    if (image.trim().length !== image.length) errs.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(newT: Toleration[] | undefined, oldT: Toleration[] | undefined, path: string): FieldError[] {
  for (const old of oldT ?? []) {
    const found = (newT ?? []).some((t) => deepEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, path);
}

/** ValidatePodUpdate: metadata rules, the new pod's own validity, and what a spec update may change. */
export function validatePodUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata);
  errs.push(...validatePodMetadataAndSpec(newPod));
  errs.push(...validatePodAnnotationUpdates(newPod, oldPod));
  const ns = newPod.spec ?? ({ containers: [] } as PodSpec);
  const os = oldPod.spec ?? ({ containers: [] } as PodSpec);
  let r = validateContainerUpdates(ns.containers, os.containers, 'spec.containers');
  errs.push(...r.errs);
  if (r.stop) return errs;
  r = validateContainerUpdates(ns.initContainers, os.initContainers, 'spec.initContainers');
  errs.push(...r.errs);
  if (r.stop) return errs;
  if (ns.activeDeadlineSeconds !== undefined) {
    const v = ns.activeDeadlineSeconds;
    if (v < 0 || v > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', v, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds < v) {
      errs.push(invalid('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (os.activeDeadlineSeconds !== undefined) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(ns.tolerations, os.tolerations, 'spec.tolerations'));
  if (ns.schedulingGates?.length) {
    const oldGates = new Set((os.schedulingGates ?? []).map((g) => g.name));
    ns.schedulingGates.forEach((g, i) => {
      if (!oldGates.has(g.name)) errs.push(forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${g.name}'`));
    });
  }
  if (deepEqual(ns, os)) return errs;
  if (podQOSClass(oldPod) !== podQOSClass(newPod)) errs.push(invalid('metadata', newPod.status?.qosClass ?? '', 'Pod QOS is immutable'));

  // Munge the fields an update may change back to the old values, then anything left is forbidden.
  const munged: PodSpec = structuredClone(ns);
  munged.containers = munged.containers.map((c, i) => ({ ...c, image: os.containers[i]!.image }));
  if (munged.initContainers) munged.initContainers = munged.initContainers.map((c, i) => ({ ...c, image: os.initContainers![i]!.image }));
  setOrDelete(munged, 'activeDeadlineSeconds', os.activeDeadlineSeconds);
  setOrDelete(munged, 'schedulingGates', os.schedulingGates);
  setOrDelete(munged, 'tolerations', os.tolerations);
  if ((os.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  if (os.schedulingGates?.length) {
    // Gated pods may add to nodeSelector and node affinity; the scheduler has not looked yet.
    if (!deepEqual(munged.nodeSelector, os.nodeSelector)) {
      for (const [k, v] of Object.entries(os.nodeSelector ?? {})) {
        if (munged.nodeSelector?.[k] !== v) errs.push(invalid('spec.nodeSelector', munged.nodeSelector ?? {}, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
      }
      setOrDelete(munged, 'nodeSelector', os.nodeSelector);
    }
    const oldNA = os.affinity?.nodeAffinity;
    if (!deepEqual(munged.affinity?.nodeAffinity, oldNA)) {
      if (!munged.affinity) munged.affinity = oldNA ? { nodeAffinity: oldNA } : undefined;
      else if (!os.affinity && !munged.affinity.podAffinity && !munged.affinity.podAntiAffinity) delete munged.affinity;
      else setOrDelete(munged.affinity as Obj, 'nodeAffinity', oldNA);
      if (munged.affinity === undefined) delete munged.affinity;
    }
  }
  if (!deepEqual(munged, os)) {
    errs.push(forbidden('spec', `${POD_UPDATE_FORBIDDEN_MESSAGE}\n${describeDiff(os, munged, 'core.PodSpec')}`));
  }
  return errs;
}

function setOrDelete(o: object, key: string, value: unknown): void {
  if (value === undefined) delete (o as Obj)[key];
  else (o as Obj)[key] = value;
}

/** ValidatePodEphemeralContainersUpdate (the pods/ephemeralcontainers subresource). */
export function validatePodEphemeralContainersUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata);
  errs.push(...validatePodMetadataAndSpec(newPod));
  errs.push(...validatePodAnnotationUpdates(newPod, oldPod));
  if (oldPod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    return [forbidden('', 'static pods do not support ephemeral containers')];
  }
  const byName = new Map((newPod.spec?.ephemeralContainers ?? []).map((e) => [e.name, e]));
  for (const old of oldPod.spec?.ephemeralContainers ?? []) {
    const cur = byName.get(old.name);
    if (!cur) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(old.name)} may not be removed\n`));
    else if (!deepEqual(old, cur)) {
      errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(old.name)} may not be changed\n${describeDiff(old, cur, 'core.EphemeralContainer')}`));
    }
  }
  return errs;
}

function validateContainerStateTransition(newS: ContainerStatus[] | undefined, oldS: ContainerStatus[] | undefined, path: string, restartPolicy: string | undefined, skip?: (name: string) => boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (restartPolicy === 'Always') return errs;
  (oldS ?? []).forEach((old, i) => {
    const term = old.state?.terminated;
    if (!term || skip?.(old.name)) return;
    if (term.exitCode !== 0 && restartPolicy === 'OnFailure') return;
    for (const n of newS ?? []) {
      if (n.name === old.name && !n.state?.terminated) errs.push(forbidden(`${path}[${i}].state`, 'may not be transitioned to non-terminated state'));
    }
  });
  return errs;
}

const SYSTEM_POD_CONDITIONS = ['PodScheduled', 'Ready', 'Initialized'];

/** ValidatePodStatusUpdate (pods/status). */
export function validatePodStatusUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata);
  errs.push(...validatePodAnnotationUpdates(newPod, oldPod));
  (newPod.status?.conditions ?? []).forEach((c: PodCondition, i) => {
    if (!SYSTEM_POD_CONDITIONS.includes(c.type)) errs.push(...validateQualifiedName(c.type, `status.conditions[${i}].Type`));
  });
  if ((newPod.spec?.nodeName ?? '') !== (oldPod.spec?.nodeName ?? '')) errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  const nominated = newPod.status?.nominatedNodeName;
  if (nominated && nominated !== oldPod.status?.nominatedNodeName) {
    for (const m of nameIsDNSSubdomain(nominated, false)) errs.push(invalid('status.nominatedNodeName', nominated, m));
  }
  const policy = oldPod.spec?.restartPolicy;
  errs.push(...validateContainerStateTransition(newPod.status?.containerStatuses, oldPod.status?.containerStatuses, 'status.containerStatuses', policy));
  const sidecars = new Set((oldPod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  errs.push(...validateContainerStateTransition(newPod.status?.initContainerStatuses, oldPod.status?.initContainerStatuses, 'status.initContainerStatuses', policy, (n) => sidecars.has(n)));
  errs.push(...validateContainerStateTransition(newPod.status?.ephemeralContainerStatuses, oldPod.status?.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never'));
  errs.push(...validatePodIPs(newPod));
  return errs;
}

/** Binding (pods/binding and bindings). */
export function validateBinding(binding: KubeObject & { target?: { kind?: string; name?: string } }): FieldError[] {
  const errs: FieldError[] = [];
  const kind = binding.target?.kind ?? '';
  if (kind && kind !== 'Node') errs.push(notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!binding.target?.name) errs.push(required('target.name', ''));
  return errs;
}

