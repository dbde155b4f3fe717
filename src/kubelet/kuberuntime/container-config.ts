/**
 * Pod → runtime configs (upstream's generatePodSandboxConfig and generateContainerConfig): the sandbox's
 * metadata, hostname, namespaces, ports, cgroup parent and sysctls; a container's command, env, mounts,
 * resources, security context, log path, and the io.kubernetes.* labels and annotations through which the
 * kubelet later recognises its containers (pod identity, spec hash, restart count, termination message).
 */
import type {
  ContainerConfig,
  ContainerSecurityContext,
  DnsConfig,
  Image,
  NamespaceOptions,
  PodSandboxConfig,
  PortMapping,
  Protocol,
} from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';
import type { ContainerEnvironment } from './container-environment.ts';
import { containerLinuxResources, podCgroupParent, podLinuxResources } from './resources.ts';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_POD_GRACE_PERIOD,
  ANNOTATION_PORTS,
  ANNOTATION_PRESTOP,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_CONTAINER_TYPE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  formatPod,
  hashContainer,
  podLabels,
  type ContainerType,
} from './runtime-pod.ts';

/** Thrown while building a container's config; the kubelet reports it as CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerConfigError';
  }
}

export function podNamespaceOptions(pod: Pod): NamespaceOptions {
  const s = pod.spec;
  return {
    network: s?.hostNetwork ? 'node' : 'pod',
    pid: s?.hostPID ? 'node' : s?.shareProcessNamespace ? 'pod' : 'container',
    ipc: s?.hostIPC ? 'node' : 'pod',
  };
}

/** The pod's log directory under the node's log root: `<root>/<namespace>_<name>_<uid>`, as /var/log/pods. */
export function podLogDirectory(logRoot: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${logRoot}/${m.namespace ?? 'default'}_${m.name}_${m.uid}`;
}

/**
 * The pod's hostname (GeneratePodHostNameAndDomain): spec.hostname or the pod name, cut to 63 characters (a DNS
 * label) without a trailing `-` or `.`; empty on the host network. The one rule for the sandbox's hostname and
 * the managed /etc/hosts (volumes/hosts.ts).
 */
export function podHostname(pod: Pod): string {
  if (pod.spec?.hostNetwork) return '';
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

/** The FQDN fits the kernel's nodename field (64 characters, then the terminating NUL). */
const FQDN_MAX_LENGTH = 64;

/**
 * The hostname the sandbox's UTS namespace gets: the pod's hostname, or with `setHostnameAsFQDN` and a
 * subdomain its FQDN `<hostname>.<subdomain>.<namespace>.svc.<clusterDomain>` (upstream's
 * GetNodenameForKernel, with its error when that is too long).
 */
export function podKernelHostname(pod: Pod, clusterDomain: string): string {
  const hostname = podHostname(pod);
  const subdomain = pod.spec?.subdomain;
  if (!hostname || !subdomain || !pod.spec?.setHostnameAsFQDN || !clusterDomain) return hostname;
  const fqdn = `${hostname}.${subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}`;
  if (fqdn.length > FQDN_MAX_LENGTH) {
    throw new Error(
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LENGTH} characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}

export function generatePodSandboxConfig(
  pod: Pod,
  attempt: number,
  options: { logRoot: string; dnsConfig?: DnsConfig; clusterDomain?: string },
): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const spec = pod.spec;
  const portMappings: PortMapping[] = [];
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({
        protocol: (p.protocol ?? 'TCP') as Protocol,
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP,
      });
    }
  }
  const psc = spec?.securityContext;
  return {
    metadata: { name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? 'default', attempt },
    hostname: podKernelHostname(pod, options.clusterDomain ?? 'cluster.local'),
    logDirectory: podLogDirectory(options.logRoot, pod),
    dnsConfig: options.dnsConfig,
    portMappings,
    labels: podLabels(pod),
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroupParent: podCgroupParent(pod),
      resources: podLinuxResources(pod),
      namespaceOptions: podNamespaceOptions(pod),
      sysctls: Object.fromEntries((psc?.sysctls ?? []).map((s) => [s.name, s.value])),
      runAsUser: psc?.runAsUser,
      runAsGroup: psc?.runAsGroup,
      supplementalGroups: psc?.supplementalGroups,
    },
  };
}

/**
 * Pod + container security context merged, container winning (upstream's determineEffectiveSecurityContext):
 * the pod's fsGroup joins its supplementalGroups, a Localhost seccomp profile is a file under
 * `seccompProfileRoot`, and runAsNonRoot is checked against runAsUser or the image's user (an image without
 * a user runs as root; a user name cannot be checked).
 */
export function containerSecurityContext(
  pod: Pod,
  c: Container,
  image: Image | undefined,
  seccompProfileRoot = '/var/lib/kubelet/seccomp',
): ContainerSecurityContext {
  const psc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  if (runAsNonRoot) {
    if (runAsUser === 0)
      throw new ContainerConfigError(
        `container's runAsUser breaks non-root policy (pod: "${formatPod(pod)}", container: ${c.name})`,
      );
    if (runAsUser === undefined) {
      const user = (image?.config.user ?? '').split(':')[0] ?? '';
      if (user === '' || user === '0')
        throw new ContainerConfigError(
          `container has runAsNonRoot and image will run as root (pod: "${formatPod(pod)}", container: ${c.name})`,
        );
      if (!/^\d+$/.test(user))
        throw new ContainerConfigError(
          `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root (pod: "${formatPod(pod)}", container: ${c.name})`,
        );
    }
  }
  const seccomp = sc.seccompProfile ?? psc.seccompProfile;
  const unmasked = sc.procMount === 'Unmasked';
  const groups = [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])];
  const policy = (psc as { supplementalGroupsPolicy?: string }).supplementalGroupsPolicy;
  return {
    namespaceOptions: podNamespaceOptions(pod),
    privileged: sc.privileged ?? false,
    capabilities: sc.capabilities ? { add: sc.capabilities.add ?? [], drop: sc.capabilities.drop ?? [] } : undefined,
    runAsUser,
    runAsGroup: sc.runAsGroup ?? psc.runAsGroup,
    ...(groups.length ? { supplementalGroups: groups } : {}),
    ...(policy === 'Strict' || policy === 'Merge' ? { supplementalGroupsPolicy: policy } : {}),
    readonlyRootfs: sc.readOnlyRootFilesystem ?? false,
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    seccomp:
      seccomp?.type === 'Localhost'
        ? { type: 'Localhost', localhostRef: `${seccompProfileRoot}/${seccomp.localhostProfile ?? ''}` }
        : seccomp?.type === 'Unconfined'
          ? { type: 'Unconfined' }
          : seccomp?.type === 'RuntimeDefault'
            ? { type: 'RuntimeDefault' }
            : undefined,
    maskedPaths: unmasked ? [] : undefined,
    readonlyPaths: unmasked ? [] : undefined,
  };
}

export interface GenerateContainerConfigOptions {
  environment: ContainerEnvironment;
  podIPs: string[];
  restartCount: number;
  imageRef: string;
  image?: Image;
  type: ContainerType;
  nodeMemoryCapacity: number;
  /** For an ephemeral container with targetContainerName: the target's container id. */
  targetContainerId?: string;
  /** The kubelet's `--seccomp-profile-root` (`<root dir>/seccomp`), where Localhost profiles live. */
  seccompProfileRoot?: string;
}

export async function generateContainerConfig(
  pod: Pod,
  c: Container,
  o: GenerateContainerConfigOptions,
): Promise<ContainerConfig> {
  let env: Awaited<ReturnType<ContainerEnvironment['makeContainerEnvironment']>>;
  try {
    env = await o.environment.makeContainerEnvironment(pod, c, o.podIPs);
  } catch (err) {
    throw new ContainerConfigError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const securityContext = containerSecurityContext(pod, c, o.image, o.seccompProfileRoot);
  if (o.targetContainerId)
    securityContext.namespaceOptions = {
      ...securityContext.namespaceOptions,
      pid: 'container',
      targetId: o.targetContainerId,
    };
  const m = pod.metadata ?? {};
  const annotations: Record<string, string> = {
    [ANNOTATION_CONTAINER_HASH]: hashContainer(c),
    [ANNOTATION_RESTART_COUNT]: String(o.restartCount),
    [ANNOTATION_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
    [ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
    [ANNOTATION_POD_GRACE_PERIOD]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
  };
  if (c.lifecycle?.preStop) annotations[ANNOTATION_PRESTOP] = JSON.stringify(c.lifecycle.preStop);
  if (c.ports?.length) annotations[ANNOTATION_PORTS] = JSON.stringify(c.ports);
  const stopSignal = (c.lifecycle as { stopSignal?: string } | undefined)?.stopSignal;
  return {
    metadata: { name: c.name, attempt: o.restartCount },
    image: o.imageRef,
    command: c.command ?? [],
    args: c.args ?? [],
    workingDir: c.workingDir || undefined,
    envs: env.envs,
    mounts: env.mounts,
    labels: {
      [LABEL_POD_NAME]: m.name ?? '',
      [LABEL_POD_NAMESPACE]: m.namespace ?? 'default',
      [LABEL_POD_UID]: m.uid ?? '',
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_CONTAINER_TYPE]: o.type,
    },
    annotations,
    logPath: `${c.name}/${o.restartCount}.log`,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    stopSignal,
    linux: {
      resources: o.type === 'ephemeral' ? undefined : containerLinuxResources(pod, c, o.nodeMemoryCapacity),
      securityContext,
    },
  };
}
