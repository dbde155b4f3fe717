/**
 * What volumes and env read from the cluster: ConfigMaps, Secrets and service-account tokens of a pod's
 * namespace. The kubelet adapts its API client to this; unit tests pass a map-backed fake. Keeping the seam
 * this small means volumes/ never needs the client's types.
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IPersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { BoundTokenRequest } from './token-manager.ts';

export type ConfigMap = IConfigMap;
export type Secret = ISecret;
export type PersistentVolumeClaim = IPersistentVolumeClaim;
export type PersistentVolume = IPersistentVolume;

/** Thrown by an ObjectSource when the object does not exist; optional references turn it into "nothing". */
export class ObjectNotFoundError extends Error {
  readonly kind: 'configmap' | 'secret' | 'persistentvolumeclaim' | 'persistentvolume';
  readonly objectName: string;

  constructor(kind: ObjectNotFoundError['kind'], name: string) {
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
   * A bound token of the pod's service account for a projected `serviceAccountToken` source (the kubelet
   * answers from its ServiceAccountTokenManager: TokenRequest, cached, renewed at 80% of its lifetime).
   */
  serviceAccountToken(request: BoundTokenRequest): Promise<string>;
  /** The pod's volumes are gone: drop what was cached for it (its tokens). */
  releasePod?(podUid: string): void;
  /** Read fresh from the API (a claim's binding changes); absent where pods cannot use claims (static pods). */
  getPersistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaim>;
  getPersistentVolume?(name: string): Promise<PersistentVolume>;
}

/** A map-backed ObjectSource for tests and for static pods (which may not reference API objects). */
export class MapObjectSource implements ObjectSource {
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  readonly claims = new Map<string, PersistentVolumeClaim>();
  readonly volumes = new Map<string, PersistentVolume>();
  token = 'test-token';
  readonly tokenRequests: BoundTokenRequest[] = [];
  /** Set by tests that hand tokens out from a ServiceAccountTokenManager. */
  releasePod?: (podUid: string) => void;

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

  async getPersistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim> {
    const c = this.claims.get(`${namespace}/${name}`);
    if (!c) throw new ObjectNotFoundError('persistentvolumeclaim', name);
    return c;
  }

  async getPersistentVolume(name: string): Promise<PersistentVolume> {
    const v = this.volumes.get(name);
    if (!v) throw new ObjectNotFoundError('persistentvolume', name);
    return v;
  }

  async serviceAccountToken(request: BoundTokenRequest): Promise<string> {
    this.tokenRequests.push(request);
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
