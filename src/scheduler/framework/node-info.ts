/**
 * `NodeInfo`: what the scheduler knows about one node for a cycle: the Node, the pods on it (bound or
 * assumed), the sum of their requests, and the host ports they use. Filters and scores read it; only the
 * scheduler cache changes it (`addPod`/`removePod`), between cycles or when a pod is assumed.
 */
import { podRequests, tryParseQuantity, type Node, type Pod } from '../../api/index.ts';

/** Resources in the units the scheduler compares: millicores for cpu, bytes, counts. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and hugepages resources by name, in their integer value. */
  scalar: Record<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} };
}

/** Defaults the scheduler's scoring charges containers that request nothing (schedutil.DefaultMilliCPURequest/DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function toResource(list: Record<string, { milliValue(): number; value(): number }>): Resource {
  const r = emptyResource();
  for (const [name, q] of Object.entries(list)) {
    if (name === 'cpu') r.milliCPU = q.milliValue();
    else if (name === 'memory') r.memory = q.value();
    else if (name === 'ephemeral-storage') r.ephemeralStorage = q.value();
    else if (name !== 'pods') r.scalar[name] = q.value();
  }
  return r;
}

/**
 * Requests by pod object, parsed once (upstream keeps them in its PodInfo): a pod's requests are read by its
 * own cycle's PreFilters and again when it is charged to a node, and quantity parsing is not cheap. Objects
 * from the informer are never changed in place (an update is a new object), so the pod is the key.
 */
const requestsOf = new WeakMap<Pod, { request: Resource; nonZero: { milliCPU: number; memory: number } }>();

function requests(pod: Pod): { request: Resource; nonZero: { milliCPU: number; memory: number } } {
  let r = requestsOf.get(pod);
  if (!r) {
    const request = toResource(podRequests(pod));
    // Every container asks for cpu and memory (the usual case): the scoring defaults change nothing.
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    const complete = all.every((c) => c.resources?.requests?.cpu !== undefined && c.resources?.requests?.memory !== undefined);
    const nonZero = complete
      ? request
      : toResource(podRequests(pod, { nonMissingContainerRequests: { cpu: `${DEFAULT_MILLI_CPU_REQUEST}m`, memory: DEFAULT_MEMORY_REQUEST } }));
    r = { request, nonZero: { milliCPU: nonZero.milliCPU, memory: nonZero.memory } };
    requestsOf.set(pod, r);
  }
  return r;
}

/**
 * Lets `copy`, the same pod under another object (the scheduler cache's assumed pod, with its nodeName set),
 * use the requests already parsed for `pod` rather than parse them again.
 */
export function shareParsedRequests(pod: Pod, copy: Pod): void {
  const r = requestsOf.get(pod);
  if (r) requestsOf.set(copy, r);
}

/** The pod's effective requests (containers, init containers, sidecars, overhead: api's podRequests). Shared: do not change it. */
export function podResourceRequest(pod: Pod): Resource {
  return requests(pod).request;
}

/** Requests with the scoring defaults for containers that request no cpu or memory (for least-allocated). Shared: do not change it. */
export function podNonZeroRequest(pod: Pod): { milliCPU: number; memory: number } {
  return requests(pod).nonZero;
}

/** One host port a pod uses: `hostIP` is `0.0.0.0` when unset, protocol `TCP` when unset. */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

/** Two host ports conflict on the same protocol and port when either binds all addresses or both the same one. */
export function hostPortsConflict(a: HostPort, b: HostPort): boolean {
  if (a.protocol !== b.protocol || a.port !== b.port) return false;
  return a.ip === '0.0.0.0' || b.ip === '0.0.0.0' || a.ip === b.ip;
}

interface PodEntry {
  pod: Pod;
  request: Resource;
  nonZero: { milliCPU: number; memory: number };
  ports: HostPort[];
}

/** Whether a pod carries pod affinity or anti-affinity terms (required or preferred). */
export function hasPodAffinityTerms(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

/** Whether a pod carries required anti-affinity terms (the ones that keep other pods away). */
export function hasRequiredAntiAffinityTerms(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

export class NodeInfo {
  #node: Node;
  #name: string;
  readonly #pods = new Map<string, PodEntry>();
  /** The pods with pod (anti-)affinity terms (upstream's PodsWithAffinity): the only ones whose terms a pod without terms of its own must be checked against. */
  readonly #withAffinity = new Map<string, Pod>();
  /** Of those, the pods with required anti-affinity terms (upstream's PodsWithRequiredAntiAffinity). */
  readonly #withRequiredAntiAffinity = new Map<string, Pod>();
  /** `pods`, kept until the next change: filters ask for it for every node in every cycle. */
  #podList: readonly Pod[] | undefined;
  /** How many pods on this node use host ports: most nodes have none, and then there is nothing to gather. */
  #podsWithPorts = 0;
  requested: Resource = emptyResource();
  nonZeroRequested = { milliCPU: 0, memory: 0 };
  usedPorts: HostPort[] = [];

  constructor(node: Node) {
    this.#node = node;
    this.#name = node.metadata?.name ?? '';
  }

  get node(): Node {
    return this.#node;
  }

  set node(node: Node) {
    this.#node = node;
    this.#name = node.metadata?.name ?? '';
  }

  /** Kept apart from the Node: every cycle asks for it on every node, and the cached Node is frozen. */
  get name(): string {
    return this.#name;
  }

  /** The node's allocatable resources (falling back to capacity, as nodes without allocatable report). */
  #allocatableOf: Node | undefined;
  #allocatable: (Resource & { pods: number }) | undefined;

  get allocatable(): Resource & { pods: number } {
    // Parsed once per Node object: filters ask for it for every pod on every node.
    if (this.#allocatableOf === this.node && this.#allocatable) return this.#allocatable;
    const list = this.node.status?.allocatable ?? this.node.status?.capacity ?? {};
    const quantities: Record<string, { milliValue(): number; value(): number }> = {};
    for (const [k, v] of Object.entries(list)) {
      const q = tryParseQuantity(v);
      if (q) quantities[k] = q;
    }
    const pods = quantities.pods ? quantities.pods.value() : 0;
    this.#allocatableOf = this.node;
    this.#allocatable = { ...toResource(quantities), pods };
    return this.#allocatable;
  }

  get pods(): readonly Pod[] {
    this.#podList ??= [...this.#pods.values()].map((e) => e.pod);
    return this.#podList;
  }

  get podsWithAffinity(): Iterable<Pod> {
    return this.#withAffinity.values();
  }

  get podsWithRequiredAntiAffinity(): Iterable<Pod> {
    return this.#withRequiredAntiAffinity.values();
  }

  /** Whether any pod here has pod (anti-)affinity terms: the snapshot lists nodes by it. */
  get hasPodsWithAffinity(): boolean {
    return this.#withAffinity.size > 0;
  }

  get hasPodsWithRequiredAntiAffinity(): boolean {
    return this.#withRequiredAntiAffinity.size > 0;
  }

  /** Image name → size in bytes, from `node.status.images`, made once per Node object (ImageLocality scores every node). */
  #imagesOf: Node | undefined;
  #imageSizes: ReadonlyMap<string, number> | undefined;

  get imageSizes(): ReadonlyMap<string, number> {
    if (this.#imagesOf === this.node && this.#imageSizes) return this.#imageSizes;
    const sizes = new Map<string, number>();
    for (const img of this.node.status?.images ?? []) for (const name of img.names ?? []) sizes.set(name, img.sizeBytes ?? 0);
    this.#imagesOf = this.node;
    this.#imageSizes = sizes;
    return sizes;
  }

  get podCount(): number {
    return this.#pods.size;
  }

  hasPod(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** A copy that can be changed without touching this one (preemption's what-ifs, nominated pods). */
  clone(): NodeInfo {
    // Copied field by field: preemption and nominated pods clone nodes in every cycle, and adding each pod
    // again (or parsing the allocatable again) would cost far more.
    const c = new NodeInfo(this.node);
    for (const [uid, e] of this.#pods) c.#pods.set(uid, e);
    for (const [uid, p] of this.#withAffinity) c.#withAffinity.set(uid, p);
    for (const [uid, p] of this.#withRequiredAntiAffinity) c.#withRequiredAntiAffinity.set(uid, p);
    c.#podList = this.#podList;
    c.#podsWithPorts = this.#podsWithPorts;
    c.requested = { ...this.requested, scalar: { ...this.requested.scalar } };
    c.nonZeroRequested = { ...this.nonZeroRequested };
    c.usedPorts = this.usedPorts;
    c.#allocatableOf = this.#allocatableOf;
    c.#allocatable = this.#allocatable;
    c.#imagesOf = this.#imagesOf;
    c.#imageSizes = this.#imageSizes;
    return c;
  }

  /** Charges the node with a pod (bound or assumed); adding a pod already there replaces it. */
  addPod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (this.#pods.has(uid)) this.removePod(pod);
    const { request, nonZero } = requests(pod);
    const entry: PodEntry = { pod, request, nonZero, ports: podHostPorts(pod) };
    this.#pods.set(uid, entry);
    if (hasPodAffinityTerms(pod)) this.#withAffinity.set(uid, pod);
    if (hasRequiredAntiAffinityTerms(pod)) this.#withRequiredAntiAffinity.set(uid, pod);
    this.#podList = undefined;
    this.#charge(entry, 1);
  }

  removePod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const entry = this.#pods.get(uid);
    if (!entry) return;
    this.#pods.delete(uid);
    this.#withAffinity.delete(uid);
    this.#withRequiredAntiAffinity.delete(uid);
    this.#podList = undefined;
    this.#charge(entry, -1);
  }

  #charge(e: PodEntry, sign: 1 | -1): void {
    const r = this.requested;
    r.milliCPU += sign * e.request.milliCPU;
    r.memory += sign * e.request.memory;
    r.ephemeralStorage += sign * e.request.ephemeralStorage;
    for (const [k, v] of Object.entries(e.request.scalar)) r.scalar[k] = (r.scalar[k] ?? 0) + sign * v;
    this.nonZeroRequested.milliCPU += sign * e.nonZero.milliCPU;
    this.nonZeroRequested.memory += sign * e.nonZero.memory;
    if (e.ports.length === 0) return;
    this.#podsWithPorts += sign;
    this.usedPorts = this.#podsWithPorts === 0 ? [] : [...this.#pods.values()].flatMap((p) => p.ports);
  }
}
