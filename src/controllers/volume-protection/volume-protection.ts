/**
 * The pvc-protection and pv-protection controllers of kube-controller-manager, in one: they hold back the
 * deletion of storage that is still in use. The StorageObjectInUseProtection admission puts a finalizer on
 * every claim and volume; once one is being deleted, this controller removes the finalizer when nothing uses
 * it any more:
 *
 *   claim (kubernetes.io/pvc-protection)   no pod of its namespace that is scheduled and not finished
 *                                          (Succeeded/Failed) names it in a persistentVolumeClaim volume
 *   volume (kubernetes.io/pv-protection)   not Bound to a claim
 *
 * Pod changes re-check the claims of their namespace that are being deleted; claim changes re-check their volume.
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../api/index.ts';
import { Informer, informerOf, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export interface VolumeProtectionControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

/** Whether `pod` keeps `claim` in use (upstream's podUsesPVC: scheduled, not finished, names the claim). */
export function podUsesClaim(pod: Pod, namespace: string, claimName: string): boolean {
  if (pod.metadata?.namespace !== namespace || !pod.spec?.nodeName) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claimName);
}

export class VolumeProtectionController {
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly volumes: Informer<PersistentVolume>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;

  constructor(config: VolumeProtectionControllerConfig) {
    this.#client = config.client;
    const clock = config.clock ?? realClock;
    const log = config.logger ?? createLogger('volume-protection');
    this.claims = informerOf(config.informers, config.client.resource<PersistentVolumeClaim>('persistentvolumeclaims'), { clock, logger: log });
    this.volumes = informerOf(config.informers, config.client.resource<PersistentVolume>('persistentvolumes'), { clock, logger: log });
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), { clock, logger: log });
    this.controller = new Controller({
      name: 'volume-protection',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.claims, this.volumes, this.pods] as Informer<KubeObjectLike>[],
      workers: 1,
      clock,
      logger: log,
    });
    const claimChanged = (c: PersistentVolumeClaim) => {
      if (c.metadata?.deletionTimestamp) this.controller.enqueue(`pvc|${objectKey(c)}`);
      if (c.spec?.volumeName) this.controller.enqueue(`pv|${c.spec.volumeName}`);
    };
    const volumeChanged = (v: PersistentVolume) => {
      if (v.metadata?.deletionTimestamp) this.controller.enqueue(`pv|${v.metadata.name}`);
    };
    const podChanged = (p: Pod) => {
      for (const v of p.spec?.volumes ?? []) {
        const name = v.persistentVolumeClaim?.claimName;
        if (name) this.controller.enqueue(`pvc|${p.metadata?.namespace}/${name}`);
      }
    };
    this.claims.onAdd(claimChanged).onUpdate((_o, c) => claimChanged(c)).onDelete(claimChanged);
    this.volumes.onAdd(volumeChanged).onUpdate((_o, v) => volumeChanged(v));
    this.pods.onAdd(podChanged).onUpdate((_o, p) => podChanged(p)).onDelete(podChanged);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const [kind, name] = key.split('|') as [string, string];
    try {
      if (kind === 'pvc') await this.#syncClaim(name, signal);
      else await this.#syncVolume(name, signal);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
      // A conflict: the informer brings the newer object and the key comes back.
    }
  }

  async #syncClaim(key: string, signal: AbortSignal): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim?.metadata?.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    const ns = claim.metadata.namespace!;
    if (this.pods.list().some((p) => podUsesClaim(p, ns, claim.metadata!.name!))) return;
    // The informer may lag behind a pod just made: ask the API, as upstream does before it lets go.
    const live = await this.#client.resource<Pod>('pods', ns).list({ signal });
    if (live.items.some((p) => podUsesClaim(p, ns, claim.metadata!.name!))) return;
    const finalizers = claim.metadata.finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
    await this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', ns).update({ ...claim, metadata: { ...claim.metadata, finalizers } }, { signal });
  }

  async #syncVolume(name: string, signal: AbortSignal): Promise<void> {
    const pv = this.volumes.get(name);
    if (!pv?.metadata?.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    if (pv.status?.phase === 'Bound') return;
    const finalizers = pv.metadata.finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER);
    await this.#client.resource<PersistentVolume>('persistentvolumes').update({ ...pv, metadata: { ...pv.metadata, finalizers } }, { signal });
  }
}
