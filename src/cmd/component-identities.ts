/**
 * The identities the server's in-process components act as, each the one upstream gives the same
 * component, never the admin's: the scheduler is `system:kube-scheduler`; each controller of the controller
 * manager is its own service account `kube-system/<name>` (user `system:serviceaccount:kube-system:<name>`,
 * as kube-controller-manager with `--use-service-account-credentials`); the service proxy is
 * `system:kube-proxy`; the server's kubelet `system:node:<node>`; cluster DNS the `kube-system/coredns`
 * service account; kubeling's own parts (the pod network, the server's bootstrap publishers) service accounts
 * of their own whose roles are in src/apiserver/rbac/kubeling-policy.ts.
 *
 * Credentials are bearer tokens the server mints at each start (32 random bytes, kept only in memory) and
 * adds to its TokenAuthenticator, so nothing on disk grants them and a restart revokes the old ones.
 */
import { randomBytes } from 'node:crypto';
import type { TokenAuthenticator, User } from '../apiserver/index.ts';
import { Client, type ClientConfig, type InProcessReads } from '../client/index.ts';
import type { ComponentContext } from './components/component.ts';

export const KUBE_SYSTEM = 'kube-system';

/** A user named as a service account of kube-system, with the groups upstream gives one. */
export function kubeSystemServiceAccount(name: string): User {
  return {
    name: `system:serviceaccount:${KUBE_SYSTEM}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${KUBE_SYSTEM}`, 'system:authenticated'],
  };
}

export const SCHEDULER_USER: User = { name: 'system:kube-scheduler', groups: ['system:authenticated'] };
export const CONTROLLER_MANAGER_USER: User = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
export const KUBE_PROXY_USER: User = { name: 'system:kube-proxy', groups: ['system:authenticated'] };
/** Cluster DNS (kubeling's per-node DNS, in CoreDNS's place). */
export const DNS_USER = kubeSystemServiceAccount('coredns');
/** The pod network (flannel's part: node annotations, the net-conf ConfigMap). */
export const POD_NETWORK_USER = kubeSystemServiceAccount('kubeling-pod-network');
/** The server's own publishers: cluster-info, the kubelet client Secret, the kube-dns Service, net-conf. */
export const BOOTSTRAP_USER = kubeSystemServiceAccount('kubeling-bootstrap');

export function nodeUser(nodeName: string): User {
  return { name: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] };
}

/**
 * Each controller's service account, upstream's name where upstream has the controller
 * (cmd/kube-controller-manager/names); `service-lb-controller` is kubeling's (k3s's servicelb).
 */
export const CONTROLLER_SERVICE_ACCOUNTS = {
  replicaset: 'replicaset-controller',
  deployment: 'deployment-controller',
  job: 'job-controller',
  cronjob: 'cronjob-controller',
  'ttl-after-finished': 'ttl-after-finished-controller',
  statefulset: 'statefulset-controller',
  'persistentvolume-binder': 'persistent-volume-binder',
  /** One controller for both of upstream's protection controllers; kubeling-policy binds it the pv one's role too. */
  'volume-protection': 'pvc-protection-controller',
  replicationcontroller: 'replication-controller',
  daemonset: 'daemon-set-controller',
  'garbage-collector': 'generic-garbage-collector',
  endpointslice: 'endpointslice-controller',
  endpoints: 'endpoint-controller',
  'service-lb': 'service-lb-controller',
  'node-lifecycle': 'node-controller',
  /** Upstream has no role of its own for the taint eviction controller: it acts with the node controller's. */
  'taint-eviction': 'node-controller',
  disruption: 'disruption-controller',
  /** The CSR approver and signer, as kube-controller-manager's csrapproving and csrsigning. */
  certificate: 'certificate-controller',
  'pod-garbage-collector': 'pod-garbage-collector',
  resourcequota: 'resourcequota-controller',
  'horizontal-pod-autoscaler': 'horizontal-pod-autoscaler',
  /** kube-controller-manager's node IPAM runs as the node controller. */
  'node-ipam': 'node-controller',
} as const;

export type ControllerName = keyof typeof CONTROLLER_SERVICE_ACCOUNTS;

export function controllerUser(controller: ControllerName): User {
  return kubeSystemServiceAccount(CONTROLLER_SERVICE_ACCOUNTS[controller]);
}

/** The identity a server component acts as by default (`ctx.client`); undefined for none known. */
export function componentUser(component: string, nodeName: string): User | undefined {
  switch (component) {
    case 'scheduler':
    case 'kube-scheduler': return SCHEDULER_USER;
    case 'node': return nodeUser(nodeName);
    case 'node-ipam': return controllerUser('node-ipam');
    case 'dns': return DNS_USER;
    case 'join':
    case 'local-storage':
    case 'kube-dns':
    case 'pod-network-config': return BOOTSTRAP_USER;
    // The controller manager's own client (leader election); each controller gets its own (clientAs).
    case 'controller-manager':
    case 'kube-controller-manager': return CONTROLLER_MANAGER_USER;
    default: return undefined;
  }
}

export interface ComponentCredentialsConfig {
  authenticator: TokenAuthenticator;
  server: string;
  caPem: string;
  /** Counts the clients' requests (rest_client_requests_total). */
  requestObserver?: ClientConfig['requestObserver'];
  /** The API server's in-process list and watch for an identity (in-process-reads.ts), when in the same process. */
  inProcess?: (user: User) => InProcessReads;
  /** A connection to the API server of this process (its connectInProcess), when in the same process. */
  connect?: ClientConfig['connect'];
}

/** A component's own client and its `clientAs`, as `kubeling server` gives them (ComponentContext). */
export function componentClients(credentials: ComponentCredentials, component: string, nodeName: string): Pick<ComponentContext, 'client' | 'clientAs' | 'inProcessReads'> {
  const user = componentUser(component, nodeName);
  if (!user) throw new Error(`no identity for component ${component}`);
  const inProcessReads = credentials.inProcessReads(user);
  return {
    client: credentials.clientAs(user, `kubeling-${component}`),
    clientAs: (u, userAgent, options) => credentials.clientAs(u, userAgent, options),
    ...(inProcessReads ? { inProcessReads } : {}),
  };
}

/** Mints one token per identity (on first use) and makes clients that present it. */
export class ComponentCredentials {
  readonly #config: ComponentCredentialsConfig;
  readonly #tokens = new Map<string, string>();

  constructor(config: ComponentCredentialsConfig) {
    this.#config = config;
  }

  /** The token for `user`, added to the authenticator the first time. */
  tokenFor(user: User): string {
    let token = this.#tokens.get(user.name);
    if (!token) {
      token = randomBytes(32).toString('hex');
      this.#config.authenticator.add(token, user);
      this.#tokens.set(user.name, token);
    }
    return token;
  }

  /** The API server's in-process reads as `user`, when the server runs in this process. */
  inProcessReads(user: User): InProcessReads | undefined {
    return this.#config.inProcess?.(user);
  }

  /**
   * A client acting as `user`, over in-process connections when the API server is in this process (else over
   * loopback HTTPS); with `inProcessReads`, its informers list and watch through that API server's own cached
   * objects too.
   */
  clientAs(user: User, userAgent: string, options: { inProcessReads?: boolean } = {}): Client {
    const { server, caPem, requestObserver, connect } = this.#config;
    const inProcess = options.inProcessReads ? this.inProcessReads(user) : undefined;
    return new Client({
      server, token: this.tokenFor(user), caData: caPem, userAgent,
      ...(requestObserver ? { requestObserver } : {}), ...(inProcess ? { inProcess } : {}), ...(connect ? { connect } : {}),
    });
  }
}
