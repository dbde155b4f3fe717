/**
 * The pod timeline a kubelet keeps (kubeling's own, no upstream equivalent): every step of a pod's life on the
 * node with its time in milliseconds, served by the kubelet at `GET /podTimeline/{namespace}/{name}` and reached
 * through the API server as `GET /api/v1/nodes/{node}/proxy/podTimeline/{namespace}/{name}` (authorized as
 * `nodes/proxy`, as upstream authorizes every kubelet path without a subresource of its own). `kubeling why
 * --timeline` and `kubeling run` read it; the shapes here are the wire format both ends share.
 */

/** What happened. Container steps carry `container`; image steps carry the container whose image it is. */
export type PodTimelineStepKind =
  | 'PodSeen' // the kubelet got the pod (from the API or a manifest)
  | 'VolumesMounted' // every volume of the pod is set up
  | 'SandboxCreated' // the pod's sandbox (network namespace, IP) exists; `message` has the IP
  | 'ImagePulling' // a pull started; `progress` grows while it runs
  | 'ImagePulled' // the pull ended; `durationMs` and `progress` (bytes, layers) say how much
  | 'ImagePresent' // no pull needed
  | 'ImagePullFailed'
  | 'ContainerCreated'
  | 'ContainerStarted'
  | 'PostStartDone' // the postStart hook returned; `durationMs` from the container's start
  | 'PostStartFailed'
  | 'StartupProbeSucceeded'
  | 'ContainerReady' // the readiness probe passed (or there is none and the container started)
  | 'ContainerNotReady' // the readiness probe failed after having passed
  | 'LivenessProbeFailed'
  | 'PreStopStarted'
  | 'PreStopDone' // `durationMs`; `message` says if it failed or ran out of the grace period
  | 'StopSignalSent' // the stop signal (SIGTERM unless the image says otherwise), `message` has the grace period
  | 'ContainerStopped' // stopContainer returned; `message` says when SIGKILL was needed
  | 'ContainerExited' // `exitCode`, `reason`, `durationMs` (the run's length)
  | 'PodGone'; // the pod's containers and sandbox are removed from the node

export interface PodTimelineProgress {
  /** Bytes downloaded so far (or in all, once pulled). */
  downloaded: number;
  /** The image's compressed size, once its manifest is read; 0 before. */
  total: number;
  layersDone?: number;
  layers?: number;
}

export interface PodTimelineEntry {
  /** ms since the epoch, as the kubelet's clock saw it. */
  at: number;
  kind: PodTimelineStepKind;
  container?: string;
  /** `init`, `sidecar`, `regular`, `ephemeral`: where the container sits in the pod. */
  containerType?: string;
  durationMs?: number;
  exitCode?: number;
  /** The container's restart count at the step (ContainerExited): its run is restartCount + 1. */
  restartCount?: number;
  reason?: string;
  message?: string;
  image?: string;
  progress?: PodTimelineProgress;
}

export interface PodTimelineRecord {
  kind: 'PodTimeline';
  namespace: string;
  name: string;
  uid: string;
  node?: string;
  /** Steps dropped from the middle of a long record (a container restarting for days), oldest first. */
  dropped?: number;
  steps: PodTimelineEntry[];
}
