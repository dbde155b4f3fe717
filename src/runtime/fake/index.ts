/** The in-memory runtime backend: unit tests of the kubelet and scale runs (`--runtime fake`). */
export { FakeRuntime, normalizeImageRef } from './fake-runtime.ts';
export type {
  ContainerScript,
  ContainerScriptMatch,
  ExecScript,
  FakeRuntimeConfig,
  FakeRuntimeClock,
  RecordedCall,
} from './fake-runtime.ts';
