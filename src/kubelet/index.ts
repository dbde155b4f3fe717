/**
 * The kubelet's public surface. kubelet-core (this file's owner) provides the pieces that turn Pods into
 * runtime calls and report their status; kubelet-node's `kubelet.ts` composes them with pod sources, volumes,
 * env, node status and the server.
 *
 * Wiring (kubelet.ts), all loops taking one AbortSignal and awaited together with Promise.allSettled:
 *
 *   const runtimeManager = new KubeRuntimeManager({ runtime, environment, recorder, clock, logDirectory });
 *   const pleg = new GenericPLEG({ runtime: runtimeManager, clock });            // relists every 1 s
 *   const statusManager = new StatusManager({ writer, clock });                  // single writer of pods/status
 *   const probeManager = new ProbeManager({ runtime, recorder, clock });         // workers per (pod, container, kind)
 *   const syncer = new KubeletPodSyncer({ runtimeManager, pleg, statusManager, probeManager, volumeManager,
 *                                         recorder, clock, nodeName, hostIPs, onPodTerminated });
 *   const podWorkers = new PodWorkers({ syncer, clock });
 *   pleg.subscribe((e) => podWorkers.wake(e.podUid));
 *   probeManager.subscribe((uid) => podWorkers.wake(uid));
 *   pod source ADD/UPDATE  → podWorkers.updatePod({ type: 'update', pod })
 *   pod deleted (deletionTimestamp) → podWorkers.updatePod({ type: 'kill', pod, gracePeriodSeconds })
 *   pod gone from the source → podWorkers.updatePod({ type: 'kill', pod, gracePeriodSeconds: 0 })
 *   kubeletHealthy = pleg.healthy()   // { ok, message } feeds the node Ready condition
 */
export type { ContainerEnvironment, VolumeManager } from './kuberuntime/container-environment.ts';
export type { EventRecorder, EventType } from './kuberuntime/events.ts';
export { RecordingEventRecorder } from './kuberuntime/events.ts';
export type * from './kuberuntime/api.ts';
