/**
 * NodeRestriction admission (upstream's plugin/pkg/admission/noderestriction), with upstream's messages: a
 * node (`system:node:<name>` in `system:nodes`) may write only its own Node (never its taints, nor labels
 * under node-restriction.kubernetes.io/ or kubernetes.io/ and k8s.io/ beyond the kubelet's own), create only
 * mirror pods bound to itself and owned by its Node, delete and evict only pods bound to itself, write
 * `pods/status` only of those (without touching labels), only its own Lease in kube-node-lease, and of
 * a claim only its status capacity and conditions. Requests from anyone else pass untouched.
 */
import type { KubeObject, Node, Pod } from '../../api/index.ts';
import { isDeepStrictEqual } from 'node:util';
import { forbidden, notFound } from '../status.ts';
import { nodeIdentity } from '../authz/node.ts';
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from './chain.ts';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_RESTRICTION_LABEL_NAMESPACE = 'node-restriction.kubernetes.io';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** k8s.io/kubelet/pkg/apis: the labels a kubelet may set on its Node. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'kubernetes.io/os',
  'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((n) => ns === n || ns.endsWith(`.${n}`));
}

function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
}

/** The keys that differ between two label maps. */
export function modifiedLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a ?? {})) if (b?.[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b ?? {})) if (a?.[k] !== v) out.add(k);
  return out;
}

/** getForbiddenLabels: node-restriction labels, and kubernetes.io / k8s.io labels that are not the kubelet's. */
export function forbiddenLabels(modified: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const key of modified) {
    const ns = labelNamespace(key);
    if (ns === NODE_RESTRICTION_LABEL_NAMESPACE || ns.endsWith(`.${NODE_RESTRICTION_LABEL_NAMESPACE}`)) out.add(key);
    if (isKubernetesLabel(key) && !isKubeletLabel(key)) out.add(key);
  }
  return [...out].sort();
}

/** Whether a pod names a secret (VisitPodSecretNames) or a configmap (VisitPodConfigmapNames) anywhere. */
function podReferencesKind(pod: Pod, kind: 'secret' | 'configmap'): boolean {
  const spec = pod.spec;
  if (!spec) return false;
  if (kind === 'secret' && spec.imagePullSecrets?.some((s) => s.name)) return true;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...((spec.ephemeralContainers ?? []) as typeof spec.containers)];
  for (const c of containers) {
    for (const e of c.env ?? []) if (kind === 'secret' ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef) return true;
    for (const e of c.envFrom ?? []) if (kind === 'secret' ? e.secretRef : e.configMapRef) return true;
  }
  for (const v of spec.volumes ?? []) {
    if (kind === 'secret' ? v.secret : v.configMap) return true;
    if (v.projected?.sources?.some((s) => (kind === 'secret' ? s.secret : s.configMap))) return true;
    if (kind === 'secret' && (v.cephfs?.secretRef || v.cinder?.secretRef || v.flexVolume?.secretRef || v.iscsi?.secretRef || v.rbd?.secretRef ||
      v.scaleIO?.secretRef || v.storageos?.secretRef || v.csi?.nodePublishSecretRef || v.azureFile)) return true;
  }
  return false;
}

export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';
  readonly #lookup: AdmissionLookup;

  constructor(lookup: AdmissionLookup) {
    this.#lookup = lookup;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const { isNode, nodeName } = nodeIdentity({ name: a.user, groups: a.groups ?? [] });
    if (!isNode) return;
    const refuse = (why: string) => forbidden({ group: a.resource.group, resource: a.resource.plural }, a.name, why);
    if (!nodeName) throw refuse(`could not determine node from user ${JSON.stringify(a.user)}`);
    const gr = `${a.resource.group}/${a.resource.plural}`;
    switch (gr) {
      case '/pods':
        if (a.subresource === '') return this.#pod(nodeName, a, refuse);
        if (a.subresource === 'status') return this.#podStatus(nodeName, a, refuse);
        // An eviction reaches admission as the delete it makes.
        if (a.subresource === 'eviction') return this.#podEviction(nodeName, a, refuse);
        throw refuse(`unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
      case '/nodes':
        return this.#node(nodeName, a, refuse);
      case '/persistentvolumeclaims':
        if (a.subresource !== 'status') throw refuse('may only update PVC status');
        return this.#pvcStatus(nodeName, a, refuse);
      case 'coordination.k8s.io/leases':
        if (a.namespace !== NODE_LEASE_NAMESPACE) throw refuse(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
        if (a.name !== nodeName) throw refuse('can only access node lease with the same name as the requesting node');
        return;
    }
  }

  async #pod(nodeName: string, a: AdmissionAttributes, refuse: (why: string) => Error): Promise<void> {
    if (a.operation === 'CREATE') return this.#podCreate(nodeName, a.object as unknown as Pod, refuse);
    if (a.operation === 'DELETE') {
      const existing = (await this.#lookup.get('pods', a.namespace, a.name)) as unknown as Pod | undefined;
      if (!existing) throw notFound({ group: '', resource: 'pods' }, a.name);
      if (existing.spec?.nodeName !== nodeName) throw refuse(`node ${JSON.stringify(nodeName)} can only delete pods with spec.nodeName set to itself`);
      return;
    }
    throw refuse(`unexpected operation ${JSON.stringify(a.operation)}, node ${JSON.stringify(nodeName)} can only create and delete mirror pods`);
  }

  async #podCreate(nodeName: string, pod: Pod, refuse: (why: string) => Error): Promise<void> {
    const n = JSON.stringify(nodeName);
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      throw refuse(`pod does not have ${JSON.stringify(MIRROR_POD_ANNOTATION)} annotation, node ${n} can only create mirror pods`);
    }
    if (pod.spec?.nodeName !== nodeName) throw refuse(`node ${n} can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) throw refuse(`node ${n} can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== nodeName) {
      throw refuse(`node ${n} can only create pods with an owner reference set to itself`);
    }
    if (!owner.controller) throw refuse(`node ${n} can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion) throw refuse(`node ${n} must not set blockOwnerDeletion on an owner reference`);
    const node = await this.#lookup.get('nodes', '', nodeName);
    if (!node) throw notFound({ group: '', resource: 'nodes' }, nodeName);
    if (owner.uid !== node.metadata?.uid) throw refuse(`node ${nodeName} UID mismatch: expected ${owner.uid} got ${node.metadata?.uid}`);
    if (pod.spec?.serviceAccountName) throw refuse(`node ${n} can not create pods that reference a service account`);
    if (podReferencesKind(pod, 'secret')) throw refuse(`node ${n} can not create pods that reference secrets`);
    if (podReferencesKind(pod, 'configmap')) throw refuse(`node ${n} can not create pods that reference configmaps`);
    if (pod.spec?.volumes?.some((v) => v.projected?.sources?.some((s) => (s as { clusterTrustBundle?: unknown }).clusterTrustBundle))) {
      throw refuse(`node ${n} can not create pods that reference clustertrustbundles`);
    }
    if (pod.spec?.volumes?.some((v) => v.persistentVolumeClaim)) throw refuse(`node ${n} can not create pods that reference persistentvolumeclaims`);
  }

  async #podEviction(nodeName: string, a: AdmissionAttributes, refuse: (why: string) => Error): Promise<void> {
    if (a.operation !== 'DELETE' && a.operation !== 'CREATE') throw refuse(`unexpected operation ${a.operation}`);
    const existing = (await this.#lookup.get('pods', a.namespace, a.name)) as unknown as Pod | undefined;
    if (!existing) throw notFound({ group: '', resource: 'pods' }, a.name);
    if (existing.spec?.nodeName !== nodeName) throw refuse(`node ${nodeName} can only evict pods with spec.nodeName set to itself`);
  }

  #podStatus(nodeName: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}`);
    const old = a.oldObject as unknown as Pod;
    const pod = a.object as unknown as Pod;
    if (old.spec?.nodeName !== nodeName) throw refuse(`node ${JSON.stringify(nodeName)} can only update pod status for pods with spec.nodeName set to itself`);
    if (!isDeepStrictEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {})) throw refuse(`node ${JSON.stringify(nodeName)} cannot update labels through pod status`);
    const claims = (p: Pod) => (p.status?.resourceClaimStatuses ?? []).map((s) => [s.name, s.resourceClaimName ?? null]);
    if (!isDeepStrictEqual(claims(old), claims(pod))) throw refuse(`node ${JSON.stringify(nodeName)} cannot update resource claim statues`);
  }

  #node(nodeName: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.name !== nodeName) throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to modify node ${JSON.stringify(a.name)}`);
    const node = a.object as unknown as Node | undefined;
    if (a.operation === 'CREATE' && node) {
      if ((node.spec as { configSource?: unknown } | undefined)?.configSource) {
        throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to create pods with a non-nil configSource`);
      }
      const bad = forbiddenLabels(modifiedLabels(node.metadata?.labels, undefined));
      if (bad.length) throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to set the following labels: ${bad.join(', ')}`);
    }
    if (a.operation === 'UPDATE' && node) {
      const old = a.oldObject as unknown as Node;
      const source = (node.spec as { configSource?: unknown } | undefined)?.configSource;
      if (source && !isDeepStrictEqual(source, (old.spec as { configSource?: unknown } | undefined)?.configSource)) {
        throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to update configSource to a new non-nil configSource`);
      }
      if (!isDeepStrictEqual(node.spec?.taints ?? [], old.spec?.taints ?? [])) throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to modify taints`);
      const bad = forbiddenLabels(modifiedLabels(node.metadata?.labels, old.metadata?.labels));
      if (bad.length) throw refuse(`is not allowed to modify labels: ${bad.join(', ')}`);
    }
  }

  #pvcStatus(nodeName: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}`);
    const strip = (o: KubeObject | undefined) => {
      const c = structuredClone(o ?? {}) as KubeObject & { status?: Record<string, unknown> };
      if (c.metadata) { delete c.metadata.resourceVersion; delete c.metadata.managedFields; }
      if (c.status) { delete c.status.capacity; delete c.status.conditions; }
      return c;
    };
    if (!isDeepStrictEqual(strip(a.object), strip(a.oldObject))) {
      throw refuse(`node ${JSON.stringify(nodeName)} is not allowed to update fields other than status.capacity and status.conditions`);
    }
  }
}

/**
 * admitServiceAccount: a node's TokenRequest must be bound to a pod (by name and uid) that is scheduled on
 * that node. `name` is the service account's; `getPod` reads a pod of the request's namespace.
 */
export async function admitNodeTokenRequest(
  user: { name: string; groups: string[] }, name: string,
  ref: { kind?: string; apiVersion?: string; name?: string; uid?: string } | undefined,
  getPod: (name: string) => Promise<KubeObject | undefined>,
): Promise<void> {
  const { isNode, nodeName } = nodeIdentity(user);
  if (!isNode) return;
  const refuse = (why: string) => forbidden({ group: '', resource: 'serviceaccounts' }, name, why);
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw refuse('node requested token not bound to a pod');
  if (!ref.uid) throw refuse('node requested token with a pod binding without a uid');
  const pod = (await getPod(ref.name)) as unknown as Pod | undefined;
  if (!pod) throw notFound({ group: '', resource: 'pods' }, ref.name);
  if (ref.uid !== pod.metadata?.uid) {
    throw refuse(`the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  if (pod.spec?.nodeName !== nodeName) throw refuse('node requested token bound to a pod scheduled on a different node');
}
