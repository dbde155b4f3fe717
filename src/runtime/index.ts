/**
 * The runtime seam's public surface. The kubelet imports the interface (runtime.ts) only; `cmd` picks a
 * backend: `OciRuntime` (real containers) or `FakeRuntime` (simulated, for tests and scale runs). The
 * conformance suite is imported from runtime.conformance.ts directly (it pulls in node:test).
 */
export * from './runtime.ts';
export { OciRuntime, type OciRuntimeConfig, type LayeredImageService } from './oci/index.ts';
