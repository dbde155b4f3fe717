/**
 * Command-line parsing for `kubeling server` and `kubeling agent`: `--flag value` or `--flag=value`, booleans as
 * bare flags (or `=true|false`). One loop (parseFlagArgs) reads both commands' arguments; the node flags both take
 * (NODE_FLAGS: --node-name, --node-labels, --service-cidr, --cluster-dns, --node-ip, ...) are checked once here,
 * and each command adds its own. Every problem is a `UsageError` whose message is the one line the binary prints
 * before exiting with 2.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { defaultClusterDns } from '../dns/kube-dns.ts';
import { CLUSTER_CIDR, validateClusterCidr } from './join.ts';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, SERVICE_ACCOUNT_ISSUER, parsePortRange, parseServiceCidr } from '../apiserver/index.ts';
import { BACKENDS, type Backend } from '../network/index.ts';
import { SysctlAllowlist, SysctlAllowlistError } from '../kubelet/admission/index.ts';
import { ThresholdError, parseDurationMs, parseThresholds, type ThresholdFlags } from '../kubelet/eviction/index.ts';
import type { LogFormat } from '../machinery/index.ts';

/** k3s's default `--service-cidr`, whose `.10` is the default `--cluster-dns`. */
export { DEFAULT_SERVICE_CIDR };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

/** `--authorization-mode A,B`: known modes, each once (upstream's validation and messages). */
export function parseAuthorizationModes(value: string): AuthorizationMode[] {
  const modes = value.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (modes.length === 0) throw new UsageError('--authorization-mode: at least one authorization-mode must be passed');
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new UsageError(`--authorization-mode: authorization-mode ${JSON.stringify(m)} is not a valid mode (valid: ${AUTHORIZATION_MODES.join(', ')})`);
  }
  const dup = modes.find((m, i) => modes.indexOf(m) !== i);
  if (dup) throw new UsageError(`--authorization-mode: authorization-mode ${JSON.stringify(dup)} has mentioned multiple times`);
  return modes as AuthorizationMode[];
}

export interface ServerOptions {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  /** `sqlite`, `memory` or `etcd://HOST:PORT[,HOST:PORT]` (storage's openStore decides what it supports). */
  storage: string;
  runtime: 'oci' | 'fake';
  noAgent: boolean;
  /** `--dashboard` (default on): the web dashboard at /dashboard/ on the API address; `--dashboard=false` turns it off. */
  dashboard: boolean;
  nodeName: string;
  nodeLabels: Record<string, string>;
  /** Taints the local node registers with (--register-with-taints and --node-taint, as in k3s). */
  nodeTaints: Taint[];
  /** Components not to run, by name (`scheduler`, `controller-manager`, `local-storage`), from k3s's --disable-* and --disable flags. */
  disabledComponents: string[];
  /** `--cluster-cidr`: the range node-ipam cuts nodes' /24s from; the server's own node takes the first. */
  clusterCidr: string;
  /** `--pod-manifest-path`: a static pod directory read in addition to DIR/manifests (the kubelet's flag). */
  podManifestPath?: string;
  /** `--private-registry` (k3s's flag): the node's registries.yaml (default DIR/registries.yaml, if present). */
  privateRegistry?: string;
  /** `--tls-san`: extra names (DNS or IP) for the serving certificate, as in k3s. */
  tlsSans: string[];
  /** `--protect-kernel-defaults` (the kubelet's flag): the node leaves the host's kernel settings alone. */
  protectKernelDefaults: boolean;
  /** `--allowed-unsafe-sysctls` (the kubelet's flag): sysctls or `prefix*` patterns pods may set beyond the safe set. */
  allowedUnsafeSysctls: string[];
  /** The kubelet's `--eviction-*` flags (NODE_FLAGS). */
  eviction?: ThresholdFlags & { pressureTransitionPeriod?: string };
  /** `--image-gc-high-threshold` / `--image-gc-low-threshold` (percent of the image filesystem; default 85 / 80). */
  imageGC?: { highThresholdPercent: number; lowThresholdPercent: number };
  /** `--maximum-dead-containers-per-container`, `--maximum-dead-containers`, `--minimum-container-ttl-duration` (dead-container GC). */
  containerGC?: { maxPerPodContainer: number; maxContainers: number; minAgeMs: number };
  /** `--sandbox-pool-size N`: pod sandboxes the node keeps ready for new pods (default 2 on real containers; 0 keeps none). */
  sandboxPoolSize?: number;
  /** `--max-endpoints-per-slice` (kube-controller-manager's flag, 1-1000, default 100). */
  maxEndpointsPerSlice: number;
  /** `--cluster-dns`: the kube-dns Service's ClusterIP (default: the `.10` of the service CIDR). */
  clusterDns: string;
  /** `--cluster-domain`: the cluster's DNS domain (default `cluster.local`). */
  clusterDomain: string;
  /** `--service-cidr`: Services' cluster IPs (default 10.43.0.0/16; `kubernetes` at the first, DNS at `.10`). */
  serviceCidr: string;
  /** `--service-node-port-range`: NodePorts (default 30000-32767). */
  serviceNodePortRange: string;
  /**
   * `--leader-elect`: the scheduler and the controller manager act only while this server holds their Lease.
   * Default true with etcd storage (upstream's default; several servers may share it), false otherwise.
   */
  leaderElect: boolean;
  /** `--authorization-mode` (default Node,RBAC): the authorizers asked in order; AlwaysAllow allows everything. */
  authorizationModes: AuthorizationMode[];
  /** `--token` (or the contents of `--token-file`): the node token; with etcd, the key to the shared identity. */
  token?: string;
  /** `--token-file`: read at start (see runServer). */
  tokenFile?: string;
  /** `--encryption-provider-config`: an EncryptionConfiguration file; secrets (or what it names) encrypted at rest. */
  encryptionProviderConfig?: string;
  /** `--pod-network host-gw|vxlan` (default vxlan): how pods reach pods on other nodes (k3s's --flannel-backend). */
  podNetwork: Backend;
  /** `--node-ip`: the node's InternalIP and address between hosts (default: the default route's interface's). */
  nodeIp?: string;
  /** `--log-format text|json` (default: text when stderr is a terminal, JSON otherwise). */
  logFormat?: LogFormat;
  /** `--node-monitor-grace-period` (kube-controller-manager's, default 40s): silence before a node turns Unknown. */
  nodeMonitorGracePeriodMs: number;
  /**
   * `--kube-api-qps` / `--kube-api-burst` (kube-controller-manager's and kube-scheduler's flags): the client rate
   * limit of each controller and of the scheduler; unset, each keeps its upstream default (controllers 20/30,
   * scheduler 50/100). A large or simulated cluster raises them.
   */
  kubeApiQps?: number;
  kubeApiBurst?: number;
  /**
   * `--scheduler-thread[=false]` (default false): the scheduler runs in a worker thread of its own, not on the
   * API server's loop: several times the pods/s on two cores, for ~45 MiB more memory (a second V8 heap).
   */
  schedulerThread: boolean;
  /** `--node-monitor-period` (default 5s): how often the node lifecycle controller looks at nodes. */
  nodeMonitorPeriodMs: number;
  /** `--node-eviction-rate` (default 0.1): nodes per second tainted NoExecute in a healthy zone. */
  nodeEvictionRate: number;
  /** `--secondary-node-eviction-rate` (default 0.01): the rate in a partially disrupted large zone. */
  secondaryNodeEvictionRate: number;
  /** `--unhealthy-zone-threshold` (default 0.55): the share of not-Ready nodes that disrupts a zone. */
  unhealthyZoneThreshold: number;
  /** `--large-cluster-size-threshold` (default 50): zones up to this size stop tainting when disrupted. */
  largeClusterSizeThreshold: number;
  /** `--default-not-ready-toleration-seconds` (kube-apiserver's, default 300). */
  defaultNotReadyTolerationSeconds: number;
  /** `--default-unreachable-toleration-seconds` (kube-apiserver's, default 300). */
  defaultUnreachableTolerationSeconds: number;
  /** `--terminated-pod-gc-threshold` (default 12500; 0 keeps every terminated pod). */
  terminatedPodGcThreshold: number;
  /** `--horizontal-pod-autoscaler-sync-period` (default 15s): how often each HPA is reconciled. */
  hpaSyncPeriodMs: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` (default 5m0s): the scale-down window without behavior. */
  hpaDownscaleStabilizationMs: number;
  /** `--horizontal-pod-autoscaler-tolerance` (default 0.1): usage ratios this close to 1 change nothing. */
  hpaTolerance: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period` (default 5m0s): CPU samples of starting pods are doubted. */
  hpaCpuInitializationPeriodMs: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay` (default 30s): readiness flaps after start are ignored. */
  hpaInitialReadinessDelayMs: number;
  /** `--max-requests-inflight` (kube-apiserver's, default 400; 0: no limit): reads served at once. */
  maxRequestsInflight: number;
  /** `--max-mutating-requests-inflight` (default 200; 0: no limit): writes served at once. */
  maxMutatingRequestsInflight: number;
  /** `--max-watches-per-user` (ours, default 1000; 0: no limit): open watches of one user. */
  maxWatchesPerUser: number;
  /** `--request-timeout` (kube-apiserver's, default 1m0s): the bound on a request that is not long-running. */
  requestTimeoutMs: number;
  /** `--service-account-issuer` (repeatable): the first issues, all are accepted. */
  serviceAccountIssuers: string[];
  /** `--api-audiences` (default the issuers). */
  apiAudiences: string[];
  /** `--service-account-max-token-expiration` in ms (0: no limit). */
  serviceAccountMaxTokenExpirationMs: number;
  /** `--service-account-jwks-uri` (default https://<advertise address>:<port>/openid/v1/jwks). */
  serviceAccountJwksUri?: string;
  /** `--admission-control-config-file` (kube-apiserver's): PodSecurity's defaults and exemptions. */
  admissionControlConfigFile?: string;
  /** `--disable-admission-plugins` (kube-apiserver's): PodPreset, LimitRanger and ResourceQuota, on by default, can be turned off. */
  disableAdmissionPlugins?: string[];
  /** `--enable-admission-plugins`: every other plugin kubeling has is always on, so only PodPreset matters. */
  enableAdmissionPlugins?: string[];
  /** kube-apiserver's audit flags (see src/cmd/audit.ts); absent when none is given. */
  audit?: AuditOptions;
}

export interface AuditOptions {
  /** `--audit-log-path`: the log file, or `-` for stdout; nothing is logged without it. */
  logPath?: string;
  /** `--audit-policy-file`: the `audit.k8s.io/v1` Policy; nothing is logged without it. */
  policyFile?: string;
  /** `--audit-log-maxage` (days), `--audit-log-maxbackup`, `--audit-log-maxsize` (MB); 0 = upstream's default. */
  maxAge: number;
  maxBackup: number;
  maxSize: number;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

export function parseLabels(text: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(part)} (want key=value[,key=value...])`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export function parseTaints(text: string, flag: string): Taint[] {
  return text.split(',').filter((p) => p !== '').map((part) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(part);
    if (!m || !EFFECTS.has(m[3]!)) {
      throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(part)} (want key[=value]:NoSchedule|PreferNoSchedule|NoExecute)`);
    }
    const t: Taint = { key: m[1]!, effect: m[3] as Taint['effect'] };
    if (m[2] !== undefined && m[2] !== '') t.value = m[2];
    return t;
  });
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`invalid value for --listen: ${JSON.stringify(text)} (want HOST:PORT)`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Checks `--pod-network`. */
export function parsePodNetwork(value: string): Backend {
  if ((BACKENDS as readonly string[]).includes(value)) return value as Backend;
  throw new UsageError(`invalid value for --pod-network: ${JSON.stringify(value)} (want host-gw or vxlan)`);
}

/** Checks `--node-ip`: one IPv4 address (the pod network is IPv4). */
export function parseNodeIp(value: string): string {
  if (isIP(value) === 4) return value;
  throw new UsageError(`invalid value for --node-ip: ${JSON.stringify(value)} (want an IPv4 address)`);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`40s`, `1m30s`, `500ms`, `0`) in milliseconds; `positive` refuses 0. */
export function parseDuration(value: string, flag: string, positive = true): number {
  const bad = () => new UsageError(`invalid value for ${flag}: ${JSON.stringify(value)} (want a duration such as 40s, 1m30s or 500ms${positive ? ', above 0' : ''})`);
  let ms = 0;
  if (value !== '0') {
    const parts = [...value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((m) => m[0]).join('') !== value) throw bad();
    for (const m of parts) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  }
  if (positive && !(ms > 0)) throw bad();
  return ms;
}

/** Checks `--node-name`: a lowercase DNS subdomain (the Node's name). */
export function parseNodeName(value: string): string {
  if (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) && value.length <= 253) return value;
  throw new UsageError(`invalid value for --node-name: ${JSON.stringify(value)} (want a lowercase DNS subdomain)`);
}

/** Checks `--runtime`. */
export function parseRuntime(value: string): 'oci' | 'fake' {
  if (value === 'oci' || value === 'fake') return value;
  throw new UsageError(`invalid value for --runtime: ${JSON.stringify(value)} (want oci or fake)`);
}

/** One command's flags: what each bare flag switches and what each value flag sets. */
export interface FlagSpec<O> {
  bool: Record<string, (o: O, on: boolean) => void>;
  value: Record<string, (o: O, value: string, flag: string) => void>;
  /** Refuse `--flag=` (an empty value) as a missing one, before the flag's own check (the agent's rule). */
  emptyIsMissing?: boolean;
}

/**
 * Reads `argv` into `o` by `spec`: `--flag value` or `--flag=value`; bare flags, or `--flag=true|false`.
 * Anything else (a positional argument, an unknown flag, a value flag at the end) is a UsageError.
 */
export function parseFlagArgs<O>(argv: string[], o: O, spec: FlagSpec<O>): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const setBool = Object.hasOwn(spec.bool, flag) ? spec.bool[flag]! : undefined;
    if (setBool) {
      const v = eq > 0 ? arg.slice(eq + 1) : 'true';
      if (v !== 'true' && v !== 'false') throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(v)} (want true or false)`);
      setBool(o, v === 'true');
      continue;
    }
    const set = Object.hasOwn(spec.value, flag) ? spec.value[flag]! : undefined;
    if (!set) throw new UsageError(`unknown flag ${flag}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (spec.emptyIsMissing && value === '')) throw new UsageError(`flag ${flag} needs a value`);
    set(o, value, flag);
  }
}

/** The node's settings both `kubeling server` and `kubeling agent` take (the kubelet's and k3s's flag names). */
export interface NodeFlagOptions {
  dataDir: string;
  runtime: 'oci' | 'fake';
  nodeName: string;
  nodeLabels: Record<string, string>;
  /** Taints the node registers with (`--register-with-taints`; the server's `--node-taint` too). */
  nodeTaints: Taint[];
  /** `--pod-manifest-path`: static pods read in addition to DIR/manifests. */
  podManifestPath?: string;
  /** `--private-registry FILE` (k3s's flag): registry mirrors and credentials (default DIR/registries.yaml, if present). */
  privateRegistry?: string;
  /** `--protect-kernel-defaults`: the node leaves the host's kernel settings alone. */
  protectKernelDefaults: boolean;
  /** `--allowed-unsafe-sysctls`: sysctls or `prefix*` patterns pods may set beyond the safe set. */
  allowedUnsafeSysctls: string[];
  /**
   * The kubelet's eviction flags: `--eviction-hard`, `--eviction-soft`, `--eviction-soft-grace-period`,
   * `--eviction-minimum-reclaim` (checked together by checkEvictionFlags), `--eviction-pressure-transition-period`.
   */
  eviction?: ThresholdFlags & { pressureTransitionPeriod?: string };
  /** `--image-gc-high-threshold` / `--image-gc-low-threshold` (percent of the image filesystem; default 85 / 80). */
  imageGC?: { highThresholdPercent: number; lowThresholdPercent: number };
  /** `--maximum-dead-containers-per-container`, `--maximum-dead-containers`, `--minimum-container-ttl-duration` (dead-container GC). */
  containerGC?: { maxPerPodContainer: number; maxContainers: number; minAgeMs: number };
  /** `--sandbox-pool-size N`: pod sandboxes the node keeps ready for new pods (default 2 on real containers; 0 keeps none). */
  sandboxPoolSize?: number;
  /** `--service-cidr`: the cluster's service range (default 10.43.0.0/16); an agent's must be the server's. */
  serviceCidr: string;
  /** `--cluster-dns`: the kube-dns Service's IP; '' until parsed, then the `.10` of serviceCidr unless given (defaultNodeDns). */
  clusterDns: string;
  /** `--cluster-domain` (default `cluster.local`). */
  clusterDomain: string;
  /** `--node-ip`: the node's InternalIP and address between hosts (default: the default route's interface's). */
  nodeIp?: string;
  /** `--log-format text|json` (default: text when stderr is a terminal, JSON otherwise). */
  logFormat?: LogFormat;
}

/** `--log-format`: text or json. */
export function parseLogFormat(value: string): LogFormat {
  if (value !== 'text' && value !== 'json') throw new UsageError(`invalid value for --log-format: ${JSON.stringify(value)} (want text or json)`);
  return value;
}

/** The flags of NodeFlagOptions, checked the same way for the server and the agent. */
export const NODE_FLAGS: FlagSpec<NodeFlagOptions> = {
  bool: {
    '--protect-kernel-defaults': (o, on) => (o.protectKernelDefaults = on),
  },
  value: {
    '--data-dir': (o, value) => {
      if (!value) throw new UsageError('--data-dir must not be empty');
      o.dataDir = value;
    },
    '--runtime': (o, value) => (o.runtime = parseRuntime(value)),
    '--node-name': (o, value) => (o.nodeName = parseNodeName(value)),
    '--node-labels': (o, value, flag) => Object.assign(o.nodeLabels, parseLabels(value, flag)),
    '--register-with-taints': (o, value, flag) => o.nodeTaints.push(...parseTaints(value, flag)),
    '--pod-manifest-path': (o, value) => {
      if (!value) throw new UsageError('--pod-manifest-path must not be empty');
      o.podManifestPath = value;
    },
    '--private-registry': (o, value) => {
      if (!value) throw new UsageError('--private-registry must not be empty');
      o.privateRegistry = value;
    },
    '--service-cidr': (o, value) => (o.serviceCidr = validateServiceCidr(value)),
    '--cluster-dns': (o, value) => (o.clusterDns = parseClusterDns(value)),
    '--cluster-domain': (o, value) => (o.clusterDomain = parseClusterDomain(value)),
    '--node-ip': (o, value) => (o.nodeIp = parseNodeIp(value)),
    '--log-format': (o, value) => (o.logFormat = parseLogFormat(value)),
    '--allowed-unsafe-sysctls': (o, value, flag) => o.allowedUnsafeSysctls.push(...parseAllowedUnsafeSysctls(value, flag)),
    '--eviction-hard': (o, value) => ((o.eviction ??= {}).evictionHard = value),
    '--eviction-soft': (o, value) => ((o.eviction ??= {}).evictionSoft = value),
    '--eviction-soft-grace-period': (o, value) => ((o.eviction ??= {}).evictionSoftGracePeriod = value),
    '--eviction-minimum-reclaim': (o, value) => ((o.eviction ??= {}).evictionMinimumReclaim = value),
    '--image-gc-high-threshold': (o, value, flag) =>
      ((o.imageGC ??= { highThresholdPercent: 85, lowThresholdPercent: 80 }).highThresholdPercent = parseNumber(value, flag, 'a percentage 0-100', (n) => n >= 0 && n <= 100, true)),
    '--image-gc-low-threshold': (o, value, flag) =>
      ((o.imageGC ??= { highThresholdPercent: 85, lowThresholdPercent: 80 }).lowThresholdPercent = parseNumber(value, flag, 'a percentage 0-100', (n) => n >= 0 && n <= 100, true)),
    // The kubelet's (deprecated, still served) dead-container GC flags: any integer, negative for no limit.
    '--maximum-dead-containers-per-container': (o, value, flag) => (containerGCFlags(o).maxPerPodContainer = parseSignedInt(value, flag)),
    '--maximum-dead-containers': (o, value, flag) => (containerGCFlags(o).maxContainers = parseSignedInt(value, flag)),
    '--sandbox-pool-size': (o, value, flag) => (o.sandboxPoolSize = parseNumber(value, flag, 'a whole number 0-100', (n) => n >= 0 && n <= 100, true)),
    '--minimum-container-ttl-duration': (o, value, flag) => {
      try {
        containerGCFlags(o).minAgeMs = parseDurationMs(value);
      } catch {
        throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(value)} (want a duration such as 1m0s)`);
      }
    },
    '--eviction-pressure-transition-period': (o, value, flag) => {
      try {
        parseDurationMs(value);
      } catch {
        throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(value)} (want a duration such as 5m0s)`);
      }
      (o.eviction ??= {}).pressureTransitionPeriod = value;
    },
  },
};

/** After parsing: the eviction flags make sense together (each soft threshold has a grace period, ...). */
export function checkEvictionFlags(o: NodeFlagOptions): void {
  if (o.imageGC && o.imageGC.lowThresholdPercent > o.imageGC.highThresholdPercent)
    throw new UsageError(`--image-gc-low-threshold (${o.imageGC.lowThresholdPercent}) can not be higher than --image-gc-high-threshold (${o.imageGC.highThresholdPercent})`);
  if (!o.eviction) return;
  try {
    parseThresholds(o.eviction);
  } catch (err) {
    if (err instanceof ThresholdError) throw new UsageError(`invalid eviction flags: ${err.message}`);
    throw err;
  }
}

/** `--allowed-unsafe-sysctls a,b.*`: each a namespaced sysctl or `prefix*` pattern (the kubelet's checks and messages). */
export function parseAllowedUnsafeSysctls(value: string, flag: string): string[] {
  const patterns = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    new SysctlAllowlist(patterns);
  } catch (err) {
    if (err instanceof SysctlAllowlistError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
  return patterns;
}

/** The defaults of NodeFlagOptions other than the data dir (each command has its own). */
export function nodeFlagDefaults(): Omit<NodeFlagOptions, 'dataDir'> {
  return {
    runtime: 'oci',
    nodeName: hostname().toLowerCase(),
    nodeLabels: {},
    nodeTaints: [],
    protectKernelDefaults: false,
    allowedUnsafeSysctls: [],
    serviceCidr: DEFAULT_SERVICE_CIDR,
    clusterDns: '',
    clusterDomain: 'cluster.local',
  };
}

/** After parsing: `--cluster-dns` defaults to the `.10` of the (possibly given) `--service-cidr`. */
export function defaultNodeDns(o: NodeFlagOptions): void {
  if (o.clusterDns === '') o.clusterDns = defaultClusterDns(o.serviceCidr);
}

/** The GC policy being parsed, with the kubelet's defaults for the flags not given. */
function containerGCFlags(o: NodeFlagOptions): NonNullable<NodeFlagOptions['containerGC']> {
  return (o.containerGC ??= { maxPerPodContainer: 1, maxContainers: -1, minAgeMs: 0 });
}

function parseSignedInt(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(value)} (want an integer)`);
  return Number(value);
}

function parseNumber(value: string, flag: string, want: string, ok: (n: number) => boolean, integer = false): number {
  const n = (integer ? /^\d+$/ : /^\d+(\.\d+)?$|^\.\d+$/).test(value) ? Number(value) : NaN;
  if (!ok(n)) throw new UsageError(`invalid value for ${flag}: ${JSON.stringify(value)} (want ${want})`);
  return n;
}

/** Checks `--cluster-dns`: one IPv4 address (as k3s's flag; the kubelet's takes a list). */
export function parseClusterDns(value: string): string {
  if (isIP(value) === 4) return value;
  throw new UsageError(`invalid value for --cluster-dns: ${JSON.stringify(value)} (want an IPv4 address such as 10.43.0.10)`);
}

/** Checks `--cluster-domain`: a DNS domain (lowercase labels; a trailing dot is dropped). */
export function parseClusterDomain(value: string): string {
  const domain = value.replace(/\.$/, '');
  if (domain.length <= 253 && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(domain)) return domain;
  throw new UsageError(`invalid value for --cluster-domain: ${JSON.stringify(value)} (want a DNS domain such as cluster.local)`);
}

/** Checks `--service-cidr`: an IPv4 network address with a prefix of /1../28 (the allocator's rule). */
export function validateServiceCidr(value: string): string {
  let cidr: string;
  try {
    cidr = parseServiceCidr(value).cidr;
  } catch {
    throw new UsageError(`invalid value for --service-cidr: ${JSON.stringify(value)} (want an IPv4 CIDR between /1 and /28, e.g. ${DEFAULT_SERVICE_CIDR})`);
  }
  if (cidr !== value) throw new UsageError(`invalid value for --service-cidr: ${JSON.stringify(value)} (host bits set; did you mean ${cidr}?)`);
  return cidr;
}

function validateNodePortRange(value: string): string {
  try {
    return parsePortRange(value).text;
  } catch {
    throw new UsageError(`invalid value for --service-node-port-range: ${JSON.stringify(value)} (want LOW-HIGH within 1-65535, e.g. ${DEFAULT_NODE_PORT_RANGE})`);
  }
}

/** Checks a `--tls-san` value: an IP address or a DNS name. */
export function parseTlsSan(value: string): string {
  if (isIP(value) || /^(\*\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(value)) return value;
  throw new UsageError(`invalid value for --tls-san: ${JSON.stringify(value)} (want a DNS name or an IP address)`);
}
function toggle(list: string[], name: string, on: boolean): void {
  const i = list.indexOf(name);
  if (on && i < 0) list.push(name);
  if (!on && i >= 0) list.splice(i, 1);
}

function auditOf(o: ServerOptions): AuditOptions {
  return (o.audit ??= { maxAge: 0, maxBackup: 0, maxSize: 0 });
}

/** `kubeling server`'s own flags, beside NODE_FLAGS. */
const SERVER_FLAGS: FlagSpec<ServerOptions> = {
  bool: {
    '--no-agent': (o, on) => (o.noAgent = on),
    '--dashboard': (o, on) => (o.dashboard = on),
    '--disable-scheduler': (o, on) => toggle(o.disabledComponents, 'scheduler', on),
    '--disable-controller-manager': (o, on) => toggle(o.disabledComponents, 'controller-manager', on),
    '--scheduler-thread': (o, on) => (o.schedulerThread = on),
  },
  value: {
    // k3s's --disable for its packaged components; of those kubeling has local-storage.
    '--disable': (o, value) => {
      for (const name of value.split(',')) {
        if (name !== 'local-storage') throw new UsageError(`invalid value for --disable: ${JSON.stringify(name)} (kubeling packages only local-storage)`);
        toggle(o.disabledComponents, name, true);
      }
    },
    '--listen': (o, value) => {
      const l = parseListen(value);
      o.listenHost = l.host;
      o.listenPort = l.port;
    },
    '--storage': (o, value) => {
      if (value !== 'sqlite' && value !== 'memory' && !value.startsWith('etcd://')) {
        throw new UsageError(`invalid value for --storage: ${JSON.stringify(value)} (want sqlite, memory or etcd://HOST:PORT)`);
      }
      o.storage = value;
    },
    '--node-taint': (o, value, flag) => o.nodeTaints.push(...parseTaints(value, flag)),
    '--cluster-cidr': (o, value) => {
      try {
        o.clusterCidr = validateClusterCidr(value);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    },
    '--tls-san': (o, value) => o.tlsSans.push(...value.split(',').filter((v) => v !== '').map(parseTlsSan)),
    '--max-endpoints-per-slice': (o, value) => {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 1000)) throw new UsageError(`invalid value for --max-endpoints-per-slice: ${JSON.stringify(value)} (want a number from 1 to 1000)`);
      o.maxEndpointsPerSlice = n;
    },
    '--service-node-port-range': (o, value) => (o.serviceNodePortRange = validateNodePortRange(value)),
    '--token': (o, value) => {
      if (!value.trim()) throw new UsageError('--token must not be empty');
      o.token = value.trim();
    },
    '--token-file': (o, value) => {
      if (!value) throw new UsageError('--token-file must not be empty');
      o.tokenFile = value;
    },
    '--encryption-provider-config': (o, value) => {
      if (!value) throw new UsageError('--encryption-provider-config must not be empty');
      o.encryptionProviderConfig = value;
    },
    '--pod-network': (o, value) => (o.podNetwork = parsePodNetwork(value)),
    '--node-monitor-grace-period': (o, value, flag) => (o.nodeMonitorGracePeriodMs = parseDuration(value, flag)),
    '--node-monitor-period': (o, value, flag) => (o.nodeMonitorPeriodMs = parseDuration(value, flag)),
    '--kube-api-qps': (o, value, flag) => (o.kubeApiQps = parseNumber(value, flag, 'requests per second, more than 0', (n) => n > 0)),
    '--kube-api-burst': (o, value, flag) => (o.kubeApiBurst = parseNumber(value, flag, 'a whole number of requests, 1 or more', (n) => n >= 1, true)),
    '--node-eviction-rate': (o, value, flag) =>
      (o.nodeEvictionRate = parseNumber(value, flag, 'a number of nodes per second, 0 or more', (n) => n >= 0)),
    '--secondary-node-eviction-rate': (o, value, flag) =>
      (o.secondaryNodeEvictionRate = parseNumber(value, flag, 'a number of nodes per second, 0 or more', (n) => n >= 0)),
    '--unhealthy-zone-threshold': (o, value, flag) =>
      (o.unhealthyZoneThreshold = parseNumber(value, flag, 'a fraction above 0 and at most 1', (n) => n > 0 && n <= 1)),
    '--large-cluster-size-threshold': (o, value, flag) =>
      (o.largeClusterSizeThreshold = parseNumber(value, flag, 'a whole number of nodes', (n) => n >= 0, true)),
    '--default-not-ready-toleration-seconds': (o, value, flag) =>
      (o.defaultNotReadyTolerationSeconds = parseNumber(value, flag, 'a whole number of seconds', (n) => n >= 0, true)),
    '--default-unreachable-toleration-seconds': (o, value, flag) =>
      (o.defaultUnreachableTolerationSeconds = parseNumber(value, flag, 'a whole number of seconds', (n) => n >= 0, true)),
    '--terminated-pod-gc-threshold': (o, value, flag) =>
      (o.terminatedPodGcThreshold = parseNumber(value, flag, 'a whole number of pods (0 = never)', (n) => n >= 0, true)),
    '--horizontal-pod-autoscaler-sync-period': (o, value, flag) => (o.hpaSyncPeriodMs = parseDuration(value, flag)),
    '--horizontal-pod-autoscaler-downscale-stabilization': (o, value, flag) => (o.hpaDownscaleStabilizationMs = parseDuration(value, flag, false)),
    '--horizontal-pod-autoscaler-tolerance': (o, value, flag) => (o.hpaTolerance = parseNumber(value, flag, 'a fraction, 0 or more', (n) => n >= 0)),
    '--horizontal-pod-autoscaler-cpu-initialization-period': (o, value, flag) => (o.hpaCpuInitializationPeriodMs = parseDuration(value, flag, false)),
    '--horizontal-pod-autoscaler-initial-readiness-delay': (o, value, flag) => (o.hpaInitialReadinessDelayMs = parseDuration(value, flag, false)),
    '--audit-log-path': (o, value) => (auditOf(o).logPath = value || undefined),
    '--audit-policy-file': (o, value) => (auditOf(o).policyFile = value || undefined),
    '--audit-log-maxage': (o, value, flag) => (auditOf(o).maxAge = parseNumber(value, flag, 'a whole number of days, 0 or more', (n) => n >= 0, true)),
    '--audit-log-maxbackup': (o, value, flag) => (auditOf(o).maxBackup = parseNumber(value, flag, 'a whole number of files, 0 or more', (n) => n >= 0, true)),
    '--audit-log-maxsize': (o, value, flag) => (auditOf(o).maxSize = parseNumber(value, flag, 'a whole number of megabytes, 0 or more', (n) => n >= 0, true)),
    '--audit-log-format': (_o, value) => {
      if (value !== 'json') throw new UsageError(`invalid value for --audit-log-format: ${JSON.stringify(value)} (only json is supported)`);
    },
    '--admission-control-config-file': (o, value) => (o.admissionControlConfigFile = value),
    '--disable-admission-plugins': (o, value) => (o.disableAdmissionPlugins ??= []).push(...value.split(',').map((v) => v.trim()).filter(Boolean)),
    '--enable-admission-plugins': (o, value) => (o.enableAdmissionPlugins ??= []).push(...value.split(',').map((v) => v.trim()).filter(Boolean)),
    '--service-account-issuer': (o, value) => o.serviceAccountIssuers.push(parseIssuer(value, o.serviceAccountIssuers)),
    '--api-audiences': (o, value) => o.apiAudiences.push(...value.split(',').map((a) => a.trim()).filter((a) => a !== '')),
    '--service-account-max-token-expiration': (o, value, flag) => {
      const ms = parseDuration(value, flag, false);
      if (ms !== 0 && (ms < 3_600_000 || ms > 2 ** 32 * 1000)) throw new UsageError('the service-account-max-token-expiration must be between 1 hour and 2^32 seconds');
      o.serviceAccountMaxTokenExpirationMs = ms;
    },
    '--service-account-jwks-uri': (o, value) => {
      if (!URL.canParse(value) || new URL(value).protocol !== 'https:') throw new UsageError(`service-account-jwks-uri requires https scheme, parsed as: ${JSON.stringify(value)}`);
      o.serviceAccountJwksUri = value;
    },
    '--authorization-mode': (o, value) => (o.authorizationModes = parseAuthorizationModes(value)),
    '--max-requests-inflight': (o, value, flag) =>
      (o.maxRequestsInflight = parseNumber(value, flag, 'a whole number of requests (0 = no limit)', (n) => n >= 0, true)),
    '--max-mutating-requests-inflight': (o, value, flag) =>
      (o.maxMutatingRequestsInflight = parseNumber(value, flag, 'a whole number of requests (0 = no limit)', (n) => n >= 0, true)),
    '--max-watches-per-user': (o, value, flag) =>
      (o.maxWatchesPerUser = parseNumber(value, flag, 'a whole number of watches (0 = no limit)', (n) => n >= 0, true)),
    '--request-timeout': (o, value, flag) => (o.requestTimeoutMs = parseDuration(value, flag)),
  },
};

export function parseServerFlags(argv: string[]): ServerOptions {
  const o: ServerOptions = {
    ...nodeFlagDefaults(),
    dataDir: './.kubeling',
    listenHost: '127.0.0.1',
    listenPort: 6443,
    storage: 'sqlite',
    noAgent: false,
    dashboard: true,
    disabledComponents: [],
    clusterCidr: CLUSTER_CIDR,
    tlsSans: [],
    maxEndpointsPerSlice: 100,
    serviceNodePortRange: DEFAULT_NODE_PORT_RANGE,
    leaderElect: false,
    schedulerThread: false,
    podNetwork: 'vxlan',
    nodeMonitorGracePeriodMs: 40_000,
    nodeMonitorPeriodMs: 5000,
    nodeEvictionRate: 0.1,
    secondaryNodeEvictionRate: 0.01,
    unhealthyZoneThreshold: 0.55,
    largeClusterSizeThreshold: 50,
    defaultNotReadyTolerationSeconds: 300,
    defaultUnreachableTolerationSeconds: 300,
    terminatedPodGcThreshold: 12500,
    hpaSyncPeriodMs: 15_000,
    hpaDownscaleStabilizationMs: 300_000,
    hpaTolerance: 0.1,
    hpaCpuInitializationPeriodMs: 300_000,
    hpaInitialReadinessDelayMs: 30_000,
    serviceAccountIssuers: [],
    apiAudiences: [],
    serviceAccountMaxTokenExpirationMs: 0,
    authorizationModes: ['Node', 'RBAC'],
    maxRequestsInflight: 400,
    maxMutatingRequestsInflight: 200,
    maxWatchesPerUser: 1000,
    requestTimeoutMs: 60_000,
  };
  let leaderElectSet = false;
  parseFlagArgs(argv, o, {
    bool: {
      ...NODE_FLAGS.bool,
      ...SERVER_FLAGS.bool,
      '--leader-elect': (o, on) => {
        leaderElectSet = true;
        o.leaderElect = on;
      },
    },
    value: { ...NODE_FLAGS.value, ...SERVER_FLAGS.value },
  });
  if (o.token !== undefined && o.tokenFile !== undefined) throw new UsageError('--token and --token-file are mutually exclusive');
  if (!leaderElectSet) o.leaderElect = o.storage.startsWith('etcd://');
  if (!o.serviceAccountIssuers.length) o.serviceAccountIssuers.push(SERVICE_ACCOUNT_ISSUER);
  defaultNodeDns(o);
  checkEvictionFlags(o);
  if (cidrsOverlap(o.serviceCidr, o.clusterCidr)) {
    throw new UsageError(`--service-cidr ${o.serviceCidr} overlaps --cluster-cidr ${o.clusterCidr} (Services and pods need separate ranges)`);
  }
  return o;
}

/** One `--service-account-issuer`: a URL when it has a colon (as upstream checks), never twice. */
function parseIssuer(value: string, seen: string[]): string {
  if (!value) throw new UsageError('service-account-issuer should be a URL or a string, got an empty value');
  if (value.includes(':') && !URL.canParse(value)) throw new UsageError(`service-account-issuer ${JSON.stringify(value)} contained a ':' but was not a valid URL`);
  if (seen.includes(value)) throw new UsageError(`service-account-issuer ${JSON.stringify(value)} is already specified`);
  return value;
}

/** Whether two IPv4 CIDRs (already validated) share an address. */
function cidrsOverlap(a: string, b: string): boolean {
  const [x, y] = [parseServiceCidr(a), parseServiceCidr(b)];
  return x.base < y.base + y.size && y.base < x.base + x.size;
}
