/**
 * What volumes and env read from the cluster: ConfigMaps, Secrets and service-account tokens of a pod's
 * namespace. The kubelet adapts its API client to this; unit tests pass a map-backed fake. Keeping the seam
 * this small means volumes/ never needs the client's types.
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';

export type ConfigMap = IConfigMap;
export type Secret = ISecret;

/** Thrown by an ObjectSource when the object does not exist; optional references turn it into "nothing". */
export class ObjectNotFoundError extends Error {
  readonly kind: 'configmap' | 'secret';
  readonly objectName: string;

  constructor(kind: 'configmap' | 'secret', name: string) {
    // The real kubelet's configmap/secret managers word it so (singular resource), and it reaches users in
    // CreateContainerConfigError and FailedMount messages.
    super(`${kind} "${name}" not found`);
    this.name = 'ObjectNotFoundError';
    this.kind = kind;
    this.objectName = name;
  }
}

export interface ObjectSource {
  /** Throws ObjectNotFoundError when missing; any other error means "try again later". */
  getConfigMap(namespace: string, name: string): Promise<ConfigMap>;
  getSecret(namespace: string, name: string): Promise<Secret>;
  /**
   * A token for the pod's service account (projected `serviceAccountToken` sources).
   * TODO(kubelet-node): real bound tokens need the TokenRequest API (`serviceaccounts/token`); until the API
   * server has it, the kubelet hands out the token it was configured with.
   */
  serviceAccountToken(
    namespace: string,
    serviceAccountName: string,
    audience: string | undefined,
    expirationSeconds: number,
  ): Promise<string>;
}

/** A map-backed ObjectSource for tests and for static pods (which may not reference API objects). */
export class MapObjectSource implements ObjectSource {
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  token = 'test-token';

  async getConfigMap(namespace: string, name: string): Promise<ConfigMap> {
    const cm = this.configMaps.get(`${namespace}/${name}`);
    if (!cm) throw new ObjectNotFoundError('configmap', name);
    return cm;
  }

  async getSecret(namespace: string, name: string): Promise<Secret> {
    const s = this.secrets.get(`${namespace}/${name}`);
    if (!s) throw new ObjectNotFoundError('secret', name);
    return s;
  }

  async serviceAccountToken(): Promise<string> {
    return this.token;
  }

  putConfigMap(
    namespace: string,
    name: string,
    data: Record<string, string>,
    binaryData?: Record<string, string>,
  ): void {
    this.configMaps.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
      data,
      binaryData,
    });
  }

  /** `data` given as plain strings; stored base64 as the API does. */
  putSecret(namespace: string, name: string, data: Record<string, string>): void {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      data: encoded,
    });
  }
}
