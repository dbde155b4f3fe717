/**
 * VolumeBinding, kube-scheduler's plugin for pods with PersistentVolumeClaims, cut to what local volumes need:
 *
 *   PreFilter  each claim of the pod must exist and not be being deleted (`persistentvolumeclaim "x" not
 *              found`); an unbound claim of an Immediate class fails the pod ("pod has unbound immediate
 *              PersistentVolumeClaims": the PV controller binds it first); an unbound claim of a
 *              WaitForFirstConsumer class is "delayed": the node chosen for the pod decides where it is provisioned
 *   Filter     a bound claim's volume must exist and its node affinity match the node ("node(s) had volume
 *              node affinity conflict"); each delayed claim is matched to an Available volume of its class
 *              that fits it (access modes, capacity: the smallest) and whose node affinity allows the node;
 *              without one, a class with a provisioner will provision, one without
 *              (`kubernetes.io/no-provisioner`) cannot ("node(s) didn't find available persistent volumes to bind")
 *   PreBind    matched volumes are pre-bound to their claims (claimRef with the claim's uid; the binder
 *              completes the binding), the other delayed claims get `volume.kubernetes.io/selected-node:
 *              <node>`, which the provisioner on that node acts on. Unlike upstream it does not wait for the
 *              claims to bind: the kubelet waits (the pod stays ContainerCreating until its volumes mount).
 *
 * It watches claims, volumes and classes itself; any change to them retries unschedulable pods.
 */
import { nodeSelectorTermMatches, parseQuantity, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../../../api/index.ts';
import { Informer, objectKey, type Client, type KubeObjectLike } from '../../../client/index.ts';
import { createLogger, realClock, type Logger } from '../../../machinery/index.ts';
import {
  errorStatus, skip, unresolvable, type CycleState, type FilterPlugin, type NodeInfo, type PreBindPlugin, type PreFilterPlugin, type Status,
  type WatchingPlugin,
} from '../../framework/index.ts';

export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
const STATE_KEY = 'PreFilterVolumeBinding';

/** Where the plugin reads claims, volumes and classes (informers, or maps in tests). */
export interface VolumeListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

const storage = (q: unknown) => (q === undefined ? 0 : parseQuantity(String(q)).milliValue());

/** Whether an unclaimed volume can serve the claim on the node (class, mode, access modes, capacity, node affinity). */
export function volumeFits(pv: PersistentVolume, claim: PersistentVolumeClaim, node: Node): boolean {
  if (pv.spec?.claimRef || pv.metadata?.deletionTimestamp || pv.status?.phase !== 'Available') return false;
  if ((pv.spec?.storageClassName ?? '') !== (claim.spec?.storageClassName ?? '')) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  if (!(claim.spec?.accessModes ?? []).every((m) => pv.spec?.accessModes?.includes(m))) return false;
  if (storage(pv.spec?.capacity?.['storage']) < storage(claim.spec?.resources?.requests?.['storage'])) return false;
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms || terms.some((t) => nodeSelectorTermMatches(t, node));
}

interface PodVolumes {
  /** Claims bound to a volume, with the volume's name. */
  bound: { claim: PersistentVolumeClaim; volumeName: string }[];
  /** Unbound claims of WaitForFirstConsumer classes. */
  delayed: { claim: PersistentVolumeClaim; cls: StorageClass | undefined }[];
  /** Per feasible node: the volume matched to each delayed claim (by claim name) that has one. */
  matches: Map<string, Map<string, PersistentVolume>>;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, PreBindPlugin, WatchingPlugin {
  readonly name = 'VolumeBinding';
  readonly #client: Client;
  readonly #log: Logger;
  readonly #informers: { claims: Informer<PersistentVolumeClaim>; volumes: Informer<PersistentVolume>; classes: Informer<StorageClass> } | undefined;
  readonly #listers: VolumeListers;

  /** With `listers` the plugin reads those (tests); otherwise it runs informers of its own on `client`. */
  constructor(client: Client, listers?: VolumeListers, logger?: Logger) {
    this.#client = client;
    this.#log = logger ?? createLogger('scheduler');
    if (listers) {
      this.#listers = listers;
    } else {
      const opts = { clock: realClock, logger: this.#log };
      const inf = {
        claims: new Informer<PersistentVolumeClaim>(client.resource<PersistentVolumeClaim>('persistentvolumeclaims'), opts),
        volumes: new Informer<PersistentVolume>(client.resource<PersistentVolume>('persistentvolumes'), opts),
        classes: new Informer<StorageClass>(client.resource<StorageClass>('storageclasses'), opts),
      };
      this.#informers = inf;
      this.#listers = {
        claim: (ns, name) => inf.claims.get(`${ns}/${name}`),
        volume: (name) => inf.volumes.get(name),
        volumes: () => inf.volumes.list(),
        storageClass: (name) => inf.classes.get(name),
      };
    }
  }

  start(signal: AbortSignal, changed: () => void): { synced: Promise<void>; done: Promise<void> } {
    const inf = this.#informers;
    if (!inf) return { synced: Promise.resolve(), done: Promise.resolve() };
    const all = [inf.claims, inf.volumes, inf.classes] as Informer<KubeObjectLike>[];
    for (const i of all) i.onAdd(changed).onUpdate(changed).onDelete(changed);
    const done = Promise.all(all.map((i) => i.run(signal))).then(() => undefined);
    return { synced: Promise.all(all.map((i) => i.synced)).then(() => undefined), done };
  }

  preFilter(state: CycleState, pod: Pod): Status | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const vols: PodVolumes = { bound: [], delayed: [], matches: new Map() };
    let unboundImmediate = false;
    for (const v of pod.spec?.volumes ?? []) {
      const name = v.persistentVolumeClaim?.claimName;
      if (!name) continue;
      const claim = this.#listers.claim(ns, name);
      if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (claim.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      if (claim.spec?.volumeName) {
        vols.bound.push({ claim, volumeName: claim.spec.volumeName });
        continue;
      }
      const cls = claim.spec?.storageClassName ? this.#listers.storageClass(claim.spec.storageClassName) : undefined;
      if (cls?.volumeBindingMode === 'WaitForFirstConsumer') vols.delayed.push({ claim, cls });
      else unboundImmediate = true;
    }
    if (unboundImmediate) return unresolvable(ERR_UNBOUND_IMMEDIATE);
    state.write(STATE_KEY, vols);
    // No claims: nothing to filter (upstream's Skip); PreBind finds nothing to do either.
    return vols.bound.length === 0 && vols.delayed.length === 0 ? skip() : undefined;
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const vols = state.read<PodVolumes>(STATE_KEY);
    for (const { volumeName } of vols.bound) {
      const pv = this.#listers.volume(volumeName);
      if (!pv) return unresolvable(ERR_REASON_PV_NOT_EXIST);
      const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
      if (terms && !terms.some((t) => nodeSelectorTermMatches(t, nodeInfo.node))) return unresolvable(ERR_REASON_NODE_CONFLICT);
    }
    if (vols.delayed.length === 0) return undefined;
    const taken = new Set<string>();
    const matched = new Map<string, PersistentVolume>();
    const available = this.#listers.volumes();
    for (const { claim, cls } of vols.delayed) {
      const pv = available.filter((v) => !taken.has(v.metadata!.name!) && volumeFits(v, claim, nodeInfo.node))
        .sort((a, b) => storage(a.spec?.capacity?.['storage']) - storage(b.spec?.capacity?.['storage']))[0];
      if (pv) {
        taken.add(pv.metadata!.name!);
        matched.set(claim.metadata!.name!, pv);
      } else if (!cls || cls.provisioner === NO_PROVISIONER) {
        return unresolvable(ERR_REASON_BIND_CONFLICT);
      }
    }
    vols.matches.set(nodeInfo.name, matched);
    return undefined;
  }

  async preBind(state: CycleState, _pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined> {
    if (!state.has(STATE_KEY)) return undefined;
    const vols = state.read<PodVolumes>(STATE_KEY);
    const matched = vols.matches.get(nodeName);
    for (const { claim } of vols.delayed) {
      const pv = matched?.get(claim.metadata!.name!);
      if (pv) {
        // Pre-bind the chosen volume (with its resourceVersion: a volume taken meanwhile fails the binding).
        const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid };
        try {
          await this.#client.resource<PersistentVolume>('persistentvolumes').update({ ...pv, spec: { ...pv.spec, claimRef } }, { signal });
        } catch (err) {
          return errorStatus(err);
        }
        continue;
      }
      if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) continue;
      try {
        await this.#client.resource<PersistentVolumeClaim>('persistentvolumeclaims', claim.metadata!.namespace)
          .patch(claim.metadata!.name!, { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: nodeName } } }, 'merge', { signal });
        this.#log.debug({ claim: objectKey(claim), node: nodeName }, 'selected node for claim');
      } catch (err) {
        return errorStatus(err);
      }
    }
    return undefined;
  }
}
