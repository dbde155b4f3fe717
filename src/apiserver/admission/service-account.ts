/**
 * ServiceAccount admission for pods, as the real plugin does it: a pod without `serviceAccountName` runs as
 * `default`; the service account must exist; and unless automounting is turned off (on the pod or the service
 * account) the pod gets the `kube-api-access-<5 chars>` projected volume (token, ca.crt from the
 * `kube-root-ca.crt` ConfigMap, namespace from the downward API) mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container and init container. A pod that names no
 * `imagePullSecrets` gets the service account's (names only, in its order), whether or not the token is mounted.
 */
import type { Container, KubeObject, Pod, ServiceAccount, Volume } from '../../api/index.ts';
import type { AdmissionAttributes, AdmissionLookup, AdmissionPlugin } from './chain.ts';
import { forbidden } from '../status.ts';
import { randomSuffix } from '../registry/generic.ts';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const TOKEN_EXPIRATION_SECONDS = 3607;

export function kubeApiAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';
  readonly #lookup: AdmissionLookup;
  readonly #waitMs: number;

  /** `waitMs`: how long to wait for the default service account of a namespace created a moment ago. */
  constructor(lookup: AdmissionLookup, options: { waitMs?: number } = {}) {
    this.#lookup = lookup;
    this.#waitMs = options.waitMs ?? 2000;
  }

  async #serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined> {
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      const sa = await this.#lookup.get('serviceaccounts', namespace, name);
      if (sa || Date.now() >= deadline) return sa;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.plural !== 'pods' || a.resource.group !== '') return;
    const pod = a.object as unknown as Pod;
    const spec = pod.spec!;
    // Mirror pods (static pods seen through the API) are left alone, as upstream does.
    if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return;
    spec.serviceAccountName ||= spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
    const sa = (await this.#serviceAccount(a.namespace, spec.serviceAccountName)) as ServiceAccount | undefined;
    if (!sa) {
      throw forbidden({ group: '', resource: 'pods' }, pod.metadata?.name ?? '',
        `error looking up service account ${a.namespace}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
    }
    if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
      spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name ?? '' }));
    }
    const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
    if (!automount) return;
    const all: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    // A pod that already mounts something at the token path keeps its own.
    if (all.some((c) => c.volumeMounts?.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH))) return;
    const volumes = (spec.volumes ??= []);
    let name = '';
    do name = `kube-api-access-${randomSuffix()}`;
    while (volumes.some((v) => v.name === name));
    volumes.push(kubeApiAccessVolume(name));
    for (const c of all) (c.volumeMounts ??= []).push({ name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
  }
}
