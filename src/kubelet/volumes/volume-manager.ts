/**
 * The node's volumes: desired state (the pods that should have their volumes), actual state (what is set up on
 * disk), and a reconciler that brings one to the other. Kubelet-core's pod worker calls
 * `waitForAttachAndMount` before it creates a sandbox and `unmountPodVolumes` once the pod's containers are
 * gone; the `run` loop refreshes configMap, secret, downwardAPI and projected contents (atomically, through
 * the ..data swap) while pods run, as the real kubelet's periodic remount does.
 *
 * Supported: emptyDir (disk, or tmpfs with medium Memory), hostPath (with type checks), configMap, secret
 * (tmpfs), downwardAPI, projected (configMap, secret, downwardAPI, serviceAccountToken), and
 * persistentVolumeClaim: the claim (read fresh from the API) must be Bound and not being deleted, and its
 * volume a hostPath or local one; the pod's volume directory is then a link to the volume's path, which the
 * runtime bind-mounts (readOnly honoured). Until the claim binds the pod waits, with FailedMount events.
 * Setting a volume up is idempotent, so re-running it after a kubelet restart adopts what is there. Any other
 * source (nfs, iscsi, csi, ephemeral, image, ...) fails its set-up with a FailedMount event naming the source.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { realClock, type Clock } from '../../machinery/index.ts';
import type { EventRecorder, VolumeManager } from '../index.ts';
import { writeAtomically, type Payload } from './atomic-writer.ts';
import type { NodeFacts } from './fieldpath.ts';
import { checkHostPath } from './host-path.ts';
import { setVolumeOwnership } from './ownership.ts';
import { SystemMounter, type Mounter } from './mounter.ts';
import { ObjectNotFoundError, type ObjectSource } from './objects.ts';
import { configMapPayload, defaultFileMode, downwardAPIPayload, secretPayload } from './payloads.ts';
import { PodDirs, type VolumePluginName } from './pod-dirs.ts';
import { quantityValue } from './quantity.ts';

export interface VolumeManagerConfig {
  dirs: PodDirs;
  objects: ObjectSource;
  /** The node's IPs and allocatable, read at use (they may change). */
  node: () => NodeFacts;
  mounter?: Mounter;
  recorder?: EventRecorder;
  clock?: Clock;
  /** How long waitForAttachAndMount keeps retrying before it fails (the kubelet's is about 2 minutes). */
  mountTimeoutMs?: number;
  /** How often running pods' API-backed volumes are refreshed. */
  refreshPeriodMs?: number;
}

/** Where a pod's volume lives on the node, and whether containers must see it read-only. */
export interface VolumeLocation {
  hostPath: string;
  plugin: VolumePluginName;
  /** configMap, secret, downwardAPI and projected volumes are always mounted read-only. */
  readOnly: boolean;
}

export function volumePlugin(v: IVolume): VolumePluginName | undefined {
  if (v.hostPath) return 'host-path';
  if (v.configMap) return 'configmap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downward-api';
  if (v.projected) return 'projected';
  if (v.persistentVolumeClaim) return 'persistent-volume-claim';
  // A volume without a source defaults to emptyDir (SetDefaults_Volume).
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0 || v.emptyDir) return 'empty-dir';
  return undefined;
}

export function volumeLocation(dirs: PodDirs, podUid: string, v: IVolume): VolumeLocation {
  const plugin = volumePlugin(v);
  // As upstream's volume plugin manager with no plugin for the source; the pod waits in ContainerCreating.
  if (!plugin)
    throw new Error(
      `no volume plugin matched: kubeling does not mount ${Object.keys(v)
        .filter((k) => k !== 'name')
        .join(', ')} volumes`,
    );
  if (plugin === 'host-path') return { hostPath: v.hostPath!.path, plugin, readOnly: false };
  if (plugin === 'persistent-volume-claim') {
    return { hostPath: dirs.volumeDir(podUid, plugin, v.name), plugin, readOnly: v.persistentVolumeClaim!.readOnly === true };
  }
  const readOnly = plugin !== 'empty-dir';
  return { hostPath: dirs.volumeDir(podUid, plugin, v.name), plugin, readOnly };
}

export class NodeVolumeManager implements VolumeManager {
  readonly #dirs: PodDirs;
  readonly #objects: ObjectSource;
  readonly #node: () => NodeFacts;
  readonly #mounter: Mounter;
  readonly #recorder: EventRecorder | undefined;
  readonly #clock: Clock;
  readonly #mountTimeoutMs: number;
  readonly #refreshPeriodMs: number;
  /** Desired state: pods whose volumes should be set up, by uid (the newest spec seen). */
  readonly #desired = new Map<string, IPod>();
  /** Actual state: volumes set up, per pod uid. */
  readonly #mounted = new Map<string, Set<string>>();

  constructor(config: VolumeManagerConfig) {
    this.#dirs = config.dirs;
    this.#objects = config.objects;
    this.#node = config.node;
    this.#mounter = config.mounter ?? new SystemMounter();
    this.#recorder = config.recorder;
    this.#clock = config.clock ?? realClock;
    this.#mountTimeoutMs = config.mountTimeoutMs ?? 123_000;
    this.#refreshPeriodMs = config.refreshPeriodMs ?? 10_000;
  }

  /** Sets up every volume of the pod, retrying failures with back-off and a FailedMount event per failure. */
  async waitForAttachAndMount(pod: IPod, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    this.#desired.set(uid, pod);
    const deadline = this.#clock.now() + this.#mountTimeoutMs;
    let delay = 500;
    for (;;) {
      signal.throwIfAborted();
      const failed = await this.#setUpPod(pod);
      if (failed.length === 0) return;
      if (this.#clock.now() >= deadline) {
        const err = new Error(
          `unmounted volumes=[${failed.join(' ')}], unattached volumes=[], failed to process volumes=[]: context deadline exceeded`,
        );
        this.#recorder?.event(pod, 'Warning', 'FailedMount', `Unable to attach or mount volumes: ${err.message}`);
        throw err;
      }
      await this.#clock.sleep(Math.min(delay, Math.max(0, deadline - this.#clock.now())), signal);
      delay = Math.min(delay * 2, 16_000);
    }
  }

  /** Unmounts and removes every volume directory of the pod. Host paths are never touched. Idempotent. */
  async unmountPodVolumes(podUid: string): Promise<void> {
    this.#desired.delete(podUid);
    this.#mounted.delete(podUid);
    this.#objects.releasePod?.(podUid);
    const dir = this.#dirs.volumesDir(podUid);
    for (const m of await this.#mounter.mountsUnder(dir)) await this.#mounter.unmount(m);
    const left = await this.#mounter.mountsUnder(dir);
    // rm -r crosses mount points: never recurse into something still mounted (it could be a host directory).
    if (left.length > 0) throw new Error(`pod ${podUid}: volumes still mounted: ${left.join(', ')}`);
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** Uids of pods that have a volumes directory on disk (for housekeeping after a restart). */
  async podsWithVolumesOnDisk(): Promise<string[]> {
    const entries = await fs.readdir(this.#dirs.podsDir()).catch(() => [] as string[]);
    const out: string[] = [];
    for (const uid of entries) {
      if (await fs.stat(this.#dirs.volumesDir(uid)).catch(() => undefined)) out.push(uid);
    }
    return out;
  }

  /** True when every volume of the pod is set up (actual state matches desired). */
  allMounted(pod: IPod): boolean {
    const done = this.#mounted.get(pod.metadata?.uid ?? '');
    return (pod.spec?.volumes ?? []).every((v) => done?.has(v.name));
  }

  /** Refreshes API-backed volume contents of running pods until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(this.#refreshPeriodMs, signal);
      } catch {
        return;
      }
      for (const pod of [...this.#desired.values()]) await this.#setUpPod(pod);
    }
  }

  /** Updates the desired spec (new labels for downwardAPI files) without waiting. */
  updatePod(pod: IPod): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.#desired.has(uid)) this.#desired.set(uid, pod);
  }

  /**
   * Returns the names of the volumes that failed. The volumes are set up at once, as upstream's reconciler
   * runs each mount in its own goroutine: a pod's start waits for the slowest, not for their sum.
   */
  async #setUpPod(pod: IPod): Promise<string[]> {
    const uid = pod.metadata?.uid ?? '';
    const results = await Promise.all(
      (pod.spec?.volumes ?? []).map(async (v) => {
        // Claims, emptyDirs and host paths are set up once: the periodic refresh is for API-backed contents only.
        // (Redoing an emptyDir would reset its mode to 0777 and, with an fsGroup, drop the setgid bit until the
        // ownership walk put it back: a file made in between would miss the group.)
        if (!(v.configMap || v.secret || v.downwardAPI || v.projected) && this.#mounted.get(uid)?.has(v.name)) return undefined;
        try {
          await this.#setUpVolume(pod, v);
          const psc = pod.spec?.securityContext;
          const loc = volumeLocation(this.#dirs, uid, v);
          if (psc?.fsGroup !== undefined && loc.plugin !== 'host-path' && loc.plugin !== 'persistent-volume-claim')
            await setVolumeOwnership(loc.hostPath, psc.fsGroup, loc.readOnly, psc.fsGroupChangePolicy);
          let done = this.#mounted.get(uid);
          if (!done) this.#mounted.set(uid, (done = new Set()));
          done.add(v.name);
          return undefined;
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          this.#recorder?.event(
            pod,
            'Warning',
            'FailedMount',
            `MountVolume.SetUp failed for volume "${v.name}" : ${msg}`,
          );
          return v.name;
        }
      }),
    );
    return results.filter((name): name is string => name !== undefined);
  }

  async #setUpVolume(pod: IPod, v: IVolume): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? 'default';
    const loc = volumeLocation(this.#dirs, uid, v);
    switch (loc.plugin) {
      case 'host-path':
        return checkHostPath(loc.hostPath, v.hostPath!.type);
      case 'empty-dir': {
        await fs.mkdir(loc.hostPath, { recursive: true });
        if (v.emptyDir?.medium === 'Memory') {
          const limit = v.emptyDir.sizeLimit !== undefined ? quantityValue(v.emptyDir.sizeLimit) : undefined;
          const allocatable = this.#node().allocatable.memory;
          const size = limit ?? (allocatable !== undefined ? quantityValue(allocatable) : undefined);
          await this.#ensureTmpfs(loc.hostPath, size);
        }
        // World-writable, as Kubernetes makes emptyDirs (containers may run as any user).
        await fs.chmod(loc.hostPath, 0o777);
        return;
      }
      case 'configmap': {
        const src = v.configMap!;
        const optional = src.optional === true;
        const [cm] = await Promise.all([
          orEmpty(this.#objects.getConfigMap(ns, src.name ?? ''), optional, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {},
          }),
          this.#prepareDir(loc.hostPath, false),
        ]);
        await writeAtomically(loc.hostPath, configMapPayload(src.items, cm, src.defaultMode ?? defaultFileMode, optional));
        return;
      }
      case 'secret': {
        const src = v.secret!;
        const optional = src.optional === true;
        const [s] = await Promise.all([
          orEmpty(this.#objects.getSecret(ns, src.secretName ?? ''), optional, {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {},
          }),
          this.#prepareDir(loc.hostPath, true),
        ]);
        await writeAtomically(loc.hostPath, secretPayload(src.items, s, src.defaultMode ?? defaultFileMode, optional));
        return;
      }
      case 'downward-api': {
        const src = v.downwardAPI!;
        return this.#write(
          loc.hostPath,
          downwardAPIPayload(pod, src.items, src.defaultMode ?? defaultFileMode, this.#node()),
          true,
        );
      }
      case 'projected': {
        const [payload] = await Promise.all([this.#projectedPayload(pod, v), this.#prepareDir(loc.hostPath, true)]);
        await writeAtomically(loc.hostPath, payload);
        return;
      }
      case 'persistent-volume-claim': {
        const target = await this.#claimPath(ns, v.persistentVolumeClaim!.claimName);
        await fs.mkdir(path.dirname(loc.hostPath), { recursive: true });
        if ((await fs.readlink(loc.hostPath).catch(() => undefined)) === target) return;
        await fs.rm(loc.hostPath, { force: true });
        await fs.symlink(target, loc.hostPath);
        return;
      }
    }
  }

  /** The node path of a claim's volume, or why the pod cannot have it yet (the kubelet's messages). */
  async #claimPath(ns: string, name: string): Promise<string> {
    const fail = (why: string) => new Error(`error processing PVC ${ns}/${name}: ${why}`);
    if (!this.#objects.getPersistentVolumeClaim || !this.#objects.getPersistentVolume) throw fail('persistent volume claims are not available to this pod');
    let claim;
    try {
      claim = await this.#objects.getPersistentVolumeClaim(ns, name);
    } catch (err) {
      throw fail(`failed to fetch PVC from API server: ${(err as Error).message}`);
    }
    if (claim.metadata?.deletionTimestamp) throw fail('PVC is being deleted');
    const volumeName = claim.spec?.volumeName;
    if (claim.status?.phase !== 'Bound' || !volumeName) throw fail('PVC is not bound');
    let pv;
    try {
      pv = await this.#objects.getPersistentVolume(volumeName);
    } catch (err) {
      throw fail(`failed to fetch PV ${volumeName} from API server: ${(err as Error).message}`);
    }
    const ref = pv.spec?.claimRef;
    if (ref?.uid && ref.uid !== claim.metadata?.uid) throw fail(`PV ${volumeName} is bound to another claim`);
    if (pv.spec?.hostPath) {
      await checkHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return path.resolve(pv.spec.hostPath.path);
    }
    if (pv.spec?.local) {
      const st = await fs.stat(pv.spec.local.path).catch(() => undefined);
      if (!st) throw new Error(`path "${pv.spec.local.path}" does not exist`);
      return path.resolve(pv.spec.local.path);
    }
    throw fail(`PV ${volumeName} has a volume type this node does not support (hostPath and local only)`);
  }

  /** The sources are fetched at once and laid down in their order (a later source's path wins, as upstream). */
  async #projectedPayload(pod: IPod, v: IVolume): Promise<Payload> {
    const ns = pod.metadata?.namespace ?? 'default';
    const mode = v.projected!.defaultMode ?? defaultFileMode;
    const parts = await Promise.all(
      (v.projected!.sources ?? []).map(async (source): Promise<Payload | undefined> => {
        if (source.configMap) {
          const optional = source.configMap.optional === true;
          const cm = await orEmpty(this.#objects.getConfigMap(ns, source.configMap.name ?? ''), optional, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {},
          });
          return configMapPayload(source.configMap.items, cm, mode, optional);
        }
        if (source.secret) {
          const optional = source.secret.optional === true;
          const s = await orEmpty(this.#objects.getSecret(ns, source.secret.name ?? ''), optional, {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {},
          });
          return secretPayload(source.secret.items, s, mode, optional);
        }
        if (source.downwardAPI) return downwardAPIPayload(pod, source.downwardAPI.items, mode, this.#node());
        if (source.serviceAccountToken) {
          const t = source.serviceAccountToken;
          const token = await this.#objects.serviceAccountToken({
            namespace: ns,
            serviceAccountName: pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default',
            audience: t.audience || undefined,
            expirationSeconds: t.expirationSeconds ?? 3600,
            pod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
          });
          return new Map([[t.path, { data: Buffer.from(token), mode }]]);
        }
        return undefined;
      }),
    );
    const payload: Payload = new Map();
    for (const p of parts) for (const [k, f] of p ?? []) payload.set(k, f);
    return payload;
  }

  /** The volume's directory, with a tmpfs on it when `tmpfs`, made while its contents are being fetched. */
  async #prepareDir(dir: string, tmpfs: boolean): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    // Secrets (and the tmpfs-backed downwardAPI/projected volumes) never touch the node's disk.
    if (tmpfs) await this.#ensureTmpfs(dir, undefined);
  }

  async #write(dir: string, payload: Payload, tmpfs: boolean): Promise<void> {
    await this.#prepareDir(dir, tmpfs);
    await writeAtomically(dir, payload);
  }

  async #ensureTmpfs(dir: string, sizeBytes: number | undefined): Promise<void> {
    if (!(await this.#mounter.isMountPoint(path.resolve(dir))))
      await this.#mounter.mountTmpfs(path.resolve(dir), sizeBytes);
  }
}

async function orEmpty<T>(p: Promise<T>, optional: boolean, empty: T): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (optional && err instanceof ObjectNotFoundError) return empty;
    throw err;
  }
}
