/**
 * Picks a backend from the `--storage` flag of `kubeling server`: `sqlite` (default: `DIR/state.db` under the
 * data dir), `memory`, or `etcd://HOST:PORT[,HOST:PORT...]`. Called only by cmd, the composition root.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from './memory/index.ts';
import { SqliteStore } from './sqlite/index.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** Where the sqlite file lives (created if missing). */
  dataDir: string;
}

export async function openStore(spec: string, options: OpenStoreOptions): Promise<Store> {
  if (spec === 'memory') return new MemoryStore();
  if (spec === 'sqlite' || spec === '') {
    mkdirSync(options.dataDir, { recursive: true });
    return new SqliteStore({ path: join(options.dataDir, 'state.db') });
  }
  if (spec.startsWith('etcd://')) {
    const endpoints = spec
      .slice('etcd://'.length)
      .split(',')
      .map((hostPort) => hostPort.trim())
      .filter(Boolean);
    if (endpoints.length === 0)
      throw new Error(`--storage ${spec}: no etcd endpoints (want etcd://HOST:PORT[,HOST:PORT])`);
    for (const e of endpoints)
      if (!/^[^\s/:]+:\d+$/.test(e) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(e))
        throw new Error(`--storage ${spec}: bad etcd endpoint ${JSON.stringify(e)} (want HOST:PORT)`);
    // Loaded on demand: etcd3 pulls in gRPC, which sqlite and memory users need not pay for at start-up.
    const { EtcdStore } = await import('./etcd/index.ts');
    return new EtcdStore({ endpoints: endpoints.map((e) => `http://${e}`) });
  }
  throw new Error(`--storage ${JSON.stringify(spec)}: want sqlite, memory or etcd://HOST:PORT[,HOST:PORT]`);
}
