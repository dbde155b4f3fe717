/** Pod sources: the API watch and static manifests merged into one ordered stream, plus mirror pods. */
export {
  PodConfig,
  isMirrorPod,
  isStaticPod,
  podFullName,
  podsDifferSemantically,
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_CONFIG_MIRROR,
  ANNOTATION_CONFIG_SEEN,
  ANNOTATION_CONFIG_SOURCE,
  type PodConfigUpdate,
  type PodConfigListener,
  type PodOperation,
  type PodSource,
} from './pod-config.ts';
export {
  FileSource,
  parseManifest,
  staticPodFromManifest,
  type FileSourceConfig,
  type ManifestError,
} from './static-pods.ts';
export { MirrorPodClient, mirrorPodFor, type MirrorPodClientConfig } from './mirror-pods.ts';
export { ApiPodSource } from './api-source.ts';
