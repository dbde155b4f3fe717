/**
 * The kubelet's public surface. kubelet-core provides the pieces that turn Pods into runtime calls and report
 * their status; kubelet-node's `kubelet.ts` composes them with pod sources, volumes, env, node status and the
 * server.
 *
 * Wiring (kubelet.ts); every loop takes one AbortSignal and is awaited with Promise.allSettled:
 *
 *   const { runtimeName } = await runtime.version();
 *   const runtimeManager = new KubeRuntimeManager({ runtime, environment, recorder, clock, logRoot });
 *   const pleg = new GenericPLEG({ runtime: runtimeManager, clock });                 // relists every 1 s
 *   const probeManager = new ProbeManager({ runtime, recorder, clock, statusOf: (uid) => pleg.getCachedStatus(uid) });
 *                                                  // first probes jittered over a period after start (random)
 *   runtimeManager.setProbeResults(probeManager);                                     // liveness/startup kills
 *   const statusManager = new StatusManager({ writer, clock });                       // single writer of pods/status
 *   const syncer = new KubeletPodSyncer({ runtimeManager, pleg, statusManager, probeManager, volumeManager,
 *                                         recorder, runtimeName, hostIPs: () => [nodeIP], clock,
 *                                         onPodTerminated: (pod) => deletePodWithGraceZeroAndUidPrecondition(pod) });
 *   const podWorkers = new PodWorkers({ syncer, clock });
 *   pleg.subscribe((e) => podWorkers.wake(e.podUid));
 *   probeManager.subscribe((uid) => podWorkers.wake(uid));
 *   await Promise.allSettled([pleg.run(signal), statusManager.run(signal), podWorkers.run(signal), ...]);
 *
 *   pod source ADD/UPDATE                       → podWorkers.updatePod({ type: 'update', pod })
 *   pod with deletionTimestamp                  → podWorkers.updatePod({ type: 'kill', pod }) (grace from the pod)
 *   pod gone from the API (force delete)        → podWorkers.updatePod({ type: 'kill', pod, gracePeriodSeconds: 0 }),
 *                                                  once podWorkers.state(uid) === 'finished': podWorkers.forget(uid)
 *                                                  and await syncer.forgetPod(uid)
 *   housekeeping (every 2 s)                    → syncer.cleanupOrphanedPods(new Set(known uids))
 *   node Ready condition                        → pleg.healthy(): { ok, message } ("PLEG is not healthy: " + message)
 *   admission rejection                         → statusManager.setPodStatus(pod, { phase: 'Failed', reason, message })
 *
 * Tests: pod-workers/testing.ts `startKubelet()` wires all of it on FakeRuntime and FakeClock (must-show.test.ts).
 */
export * from './kuberuntime/index.ts';
export {
  GenericPLEG,
  generateEvents,
  type PodLifecycleEvent,
  type PodLifecycleEventType,
  type PodStatusSource,
} from './pleg/index.ts';
export {
  ProbeManager,
  runProbe,
  type ProbeKind,
  type ProbeManagerConfig,
  type ProbeOutcome,
  type ProbeTarget,
} from './prober/index.ts';
export { HandlerRunner, httpGet, httpGetUrl, resolvePort } from './lifecycle/index.ts';
export {
  StatusManager,
  generatePodStatus,
  getPhase,
  toRFC3339,
  podStatusPatch,
  type PodStatusPatch,
  type PodStatusWriter,
  type StatusManagerConfig,
  type ContainerProbeView,
} from './status/index.ts';
export {
  PodWorkers,
  KubeletPodSyncer,
  type PodSyncer,
  type PodUpdate,
  type PodUpdateType,
  type PodWorkerState,
  type KubeletPodSyncerConfig,
} from './pod-workers/index.ts';
export type * from './kuberuntime/api.ts';
