/**
 * A kubelet core for unit tests, wired as kubelet-node wires it (src/kubelet/index.ts): FakeRuntime, FakeClock,
 * PLEG, ProbeManager, StatusManager writing to an in-memory API, KubeletPodSyncer and PodWorkers. Time moves
 * only when a test says so (`advance`), in 1 s steps with every loop run in between, and the API view of each
 * pod can be read as `kubectl get pods` prints it (`statusText`, and the STATUS history in `statusHistory`).
 * `restart()` builds a second kubelet on the same runtime and API, as after a kubelet restart.
 */
import { podStatusText } from '../../api/index.ts';
import { FakeClock } from '../../machinery/clock.ts';
import type { Mount } from '../../runtime/runtime.ts';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import type { Container, Pod } from '../kuberuntime/api.ts';
import type { ContainerEnvironment } from '../kuberuntime/container-environment.ts';
import { RecordingEventRecorder } from '../kuberuntime/events.ts';
import { KubeRuntimeManager } from '../kuberuntime/kube-runtime-manager.ts';
import { NoopVolumeManager } from '../kuberuntime/testing.ts';
import { GenericPLEG } from '../pleg/generic.ts';
import { ProbeManager } from '../prober/prober-manager.ts';
import { StatusManager } from '../status/status-manager.ts';
import { MemoryPodStatusWriter } from '../status/testing.ts';
import { KubeletPodSyncer } from './kubelet-pod-syncer.ts';
import { PodWorkers } from './pod-workers.ts';

/** Env = literal values; mounts = each volumeMount at `<podsRoot>/<uid>/volumes/<volume>` (as kubelet-node lays them out). */
export class VolumeMountEnvironment implements ContainerEnvironment {
  async makeContainerEnvironment(pod: Pod, c: Container) {
    const mounts: Mount[] = (c.volumeMounts ?? []).map((m) => ({
      containerPath: m.mountPath,
      hostPath: `/var/lib/kubeling/pods/${pod.metadata?.uid}/volumes/${m.name}`,
      readonly: m.readOnly ?? false,
    }));
    const envs = (c.env ?? []).filter((e) => e.value !== undefined).map((e) => ({ key: e.name, value: e.value! }));
    return { envs, mounts };
  }
}

export interface TestKubelet {
  clock: FakeClock;
  runtime: FakeRuntime;
  recorder: RecordingEventRecorder;
  writer: MemoryPodStatusWriter;
  volumes: NoopVolumeManager;
  /** Pods the kubelet finished and handed back for the final API delete. */
  deleted: string[];
  podWorkers: PodWorkers;
  probeManager: ProbeManager;
  syncer: KubeletPodSyncer;
  /** Creates the pod in the API and hands it to the pod workers. */
  add(pod: Pod): void;
  /** Sends an update (a new spec, a deletion) of a known pod. */
  update(pod: Pod, type?: 'update' | 'kill'): void;
  status(pod: Pod): Pod['status'];
  /** The pod as the API has it. */
  apiPod(pod: Pod): Pod;
  /** `kubectl get pods` STATUS of the pod now. */
  statusText(pod: Pod): string;
  /** Every STATUS the pod showed in the API (after each status write), consecutive repeats dropped. */
  statusHistory(pod: Pod): string[];
  /** Moves time in 1 s steps, letting every loop run in between. */
  advance(ms: number): Promise<void>;
  /** Stops this kubelet's loops (the runtime and the API stay). */
  stop(): Promise<void>;
  /** Stops this kubelet and starts a new one on the same runtime, API and clock, with these pods. */
  restart(pods: Pod[], options?: Pick<StartKubeletOptions, 'probeRandom'>): Promise<TestKubelet>;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

export interface StartKubeletOptions {
  clock?: FakeClock;
  runtime?: FakeRuntime;
  writer?: MemoryPodStatusWriter;
  recorder?: RecordingEventRecorder;
  /** The API answers status reads a few event-loop turns late, as a real server does (ordering tests). */
  slowApi?: boolean;
  /** The prober's first-probe jitter (default 0: no jitter). */
  probeRandom?: () => number;
}

export async function startKubelet(shared: StartKubeletOptions = {}): Promise<TestKubelet> {
  const clock = shared.clock ?? new FakeClock();
  const runtime = shared.runtime ?? new FakeRuntime({ clock });
  const recorder = shared.recorder ?? new RecordingEventRecorder();
  const writer = shared.writer ?? new MemoryPodStatusWriter();
  const volumes = new NoopVolumeManager();
  const deleted: string[] = [];
  const runtimeManager = new KubeRuntimeManager({
    runtime,
    environment: new VolumeMountEnvironment(),
    recorder,
    clock,
    logRoot: '/nonexistent/pods',
    nodeMemoryCapacity: 2 ** 33,
  });
  const pleg = new GenericPLEG({ runtime: runtimeManager, clock });
  const probeManager = new ProbeManager({
    runtime,
    recorder,
    clock,
    random: shared.probeRandom ?? (() => 0),
    statusOf: (uid) => pleg.getCachedStatus(uid),
  });
  runtimeManager.setProbeResults(probeManager);
  const statusManager = new StatusManager({ writer, clock });
  const { runtimeName } = await runtime.version();
  const syncer = new KubeletPodSyncer({
    runtimeManager,
    pleg,
    statusManager,
    probeManager,
    volumeManager: volumes,
    recorder,
    runtimeName,
    hostIPs: () => ['192.168.1.10'],
    clock,
    onPodTerminated: async (pod) => {
      deleted.push(pod.metadata!.name!);
    },
  });
  const podWorkers = new PodWorkers({ syncer, clock, random: () => 0 });
  pleg.subscribe((e) => podWorkers.wake(e.podUid));
  probeManager.subscribe((uid) => podWorkers.wake(uid));
  const ac = new AbortController();
  const loops = [pleg.run(ac.signal), statusManager.run(ac.signal), podWorkers.run(ac.signal)];
  const histories = new Map<string, string[]>();
  const apiPod = (pod: Pod) => writer.get(pod) ?? pod;
  const record = () => {
    for (const [key, history] of histories) {
      const p = writer.pods.get(key);
      if (!p) continue;
      const text = podStatusText(p);
      if (history.at(-1) !== text) history.push(text);
    }
  };
  if (shared.slowApi && !shared.writer) {
    const getPod = writer.getPod.bind(writer);
    writer.getPod = async (...args) => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      return getPod(...args);
    };
  }
  // Every status write is one `kubectl get pods -w` line: record the STATUS after each.
  const patch = writer.patchPodStatus.bind(writer);
  writer.patchPodStatus = async (...args) => {
    const written = await patch(...args);
    record();
    return written;
  };
  const k: TestKubelet = {
    clock,
    runtime,
    recorder,
    writer,
    volumes,
    deleted,
    podWorkers,
    probeManager,
    syncer,
    add(pod) {
      writer.add(pod);
      histories.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, []);
      podWorkers.updatePod({ type: 'create', pod });
    },
    update(pod, type = 'update') {
      const stored = writer.get(pod);
      if (stored) stored.metadata = structuredClone(pod.metadata);
      podWorkers.updatePod({ type, pod });
    },
    status: (pod) => writer.get(pod)?.status,
    apiPod,
    statusText: (pod) => podStatusText(apiPod(pod)),
    statusHistory: (pod) => histories.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`) ?? [],
    async advance(ms) {
      await settle();
      record();
      for (let t = 0; t < ms; t += 1000) {
        await clock.step(Math.min(1000, ms - t));
        await settle();
        record();
      }
    },
    async stop() {
      ac.abort();
      await probeManager.stop();
      await Promise.allSettled(loops);
    },
    async restart(pods, options = {}) {
      await k.stop();
      const next = await startKubelet({ clock, runtime, writer, recorder, ...options });
      for (const p of pods) next.podWorkers.updatePod({ type: 'create', pod: writer.get(p) ?? p });
      return next;
    },
  };
  return k;
}
