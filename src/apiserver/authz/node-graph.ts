/**
 * The Node authorizer's graph (upstream's plugin/pkg/auth/authorizer/node/graph.go), kept as indexes: which
 * node each pod is bound to, and what each pod references (secrets, configmaps, persistent volume claims,
 * its service account, resource claims), counted per node, plus which volume each claim is bound to. The API
 * server feeds it every pod and claim event from its watch caches, so a question ("does node n reach secret
 * ns/s?") is a map lookup, never a scan.
 *
 *   node ◀─ pod ◀─ secret | configmap | serviceaccount | resourceclaim
 *               ◀─ pvc ◀─ pv
 */
import type { KubeObject, Pod, Volume } from '../../api/index.ts';

export type VertexType = 'secret' | 'configmap' | 'pvc' | 'pv' | 'serviceaccount' | 'resourceclaim';

/** What a pod points at, as `type/namespace/name` keys. */
export function podReferences(pod: Pod): Set<string> {
  const ns = pod.metadata?.namespace ?? '';
  const refs = new Set<string>();
  const add = (type: VertexType, name: string | undefined) => { if (name) refs.add(`${type}/${ns}/${name}`); };
  const spec = pod.spec;
  if (!spec) return refs;
  add('serviceaccount', spec.serviceAccountName || 'default');
  for (const s of spec.imagePullSecrets ?? []) add('secret', s.name);
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...((spec.ephemeralContainers ?? []) as typeof spec.containers)];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      add('secret', e.valueFrom?.secretKeyRef?.name);
      add('configmap', e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('secret', e.secretRef?.name);
      add('configmap', e.configMapRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) addVolume(v, pod.metadata?.name ?? '', add);
  for (const rc of spec.resourceClaims ?? []) add('resourceclaim', rc.resourceClaimName);
  for (const s of pod.status?.resourceClaimStatuses ?? []) add('resourceclaim', s.resourceClaimName);
  return refs;
}

function addVolume(v: Volume, podName: string, add: (type: VertexType, name: string | undefined) => void): void {
  add('secret', v.secret?.secretName);
  add('configmap', v.configMap?.name);
  add('pvc', v.persistentVolumeClaim?.claimName);
  // A generic ephemeral volume's claim is named after the pod: `<pod>-<volume>`.
  if (v.ephemeral) add('pvc', `${podName}-${v.name}`);
  for (const src of v.projected?.sources ?? []) {
    add('secret', src.secret?.name);
    add('configmap', src.configMap?.name);
  }
  for (const ref of [v.cephfs?.secretRef, v.cinder?.secretRef, v.flexVolume?.secretRef, v.iscsi?.secretRef, v.rbd?.secretRef, v.scaleIO?.secretRef, v.storageos?.secretRef, v.csi?.nodePublishSecretRef]) {
    add('secret', ref?.name);
  }
  if (v.azureFile) add('secret', v.azureFile.secretName);
}

export class NodeGraph {
  /** pod key (ns/name) → its node and references. */
  readonly #pods = new Map<string, { node: string; refs: Set<string> }>();
  /** `type/ns/name` → node → how many of that node's pods reference it. */
  readonly #edges = new Map<string, Map<string, number>>();
  /** pv name → claims (ns/name) bound to it. */
  readonly #pvClaims = new Map<string, Set<string>>();
  readonly #claimVolume = new Map<string, string>();

  /** A pod was added, changed or deleted (`pod` undefined). Pods not bound to a node are not in the graph. */
  setPod(key: string, pod: Pod | undefined): void {
    const before = this.#pods.get(key);
    if (before) {
      for (const r of before.refs) this.#count(r, before.node, -1);
      this.#pods.delete(key);
    }
    const node = pod?.spec?.nodeName;
    if (!pod || !node) return;
    const refs = podReferences(pod);
    this.#pods.set(key, { node, refs });
    for (const r of refs) this.#count(r, node, 1);
  }

  /** A claim was added, changed or deleted: its bound volume (spec.volumeName). */
  setClaim(key: string, volumeName: string | undefined): void {
    const before = this.#claimVolume.get(key);
    if (before) {
      this.#pvClaims.get(before)?.delete(key);
      if (this.#pvClaims.get(before)?.size === 0) this.#pvClaims.delete(before);
      this.#claimVolume.delete(key);
    }
    if (!volumeName) return;
    this.#claimVolume.set(key, volumeName);
    let claims = this.#pvClaims.get(volumeName);
    if (!claims) this.#pvClaims.set(volumeName, (claims = new Set()));
    claims.add(key);
  }

  #count(ref: string, node: string, delta: number): void {
    let byNode = this.#edges.get(ref);
    if (!byNode) this.#edges.set(ref, (byNode = new Map()));
    const n = (byNode.get(node) ?? 0) + delta;
    if (n > 0) byNode.set(node, n);
    else byNode.delete(node);
    if (byNode.size === 0) this.#edges.delete(ref);
  }

  /** Whether an object of `type` reaches node `node` through one of the node's pods. */
  hasPath(node: string, type: VertexType, namespace: string, name: string): boolean {
    if (type === 'pv') {
      for (const claim of this.#pvClaims.get(name) ?? []) {
        const [ns, n] = claim.split('/') as [string, string];
        if (this.hasPath(node, 'pvc', ns, n)) return true;
      }
      return false;
    }
    return (this.#edges.get(`${type}/${namespace}/${name}`)?.get(node) ?? 0) > 0;
  }

  /** Forgets every pod (their cache restarted and sends them all again). */
  clearPods(): void {
    this.#pods.clear();
    this.#edges.clear();
  }

  /** Forgets every claim (their cache restarted). */
  clearClaims(): void {
    this.#pvClaims.clear();
    this.#claimVolume.clear();
  }

  /** Feeds a pod watch-cache event. */
  onPodEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    this.setPod(key, type === 'DELETED' ? undefined : (obj as unknown as Pod));
  }

  /** Feeds a persistent volume claim watch-cache event. */
  onClaimEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    this.setClaim(key, type === 'DELETED' ? undefined : (obj.spec as { volumeName?: string } | undefined)?.volumeName);
  }
}
