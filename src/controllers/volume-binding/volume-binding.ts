/**
 * The PersistentVolume controller's binder (kube-controller-manager's persistentvolume-binder, the part for
 * volumes that already exist): a Pending claim is bound to the smallest Available volume of its class whose
 * access modes and capacity cover it (or to the volume its spec.volumeName names); the volume gets the claimRef
 * first, then the claim its volumeName, then both turn Bound. A volume whose claim is gone turns Released;
 * with reclaim policy Delete its object is deleted, unless a provisioner made it (`pv.kubernetes.io/provisioned-by`):
 * then it stays Released for that provisioner to delete with its data, as upstream leaves it to the external one.
 * A volume pre-bound to a claim (claimRef with the claim's uid, as a provisioner makes it) is bound to that claim
 * first. Claims of a WaitForFirstConsumer class wait until the scheduler picked their node
 * (`volume.kubernetes.io/selected-node`; event WaitForFirstConsumer meanwhile) and then bind only to a volume
 * pre-bound to them: they get `volume.kubernetes.io/storage-provisioner` (and the beta annotation) naming their
 * class's provisioner and an ExternalProvisioning event, and the provisioner on that node makes the volume.
 */
import { parseQuantity, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface VolumeBindingControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

const storage = (q: unknown) => (q === undefined ? 0n : BigInt(parseQuantity(String(q)).milliValue()));

/** The volume `pv` can serve `claim`: same class, access modes covered, capacity at least the request. */
export function volumeMatches(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if ((pv.spec?.storageClassName ?? '') !== (claim.spec?.storageClassName ?? '')) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  if (!(claim.spec?.accessModes ?? []).every((m) => pv.spec?.accessModes?.includes(m))) return false;
  return storage(pv.spec?.capacity?.['storage']) >= storage(claim.spec?.resources?.requests?.['storage']);
}

export class VolumeBindingController {
  readonly volumes: Informer<PersistentVolume>;
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly classes: Informer<StorageClass>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;

  constructor(config: VolumeBindingControllerConfig) {
    this.#client = config.client;
    const clock = config.clock ?? realClock;
    const log = config.logger ?? createLogger('persistentvolume-binder');
    this.#recorder = new EventRecorder(config.client, { component: 'persistentvolume-controller', clock, logger: log });
    this.volumes = informerOf(config.informers, config.client.resource<PersistentVolume>('persistentvolumes'), { clock, logger: log });
    this.claims = informerOf(config.informers, config.client.resource<PersistentVolumeClaim>('persistentvolumeclaims'), { clock, logger: log });
    this.classes = informerOf(config.informers, config.client.resource<StorageClass>('storageclasses'), { clock, logger: log });
    this.controller = new Controller({
      name: 'persistentvolume-binder',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.volumes, this.claims, this.classes] as Informer<KubeObjectLike>[],
      workers: 1,
      clock,
      logger: log,
    });
    // Keys: `pvc|ns/name` and `pv|name`. A change to either side re-checks all of the other (small sets).
    const claimChanged = (c: PersistentVolumeClaim) => {
      this.controller.enqueue(`pvc|${objectKey(c)}`);
      for (const v of this.volumes.list()) if (v.spec?.claimRef?.name === c.metadata?.name) this.controller.enqueue(`pv|${v.metadata!.name}`);
    };
    const volumeChanged = (v: PersistentVolume) => {
      this.controller.enqueue(`pv|${v.metadata!.name}`);
      for (const c of this.claims.list()) if (c.status?.phase !== 'Bound') this.controller.enqueue(`pvc|${objectKey(c)}`);
    };
    this.claims.onAdd(claimChanged).onUpdate((_o, c) => claimChanged(c)).onDelete(claimChanged);
    this.volumes.onAdd(volumeChanged).onUpdate((_o, v) => volumeChanged(v)).onDelete(volumeChanged);
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
      // Someone else moved first: the informers bring the change and the key comes back.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  async #syncClaim(key: string, signal: AbortSignal): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim || claim.metadata?.deletionTimestamp) return;
    const ns = claim.metadata!.namespace!;
    let pv: PersistentVolume | undefined;
    if (claim.spec?.volumeName) {
      pv = this.volumes.get(claim.spec.volumeName);
      if (!pv) return;
      const ref = pv.spec?.claimRef;
      if (ref && (ref.name !== claim.metadata?.name || ref.namespace !== ns || (ref.uid && ref.uid !== claim.metadata?.uid))) return;
    } else {
      const uid = claim.metadata?.uid;
      pv = this.volumes.list().find((v) => !v.metadata?.deletionTimestamp && v.spec?.claimRef?.uid === uid &&
        v.spec?.claimRef?.name === claim.metadata?.name && v.spec?.claimRef?.namespace === ns);
    }
    if (!pv) {
      const cls = claim.spec?.storageClassName ? this.classes.get(claim.spec.storageClassName) : undefined;
      if (cls?.volumeBindingMode === 'WaitForFirstConsumer') return this.#waitForVolume(claim, cls.provisioner, signal);
      const candidates = this.volumes.list()
        .filter((v) => !v.spec?.claimRef && !v.metadata?.deletionTimestamp && v.status?.phase !== 'Released' && v.status?.phase !== 'Failed' && volumeMatches(v, claim))
        .sort((a, b) => (storage(a.spec?.capacity?.['storage']) < storage(b.spec?.capacity?.['storage']) ? -1 : 1));
      pv = candidates[0];
      if (!pv) return;
    }
    const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: claim.metadata!.name!, uid: claim.metadata!.uid! };
    const volumes = this.#client.resource<PersistentVolume>('persistentvolumes');
    if (!pv.spec?.claimRef?.uid) pv = await volumes.update({ ...pv, spec: { ...pv.spec, claimRef } }, { signal });
    if (pv.status?.phase !== 'Bound') await volumes.updateStatus({ ...pv, status: { ...pv.status, phase: 'Bound' } }, { signal });
    const claims = this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', ns);
    let c = claim;
    if (c.spec?.volumeName !== pv.metadata!.name || c.metadata?.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') {
      c = await claims.update({
        ...c, metadata: { ...c.metadata, annotations: { ...c.metadata?.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes' } },
        spec: { ...c.spec, volumeName: pv.metadata!.name },
      }, { signal });
    }
    if (c.status?.phase !== 'Bound') {
      await claims.updateStatus({ ...c, status: { ...c.status, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } }, { signal });
    }
  }

  /** A delayed claim: waits for its pod's node, then for the provisioner (annotated with it, as upstream). */
  async #waitForVolume(claim: PersistentVolumeClaim, provisioner: string, signal: AbortSignal): Promise<void> {
    if (!claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION]) {
      this.#recorder.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    if (provisioner === NO_PROVISIONER) return;
    if (claim.metadata.annotations[STORAGE_PROVISIONER_ANNOTATION] !== provisioner) {
      await this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', claim.metadata.namespace).patch(claim.metadata.name!, {
        metadata: { annotations: { [STORAGE_PROVISIONER_ANNOTATION]: provisioner, [BETA_STORAGE_PROVISIONER_ANNOTATION]: provisioner } },
      }, 'merge', { signal });
    }
    this.#recorder.event(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  async #syncVolume(name: string, signal: AbortSignal): Promise<void> {
    const pv = this.volumes.get(name);
    // A volume being deleted is still released when its claim goes: pv-protection lets it go only once not Bound.
    if (!pv) return;
    const volumes = this.#client.resource<PersistentVolume>('persistentvolumes');
    const ref = pv.spec?.claimRef;
    if (!ref) {
      if (pv.status?.phase !== 'Available') await volumes.updateStatus({ ...pv, status: { ...pv.status, phase: 'Available' } }, { signal });
      return;
    }
    if (!ref.uid) return;
    const claim = this.claims.get(`${ref.namespace}/${ref.name}`);
    if (claim && claim.metadata?.uid === ref.uid) return;
    // The claim is gone (checked against the API, not only the cache).
    try {
      const live = await this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', ref.namespace).get(ref.name!, { signal });
      if (live.metadata?.uid === ref.uid) return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] && !pv.metadata?.deletionTimestamp) {
      await volumes.delete(name, { signal, preconditions: { uid: pv.metadata?.uid } });
    } else if (pv.status?.phase !== 'Released') {
      await volumes.updateStatus({ ...pv, status: { ...pv.status, phase: 'Released' } }, { signal });
    }
  }
}
