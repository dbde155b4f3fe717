/**
 * Housekeeping (upstream's `HandlePodCleanups`, run from the sync loop's housekeeping ticker): every 2 s it
 * forgets removed pods whose workers finished, retries the final API delete of torn-down pods, kills and
 * removes runtime pods nobody knows, removes orphaned pod and log directories, and reconciles mirror pods.
 *
 * The kubelet starts it only once the pod sources are ready (the API source synced, the manifest dirs
 * scanned), so a restarted kubelet adopts its running pods instead of treating them as orphans.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { Clock, Logger } from '../machinery/index.ts';
import type { KubeletPodSyncer, PodWorkers, StatusManager } from './index.ts';
import { isStaticPod, podFullName, type ApiPodSource, type MirrorPodClient, type PodConfig } from './config/index.ts';
import type { Manager } from './manager.ts';
import type { NodeVolumeManager, PodDirs } from './volumes/index.ts';

export interface HousekeepingConfig {
  podConfig: PodConfig;
  /** Pods gone from their source whose workers are still terminating (the kubelet adds, housekeeping forgets). */
  removed: Set<string>;
  /** The final delete of a torn-down pod (grace 0, uid precondition); a no-op for static pods. */
  deleteFromApi: (pod: IPod) => Promise<void>;
  podWorkers: PodWorkers;
  syncer: KubeletPodSyncer;
  sm: StatusManager;
  dirs: PodDirs;
  logRoot: string;
  volumeManager: NodeVolumeManager;
  mirrors: MirrorPodClient;
  apiSource: ApiPodSource;
  clock: Clock;
  logger: Logger;
  periodMs?: number;
}

export class Housekeeping implements Manager {
  readonly name = 'housekeeping';
  readonly #k: HousekeepingConfig;

  constructor(config: HousekeepingConfig) {
    this.#k = config;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#housekeepOnce();
      } catch (err) {
        this.#k.logger.warn({ err }, 'housekeeping');
      }
      try {
        await this.#k.clock.sleep(this.#k.periodMs ?? 2000, signal);
      } catch {
        return;
      }
    }
  }

  async #housekeepOnce(): Promise<void> {
    const { podWorkers, syncer, sm, dirs, logRoot, volumeManager, mirrors, apiSource, podConfig, removed } = this.#k;
    // Removed pods whose workers finished: forget them.
    for (const uid of [...removed]) {
      const state = podWorkers.state(uid);
      if (state === undefined || state === 'finished' || state === 'terminated') {
        if (podConfig.get(uid)) continue;
        podWorkers.forget(uid);
        sm.removePod(uid);
        removed.delete(uid);
      }
    }
    // Deleted pods whose teardown finished but whose final API delete did not go through (API down): retry.
    for (const pod of podConfig.pods()) {
      const uid = pod.metadata?.uid ?? '';
      const state = podWorkers.state(uid);
      if (pod.metadata?.deletionTimestamp && !isStaticPod(pod) && state === 'finished') await this.#k.deleteFromApi(pod);
    }
    const known = new Set<string>([
      ...podConfig.pods().map((p) => p.metadata?.uid ?? ''),
      ...podWorkers.knownPods(),
    ]);
    await syncer.cleanupOrphanedPods(known);

    // Pod and log directories of pods nobody knows any more (deleted while the kubelet was down, or done).
    for (const uid of await fs.readdir(dirs.podsDir()).catch(() => [] as string[])) {
      if (known.has(uid)) continue;
      await volumeManager.unmountPodVolumes(uid);
      await fs.rm(dirs.podDir(uid), { recursive: true, force: true });
    }
    for (const entry of await fs.readdir(logRoot).catch(() => [] as string[])) {
      const uid = entry.slice(entry.lastIndexOf('_') + 1);
      if (!known.has(uid)) await fs.rm(path.join(logRoot, entry), { recursive: true, force: true });
    }

    const statics = podConfig.pods().filter((p) => isStaticPod(p) && !removed.has(p.metadata?.uid ?? ''));
    const { created } = await mirrors.reconcile(statics, apiSource.mirrorPods());
    // A new mirror has no status yet: have its static pod's worker publish one now.
    for (const sp of statics) if (created.includes(podFullName(sp))) podWorkers.wake(sp.metadata?.uid ?? '');
  }
}
