/**
 * Test helpers for the kubelet core: a Pod builder (after upstream's st.MakePod), a ContainerEnvironment and
 * VolumeManager that need no node, and a runtime-status builder for pure decisions. Used by unit tests only.
 */
import type { Mount } from '../../runtime/runtime.ts';
import type { Container, Pod } from './api.ts';
import type { ContainerEnvironment, VolumeManager } from './container-environment.ts';
import { hashContainer, type RuntimeContainerStatus, type RuntimePodStatus } from './runtime-pod.ts';

export class PodBuilder {
  pod: Pod;
  constructor(name = 'p', uid = `uid-${name}`) {
    this.pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid },
      spec: { containers: [], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
    };
  }
  container(name: string, extra: Partial<Container> = {}): this {
    this.pod.spec!.containers.push({ name, image: 'busybox:1.35', ...extra });
    return this;
  }
  init(name: string, extra: Partial<Container> = {}): this {
    (this.pod.spec!.initContainers ??= []).push({ name, image: 'busybox:1.35', ...extra });
    return this;
  }
  sidecar(name: string, extra: Partial<Container> = {}): this {
    return this.init(name, { ...extra, restartPolicy: 'Always' } as Partial<Container>);
  }
  restartPolicy(p: 'Always' | 'OnFailure' | 'Never'): this {
    this.pod.spec!.restartPolicy = p;
    return this;
  }
  set(fn: (pod: Pod) => void): this {
    fn(this.pod);
    return this;
  }
  build(): Pod {
    return structuredClone(this.pod);
  }
}

export const makePod = (name?: string, uid?: string) => new PodBuilder(name, uid);

/** Env = the container's literal values; no mounts. */
export class StaticEnvironment implements ContainerEnvironment {
  fail: string | undefined;
  mounts: Mount[] = [];
  async makeContainerEnvironment(_pod: Pod, c: Container) {
    if (this.fail) throw new Error(this.fail);
    return {
      envs: (c.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ key: e.name, value: e.value! })),
      mounts: this.mounts,
    };
  }
}

export class NoopVolumeManager implements VolumeManager {
  unmounted: string[] = [];
  async waitForAttachAndMount() {}
  async unmountPodVolumes(uid: string) {
    this.unmounted.push(uid);
  }
}

/** A runtime status for pure tests: one ready sandbox with an IP and the given container instances. */
export function runtimeStatus(
  pod: Pod,
  containers: Partial<RuntimeContainerStatus & { spec: Container }>[] = [],
  opts: { noSandbox?: boolean; sandboxReady?: boolean } = {},
): RuntimePodStatus {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let n = 0;
  return {
    uid: pod.metadata!.uid!,
    name: pod.metadata!.name!,
    namespace: 'default',
    ips: opts.noSandbox ? [] : ['10.42.0.9'],
    sandboxStatuses: opts.noSandbox
      ? []
      : [
          {
            id: 'sb1',
            metadata: { name: pod.metadata!.name!, uid: pod.metadata!.uid!, namespace: 'default', attempt: 0 },
            state: opts.sandboxReady === false ? 'SANDBOX_NOTREADY' : 'SANDBOX_READY',
            createdAt: 1,
            labels: {},
            annotations: {},
            network: { ip: '10.42.0.9', additionalIps: [] },
            linux: { namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod' } },
            hostname: '',
            logDirectory: '',
          },
        ],
    containerStatuses: containers.map((c) => {
      const spec = all.find((s) => s.name === c.name);
      n++;
      return {
        id: c.id ?? `${c.name}-${n}`,
        name: c.name!,
        type: 'regular',
        state: c.state ?? 'running',
        createdAt: c.createdAt ?? 1000 - n,
        startedAt: c.startedAt ?? 1,
        finishedAt: c.finishedAt ?? 0,
        exitCode: c.exitCode ?? 0,
        reason: c.reason ?? '',
        message: '',
        image: c.image ?? 'docker.io/library/busybox:1.35',
        imageRef: c.imageRef ?? 'sha256:x',
        hash: c.hash ?? (spec ? hashContainer(spec) : ''),
        restartCount: c.restartCount ?? 0,
        podSandboxId: 'sb1',
        logPath: '',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        mounts: [],
      };
    }),
    timestamp: 0,
  };
}
