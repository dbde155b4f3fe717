/** The runtime conformance suite against OciRuntime: real sandboxes and containers (root, crun, conmon, CNI). */
import { runRuntimeConformance } from '../../src/runtime/runtime.conformance.ts';
import { makeOciEnv, type OciTestEnv } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const skip = missingRealContainers();
let env: OciTestEnv | undefined;

runRuntimeConformance(
  'oci (crun)',
  async () => {
    env = await makeOciEnv('conf');
    return env.runtime;
  },
  { skip, cleanup: () => env?.cleanup() },
);
