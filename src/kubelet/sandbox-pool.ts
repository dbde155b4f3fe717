/**
 * The node's sandbox pool as a kubelet manager (`--sandbox-pool-size N`): while the node runs, the runtime
 * keeps N pod sandboxes ready for pods to come (a network namespace wired by CNI, the pause running), which
 * its runPodSandbox hands to the pods they fit; when the node stops, the pool's sandboxes are removed before
 * the runtime closes, so nothing of the pool outlives the node (pods do, by design). A size of 0, or a
 * runtime without a pool (the fake one), makes it a manager that only waits to be stopped.
 */
import type { Logger } from '../machinery/index.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { manager, untilAborted, type Manager } from './manager.ts';

export const DEFAULT_SANDBOX_POOL_SIZE = 2;

export function sandboxPoolManager(runtime: ContainerRuntime, size: number, logger: Logger): Manager {
  const pool = runtime.sandboxPool;
  if (!pool || size <= 0) return manager('sandbox pool', untilAborted);
  return manager('sandbox pool', async (signal) => {
    logger.info(`keeping ${size} pod sandbox${size === 1 ? '' : 'es'} ready (--sandbox-pool-size)`);
    await pool.run(size, signal, (err) => logger.warn({ err }, 'sandbox pool: a pooled sandbox could not be built or removed'));
  });
}
