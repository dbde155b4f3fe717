/**
 * The hook other parts of the all-in-one server plug into. A component is an async function that runs until
 * `ctx.signal` aborts and then returns (never throws on a normal stop). It reaches the cluster only through
 * `ctx.client`, a client over loopback HTTPS acting as the component's own identity (../component-identities.ts:
 * upstream's user for the same component, never the admin), so it could run in another process unchanged; a
 * component made of several upstream components (the controller manager, a node) gets a client for each
 * through `ctx.clientAs`. `src/cmd/server.ts` lists the components, one line each.
 */
import type { Client, InProcessReads } from '../../client/index.ts';
import type { User } from '../../apiserver/index.ts';
import type { Logger } from '../../machinery/index.ts';
import type { Registry } from 'prom-client';
import type { ServerOptions, Taint } from '../flags.ts';
import type { ThresholdFlags } from '../../kubelet/eviction/index.ts';

/** The node a kubelet runs: what differs between the server's own node and an agent's. */
export interface NodeConfig {
  name: string;
  /** `server` nodes carry the control-plane role label; `agent` nodes do not. */
  role: 'server' | 'agent';
  /** This node's /24 (spec.podCIDR): the server's is the cluster CIDR's first, an agent's comes from node-ipam. */
  podCidr: string;
  /** Its CNI bridge (bridgeForPodCidr(podCidr)), so nodes and servers on one machine never share one. */
  bridge: string;
  runtime: 'oci' | 'fake';
  labels: Record<string, string>;
  taints: Taint[];
  /** `--pod-manifest-path`: read in addition to DIR/manifests. */
  podManifestPath?: string;
  /** `--private-registry`: the registries.yaml to read instead of DIR/registries.yaml (which may be absent). */
  privateRegistry?: string;
  /** `--protect-kernel-defaults`: the node changes no kernel setting (see runtime/oci/cgroup-tuning.ts). */
  protectKernelDefaults?: boolean;
  /** `--allowed-unsafe-sysctls`: sysctls or `prefix*` patterns pods may set beyond the safe set. */
  allowedUnsafeSysctls?: string[];
  /** The kubelet's `--eviction-*` flags (checked by checkEvictionFlags). */
  eviction?: ThresholdFlags & { pressureTransitionPeriod?: string };
  /** `--image-gc-high-threshold` / `--image-gc-low-threshold`. */
  imageGC?: { highThresholdPercent: number; lowThresholdPercent: number };
  /** `--maximum-dead-containers-per-container`, `--maximum-dead-containers`, `--minimum-container-ttl-duration` (dead-container GC). */
  containerGC?: { maxPerPodContainer: number; maxContainers: number; minAgeMs: number };
  /** `--sandbox-pool-size`: pod sandboxes kept ready for new pods (real containers only; default DEFAULT_SANDBOX_POOL_SIZE). */
  sandboxPoolSize?: number;
  /** `--cluster-dns`: the kube-dns Service's IP, the kubelet's clusterDNS. */
  clusterDns?: string;
  /** `--cluster-domain`: the kubelet's clusterDomain, the zone the node's DNS serves. */
  clusterDomain?: string;
  /** `--service-cidr` (default 10.43.0.0/16): for the node's service proxy and cluster DNS. */
  serviceCidr?: string;
  /** `--node-ip`: the node's InternalIP and its address between hosts (default: the default route's interface's). */
  nodeIp?: string;
  /** The MTU of pods' interfaces: 1450 under the vxlan pod network (room for its 50-byte header, as flannel sets). */
  podMtu?: number;
}

export interface ComponentContext {
  /** Client over loopback acting as this component's identity. */
  client: Client;
  /**
   * A client over loopback acting as `user` (a token the server minted for it at start). With
   * `inProcessReads`, its informers read through the API server of this process (`inProcessReads` below).
   */
  clientAs: (user: User, userAgent: string, options?: { inProcessReads?: boolean }) => Client;
  /**
   * The API server's in-process list and watch as this component's identity (`kubeling server` only): give
   * it to the client of informers (`ClientConfig.inProcess`) to share the server's cached objects.
   */
  inProcessReads?: InProcessReads;
  /** Path of the admin kubeconfig (DIR/kubeconfig.yaml). */
  kubeconfigPath: string;
  /** `https://127.0.0.1:PORT`. */
  server: string;
  /** PEM CA that signed the server's certificate. */
  caPem: string;
  /** Token agents join with (DIR/node-token). */
  nodeToken: string;
  /** Token the API server presents to kubelets; the kubelet accepts it on its HTTPS server. */
  kubeletToken: string;
  dataDir: string;
  /** The parsed command line (node name, labels, taints, runtime, --no-agent, ...). */
  options: ServerOptions;
  /** Called by the node component once the local node is registered and its kubelet serves. */
  onNodeReady?: () => void;
  /** The local node (unless --no-agent). */
  node?: NodeConfig;
  /**
   * The node's kubelet serving certificate for its name and InternalIP: the server signs its own node's with
   * the cluster CA; an agent asks for one through a kubernetes.io/kubelet-serving CertificateSigningRequest.
   */
  kubeletServingCert?: (node: { name: string; ip: string }) => Promise<{ certPem: string; keyPem: string }>;
  /** The local node's own client (system:node:<name>, a client certificate), for its kubelet, proxy and pod network. */
  nodeClient?: Client;
  /** The process's Prometheus registry, served at the API server's /metrics (the scheduler and controllers add theirs). */
  metrics?: Registry;
  logger: Logger;
  signal: AbortSignal;
}

export interface Component {
  readonly name: string;
  run(ctx: ComponentContext): Promise<void>;
}
