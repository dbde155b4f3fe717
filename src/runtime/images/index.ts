/**
 * The node's image store: pull from OCI registries, import archives, unpacked layers for overlay root
 * filesystems, image GC. Public surface for runtime/oci (imageLayers) and cmd (`kubeling image …`).
 */
export { OciImageService, type OciImageServiceConfig, type ImageLayers, type GarbageCollectOptions, type GarbageCollectResult } from './service.ts';
export { parseReference, normalizeReference, formatReference, familiarName, parseImageId, repositoryName, ReferenceError, type ImageReference } from './reference.ts';
export { chainIds } from './store.ts';
export { MediaType, type ImageConfigFile, type ImageManifest, type ImageIndex, type Descriptor, type Platform } from './media-types.ts';
export { imageCommand, imageTable, humanSize, type ImageCommandOptions } from './cli.ts';
export { parseRegistriesYaml, pullEndpoints, RegistriesConfigError, type RegistriesConfig, type PullEndpoint } from './registries.ts';
