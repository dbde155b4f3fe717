/**
 * Mirror pods: the API server's read-only copies of this node's static pods (upstream's mirror_client.go), so
 * `kubectl get pods` shows them. A mirror pod is the static pod's metadata and spec under the same
 * namespace/name, with `kubernetes.io/config.mirror: <static pod hash>` and the Node as controlling owner.
 *
 * `reconcile` is level-triggered (run from housekeeping): every static pod has exactly one mirror with its
 * current hash; a missing one is created (so deleting a mirror just brings it back, the static pod keeps
 * running); a stale one (the file changed) or one being deleted is replaced; mirrors whose static pod is gone
 * are deleted.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import { isAlreadyExists, isNotFound, type Client } from '../../client/index.ts';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_CONFIG_MIRROR, podFullName } from './pod-config.ts';

export interface MirrorPodClientConfig {
  client: Client;
  nodeName: string;
  /** The Node's uid, for the owner reference (undefined until registered). */
  nodeUid: () => string | undefined;
}

export function mirrorPodFor(staticPod: IPod, nodeName: string, nodeUid: string | undefined): IPod {
  const meta = staticPod.metadata ?? {};
  const hash = meta.annotations?.[ANNOTATION_CONFIG_HASH] ?? meta.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      labels: meta.labels,
      annotations: { ...meta.annotations, [ANNOTATION_CONFIG_MIRROR]: hash },
      ...(nodeUid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }] }
        : {}),
    },
    spec: structuredClone(staticPod.spec!),
  };
}

export class MirrorPodClient {
  readonly #config: MirrorPodClientConfig;

  constructor(config: MirrorPodClientConfig) {
    this.#config = config;
  }

  async create(staticPod: IPod): Promise<void> {
    const mirror = mirrorPodFor(staticPod, this.#config.nodeName, this.#config.nodeUid());
    try {
      await this.#config.client.resource<IPod>('pods', mirror.metadata!.namespace).create(mirror);
    } catch (err) {
      // Another kubelet instance (or an earlier try) already made it; reconcile checks its hash next round.
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async delete(mirror: IPod): Promise<void> {
    try {
      await this.#config.client.resource<IPod>('pods', mirror.metadata?.namespace).delete(mirror.metadata?.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: mirror.metadata?.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Makes the API's mirror pods match the static pods. `mirrors` are the mirror pods the API holds for this node
   * (from the informer cache). Returns what it did, for logs and tests.
   */
  async reconcile(staticPods: IPod[], mirrors: IPod[]): Promise<{ created: string[]; deleted: string[] }> {
    const done = { created: [] as string[], deleted: [] as string[] };
    const byName = new Map(mirrors.map((m) => [podFullName(m), m]));
    const wanted = new Set<string>();
    for (const sp of staticPods) {
      const name = podFullName(sp);
      wanted.add(name);
      const mirror = byName.get(name);
      const hash = sp.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
      if (
        mirror &&
        mirror.metadata?.annotations?.[ANNOTATION_CONFIG_MIRROR] === hash &&
        !mirror.metadata?.deletionTimestamp
      )
        continue;
      if (mirror) {
        await this.delete(mirror);
        done.deleted.push(name);
      }
      await this.create(sp);
      done.created.push(name);
    }
    for (const [name, mirror] of byName) {
      if (wanted.has(name)) continue;
      await this.delete(mirror);
      done.deleted.push(name);
    }
    return done;
  }
}
