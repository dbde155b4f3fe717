/**
 * The local-path provisioner of one node, as k3s ships rancher's local-path-provisioner: it serves the claims
 * of StorageClasses whose provisioner is `rancher.io/local-path`, once the scheduler has picked this node for
 * them (`volume.kubernetes.io/selected-node`, WaitForFirstConsumer), so the directory is on the node the pod
 * runs on. It runs beside the node's kubelet because the directory is there; it reaches the cluster only
 * through the client.
 *
 *   claim selected for this node, unbound ─▶ mkdir ROOT/pvc-<uid>_<ns>_<claim> (0777)
 *     ─▶ PersistentVolume `pvc-<claim uid>`: hostPath (DirectoryOrCreate) with node affinity to this node,
 *        the claim's capacity and access modes, the class's reclaim policy, pre-bound to the claim (claimRef
 *        with its uid), annotated pv.kubernetes.io/provisioned-by: rancher.io/local-path; the binder binds it
 *   volume of ours on this node, Released, policy Delete ─▶ rm -r its directory ─▶ delete the volume
 *
 * Retain keeps both: the volume stays Released with its data. Every step is idempotent (a restart redoes
 * whatever was half done: the directory is made again, the create of an existing volume is a no-op).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/index.ts';
import { EventRecorder, Informer, isAlreadyExists, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { PROVISIONED_BY_ANNOTATION, SELECTED_NODE_ANNOTATION } from '../volume-binding/volume-binding.ts';

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
/** The node a volume's directory is on (local-path-provisioner's own annotation). */
export const LOCAL_PATH_NODE_ANNOTATION = 'local.path.provisioner/selected-node';

/** k3s's default StorageClass, as its local-storage manifest makes it. */
export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The directory of a claim's volume: `pvc-<uid>_<namespace>_<claim>`, k3s's naming. */
export function volumeDirName(claim: PersistentVolumeClaim): string {
  return `pvc-${claim.metadata!.uid}_${claim.metadata!.namespace}_${claim.metadata!.name}`;
}

/** The volume the provisioner makes for `claim` on `node`, its directory under `root`. */
export function provisionedVolume(claim: PersistentVolumeClaim, cls: StorageClass, node: string, root: string): PersistentVolume {
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: {
      name: `pvc-${claim.metadata!.uid}`,
      annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER, [LOCAL_PATH_NODE_ANNOTATION]: node },
    },
    spec: {
      capacity: { storage: String(claim.spec?.resources?.requests?.['storage'] ?? '0') },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: cls.metadata!.name,
      volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid },
      hostPath: { path: path.join(root, volumeDirName(claim)), type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
  };
}

export interface LocalPathProvisionerConfig {
  client: Client;
  /** This node's name: only claims selected for it are served, only its volumes deleted. */
  nodeName: string;
  /** Where the directories go (k3s: /var/lib/rancher/k3s/storage; here DIR/storage). */
  root: string;
  clock?: Clock;
  logger?: Logger;
}

export class LocalPathProvisioner {
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly volumes: Informer<PersistentVolume>;
  readonly classes: Informer<StorageClass>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #node: string;
  readonly #root: string;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;

  constructor(config: LocalPathProvisionerConfig) {
    this.#client = config.client;
    this.#node = config.nodeName;
    this.#root = path.resolve(config.root);
    const clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('local-path-provisioner');
    this.#recorder = new EventRecorder(config.client, { component: `${LOCAL_PATH_PROVISIONER}_${config.nodeName}`, clock, logger: this.#log });
    this.claims = new Informer<PersistentVolumeClaim>(config.client.resource<PersistentVolumeClaim>('persistentvolumeclaims'), { clock, logger: this.#log });
    this.volumes = new Informer<PersistentVolume>(config.client.resource<PersistentVolume>('persistentvolumes'), { clock, logger: this.#log });
    this.classes = new Informer<StorageClass>(config.client.resource<StorageClass>('storageclasses'), { clock, logger: this.#log });
    this.controller = new Controller({
      name: 'local-path-provisioner',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.claims, this.volumes, this.classes] as Informer<KubeObjectLike>[],
      workers: 1,
      clock,
      logger: this.#log,
    });
    const claimChanged = (c: PersistentVolumeClaim) => this.controller.enqueue(`pvc|${objectKey(c)}`);
    const volumeChanged = (v: PersistentVolume) => this.controller.enqueue(`pv|${v.metadata!.name}`);
    this.claims.onAdd(claimChanged).onUpdate((_o, c) => claimChanged(c));
    this.volumes.onAdd(volumeChanged).onUpdate((_o, v) => volumeChanged(v));
    this.classes.onAdd(() => {
      for (const c of this.claims.list()) claimChanged(c);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const [kind, name] = key.split('|') as [string, string];
    try {
      if (kind === 'pvc') await this.#provision(name, signal);
      else await this.#reclaim(name, signal);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async #provision(key: string, signal: AbortSignal): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim || claim.metadata?.deletionTimestamp || claim.spec?.volumeName) return;
    if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] !== this.#node) return;
    const cls = claim.spec?.storageClassName ? this.classes.get(claim.spec.storageClassName) : undefined;
    if (cls?.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const pv = provisionedVolume(claim, cls, this.#node, this.#root);
    if (this.volumes.get(pv.metadata!.name!)) return;
    const dir = pv.spec!.hostPath!.path;
    this.#recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    await fs.mkdir(dir, { recursive: true });
    // Any user of any container may write, as local-path-provisioner's helper makes it.
    await fs.chmod(dir, 0o777);
    try {
      await this.#client.resource<PersistentVolume>('persistentvolumes').create(pv, { signal });
    } catch (err) {
      if (isAlreadyExists(err)) return;
      this.#recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata!.name}": ${(err as Error).message}`);
      throw err;
    }
    this.#log.info({ claim: key, volume: pv.metadata!.name, path: dir }, 'provisioned volume');
    this.#recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata!.name}`);
  }

  async #reclaim(name: string, signal: AbortSignal): Promise<void> {
    const pv = this.volumes.get(name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return;
    if (pv.metadata?.annotations?.[LOCAL_PATH_NODE_ANNOTATION] !== this.#node) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const dir = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    // Only ever a directory of ours: never follow a volume edited to point elsewhere.
    if (dir && path.dirname(path.resolve(dir)) === this.#root && path.basename(dir).startsWith('pvc-')) {
      await fs.rm(dir, { recursive: true, force: true });
    } else if (dir) {
      this.#log.warn({ volume: name, path: dir }, `volume's path is not under ${this.#root}: deleting the volume, not the directory`);
    }
    await this.#client.resource<PersistentVolume>('persistentvolumes').delete(name, { signal, preconditions: { uid: pv.metadata!.uid } });
    this.#log.info({ volume: name, path: dir }, 'deleted volume and its directory');
  }
}
