/**
 * Test set-up for the generic registry: a ConfigMap registry over a given store with its watch cache running,
 * as the API server runs it, stopped and the store closed afterwards.
 */
import { findResource } from '../../api/index.ts';
import type { Store } from '../../storage/index.ts';
import { AdmissionChain } from '../admission/chain.ts';
import { GenericRegistry, strategyFor } from './index.ts';

export async function withConfigMapRegistry<S extends Store>(
  store: S,
  options: { consistentListFromCache?: boolean },
  fn: (registry: GenericRegistry, store: S) => Promise<void>,
): Promise<void> {
  const registry = new GenericRegistry({ strategy: strategyFor(findResource('v1', 'configmaps')!), store, admission: new AdmissionChain(), ...options });
  const stop = new AbortController();
  const run = registry.cache.run(stop.signal);
  try {
    await registry.cache.ready;
    await fn(registry, store);
  } finally {
    stop.abort();
    await run;
    await store.close();
  }
}
