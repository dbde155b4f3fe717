/**
 * The smallest valid CRI configs (a pod sandbox and one container in it) for tests that drive a runtime
 * directly instead of through the kubelet: no mounts, no env, pod network, container PID namespace.
 */
import type { ContainerConfig, PodSandboxConfig } from '../runtime.ts';

/** A sandbox for pod `name` (uid `uid`, namespace default) whose container logs go under `logDirectory`. */
export function testSandboxConfig(name: string, uid: string, logDirectory: string): PodSandboxConfig {
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname: name,
    logDirectory,
    portMappings: [],
    labels: { 'io.kubernetes.pod.uid': uid },
    annotations: {},
    linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' }, sysctls: {} },
  };
}

export interface TestContainerOptions {
  /** Default `busybox:1.35`. */
  image?: string;
  /** Default 0; the log goes to `<name>/<attempt>.log`. */
  attempt?: number;
  /** Default none (the image's entrypoint). */
  command?: string[];
  /** Labels besides `io.kubernetes.container.name`. */
  labels?: Record<string, string>;
}

/** Container `name`, labelled with its name as the kubelet labels containers. */
export function testContainerConfig(name: string, options: TestContainerOptions = {}): ContainerConfig {
  const attempt = options.attempt ?? 0;
  return {
    metadata: { name, attempt },
    image: options.image ?? 'busybox:1.35',
    command: options.command ?? [],
    args: [],
    envs: [],
    mounts: [],
    labels: { ...options.labels, 'io.kubernetes.container.name': name },
    annotations: {},
    logPath: `${name}/${attempt}.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { securityContext: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' } } },
  };
}
