/** The runtime conformance suite against OciRuntime: real sandboxes and containers (root, crun, conmon, CNI). */
import { runRuntimeConformance } from '../../src/runtime/runtime.conformance.ts';
import { makeOciEnv, ociSkipReason, type OciTestEnv } from './oci-helpers.ts';

const skip = ociSkipReason();
let env: OciTestEnv | undefined;

runRuntimeConformance(
  'oci (crun)',
  async () => {
    env = await makeOciEnv('conf');
    return env.runtime;
  },
  { skip, cleanup: () => env?.cleanup() },
);
