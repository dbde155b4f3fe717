/** The oci backend: real pod sandboxes and containers on crun/runc, conmon, catatonit, CNI and overlayfs. */
export { OciRuntime, type OciRuntimeConfig, type LayeredImageService } from './oci-runtime.ts';
export { detectCgroupLayout, cgroupExists, type CgroupLayout } from './cgroups.ts';
export { ensureTmpfs, filesystemType, unmountUnder } from './mounts.ts';
export { Spawner } from './spawner.ts';
