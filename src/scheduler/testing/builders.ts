/**
 * Builders for scheduler tests, after kube-scheduler's `st.MakePod()` / `st.MakeNode()`:
 * `makePod().name('a').req({ cpu: '500m' }).obj()`, `makeNode().name('n1').capacity({ cpu: '2', pods: 110 }).obj()`.
 */
import type { Container, Node, NodeSelectorTerm, Pod, Taint, Toleration } from '../../api/index.ts';

let uidSeq = 0;

export class PodBuilder {
  #pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pod', namespace: 'default', uid: `pod-uid-${++uidSeq}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], schedulerName: 'default-scheduler' },
    status: { phase: 'Pending' },
  };

  name(n: string): this {
    this.#pod.metadata!.name = n;
    return this;
  }
  namespace(ns: string): this {
    this.#pod.metadata!.namespace = ns;
    return this;
  }
  uid(uid: string): this {
    this.#pod.metadata!.uid = uid;
    return this;
  }
  node(n: string): this {
    this.#pod.spec!.nodeName = n;
    return this;
  }
  priority(p: number): this {
    this.#pod.spec!.priority = p;
    return this;
  }
  created(ts: string): this {
    this.#pod.metadata!.creationTimestamp = ts;
    return this;
  }
  labels(l: Record<string, string>): this {
    this.#pod.metadata!.labels = { ...this.#pod.metadata!.labels, ...l };
    return this;
  }
  nodeSelector(sel: Record<string, string>): this {
    this.#pod.spec!.nodeSelector = sel;
    return this;
  }
  /** Required node affinity: the terms are ORed. */
  nodeAffinityRequired(...terms: NodeSelectorTerm[]): this {
    const spec = this.#pod.spec!;
    spec.affinity = { ...spec.affinity, nodeAffinity: { ...spec.affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
    return this;
  }
  nodeAffinityPreferred(weight: number, term: NodeSelectorTerm): this {
    const spec = this.#pod.spec!;
    const na = spec.affinity?.nodeAffinity ?? {};
    spec.affinity = {
      ...spec.affinity,
      nodeAffinity: { ...na, preferredDuringSchedulingIgnoredDuringExecution: [...(na.preferredDuringSchedulingIgnoredDuringExecution ?? []), { weight, preference: term }] },
    };
    return this;
  }
  /** Required pod affinity (`anti` for anti-affinity) to pods with these labels, per `topologyKey`. */
  podAffinity(labels: Record<string, string>, topologyKey: string, opts: { anti?: boolean; namespaces?: string[] } = {}): this {
    const spec = this.#pod.spec!;
    const term = { labelSelector: { matchLabels: labels }, topologyKey, ...(opts.namespaces ? { namespaces: opts.namespaces } : {}) };
    const kind = opts.anti ? 'podAntiAffinity' : 'podAffinity';
    const cur = spec.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    spec.affinity = { ...spec.affinity, [kind]: { ...spec.affinity?.[kind], requiredDuringSchedulingIgnoredDuringExecution: [...cur, term] } };
    return this;
  }
  /** A DoNotSchedule topology spread constraint over pods with these labels. */
  spread(maxSkew: number, topologyKey: string, labels: Record<string, string>, minDomains?: number): this {
    const c = { maxSkew, topologyKey, whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: labels }, ...(minDomains ? { minDomains } : {}) };
    this.#pod.spec!.topologySpreadConstraints = [...(this.#pod.spec!.topologySpreadConstraints ?? []), c];
    return this;
  }
  toleration(t: Toleration): this {
    this.#pod.spec!.tolerations = [...(this.#pod.spec!.tolerations ?? []), t];
    return this;
  }
  /** Adds a container with these requests. */
  req(requests: Record<string, string>, name = `c${this.#pod.spec!.containers.length}`): this {
    const c: Container = { name, image: 'busybox', resources: { requests } };
    this.#pod.spec!.containers = this.#pod.spec!.containers[0]?.resources ? [...this.#pod.spec!.containers, c] : [c];
    return this;
  }
  initReq(requests: Record<string, string>, opts: { sidecar?: boolean } = {}): this {
    const c: Container = { name: `init${this.#pod.spec!.initContainers?.length ?? 0}`, image: 'busybox', resources: { requests } };
    if (opts.sidecar) c.restartPolicy = 'Always';
    this.#pod.spec!.initContainers = [...(this.#pod.spec!.initContainers ?? []), c];
    return this;
  }
  overhead(o: Record<string, string>): this {
    this.#pod.spec!.overhead = o;
    return this;
  }
  hostPort(port: number, protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP', hostIP?: string): this {
    const c = this.#pod.spec!.containers[0]!;
    c.ports = [...(c.ports ?? []), { containerPort: port, hostPort: port, protocol, ...(hostIP ? { hostIP } : {}) }];
    return this;
  }
  schedulerName(n: string): this {
    this.#pod.spec!.schedulerName = n;
    return this;
  }
  preemptionPolicy(p: 'Never' | 'PreemptLowerPriority'): this {
    this.#pod.spec!.preemptionPolicy = p;
    return this;
  }
  phase(p: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'): this {
    this.#pod.status = { ...this.#pod.status, phase: p };
    return this;
  }
  obj(): Pod {
    return structuredClone(this.#pod);
  }
}

export class NodeBuilder {
  #node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node', uid: `node-uid-${++uidSeq}`, labels: {} },
    spec: {},
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
  };

  name(n: string): this {
    this.#node.metadata!.name = n;
    this.#node.metadata!.labels = { ...this.#node.metadata!.labels, 'kubernetes.io/hostname': n };
    return this;
  }
  labels(l: Record<string, string>): this {
    this.#node.metadata!.labels = { ...this.#node.metadata!.labels, ...l };
    return this;
  }
  taint(t: Taint): this {
    this.#node.spec!.taints = [...(this.#node.spec!.taints ?? []), t];
    return this;
  }
  unschedulable(u = true): this {
    this.#node.spec!.unschedulable = u;
    return this;
  }
  /** Sets both capacity and allocatable. */
  capacity(c: Record<string, string | number>): this {
    const list = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)]));
    this.#node.status = { ...this.#node.status, capacity: list, allocatable: list };
    return this;
  }
  obj(): Node {
    return structuredClone(this.#node);
  }
}

export const makePod = (): PodBuilder => new PodBuilder();
export const makeNode = (): NodeBuilder => new NodeBuilder();
