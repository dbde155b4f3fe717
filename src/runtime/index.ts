/**
 * The runtime seam's public surface. The kubelet imports the interface (runtime.ts) only; `cmd` picks a
 * backend: `OciRuntime` (real containers) or `FakeRuntime` (simulated, for tests and scale runs).
 */
export * from './runtime.ts';
export { runRuntimeConformance, type RuntimeConformanceOptions } from './runtime.conformance.ts';
export { OciRuntime, type OciRuntimeConfig, type LayeredImageService } from './oci/index.ts';
