/**
 * A container's environment, resolved as the kubelet's makeEnvironmentVariables does: `envFrom` sources first
 * (each key with its prefix), then `env` in order, later names overriding earlier ones, then the service
 * variables (`serviceEnv`) the container does not define itself. Only literal `value`s are `$(VAR)`-expanded,
 * against the variables defined before them and then the service variables. A missing non-optional ConfigMap,
 * Secret or key is an error whose message the kubelet reports as CreateContainerConfigError.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { expand, mappingFor } from './expansion.ts';
import { extractEnvFieldPath, extractResourceFieldRef, type NodeFacts } from './fieldpath.ts';
import { ObjectNotFoundError, type ConfigMap, type ObjectSource, type Secret } from './objects.ts';

export interface EnvVar {
  key: string;
  value: string;
}

export async function makeEnvironmentVariables(
  pod: IPod,
  container: IContainer,
  podIPs: string[],
  node: NodeFacts,
  objects: ObjectSource,
  serviceEnv: ReadonlyMap<string, string> = new Map(),
): Promise<EnvVar[]> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | null>();
  const secrets = new Map<string, Secret | null>();
  // null = missing and optional: skip the reference.
  const getConfigMap = async (name: string, optional: boolean): Promise<ConfigMap | null> => {
    if (!configMaps.has(name)) configMaps.set(name, await orNull(objects.getConfigMap(namespace, name), optional));
    return configMaps.get(name)!;
  };
  const getSecret = async (name: string, optional: boolean): Promise<Secret | null> => {
    if (!secrets.has(name)) secrets.set(name, await orNull(objects.getSecret(namespace, name), optional));
    return secrets.get(name)!;
  };

  // Insertion-ordered, so the container sees its variables in the order the spec gives them.
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await getConfigMap(from.configMapRef.name ?? '', from.configMapRef.optional === true);
      for (const [k, v] of Object.entries(cm?.data ?? {})) env.set(prefix + k, v);
    } else if (from.secretRef) {
      const s = await getSecret(from.secretRef.name ?? '', from.secretRef.optional === true);
      for (const [k, v] of Object.entries(s?.data ?? {})) env.set(prefix + k, decode(v));
    }
  }

  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.value !== undefined && e.value !== '') {
      value = expand(e.value, mappingFor(env, serviceEnv));
    } else if (e.valueFrom?.fieldRef) {
      value = extractEnvFieldPath(pod, e.valueFrom.fieldRef.fieldPath, node, podIPs);
    } else if (e.valueFrom?.resourceFieldRef) {
      value = extractResourceFieldRef(pod, e.valueFrom.resourceFieldRef, container, node);
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const optional = ref.optional === true;
      const cm = await getConfigMap(ref.name ?? '', optional);
      if (cm === null) continue;
      value = cm.data?.[ref.key];
      if (value === undefined) {
        if (optional) continue;
        throw new Error(`couldn't find key ${ref.key} in ConfigMap ${namespace}/${ref.name ?? ''}`);
      }
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const optional = ref.optional === true;
      const s = await getSecret(ref.name ?? '', optional);
      if (s === null) continue;
      const raw = s.data?.[ref.key];
      if (raw === undefined) {
        if (optional) continue;
        throw new Error(`couldn't find key ${ref.key} in Secret ${namespace}/${ref.name ?? ''}`);
      }
      value = decode(raw);
    } else {
      value = '';
    }
    env.delete(e.name); // a redefinition moves to its new place, as the spec order says
    env.set(e.name, value);
  }
  // The container's own variables win over service variables of the same name.
  for (const [k, v] of serviceEnv) if (!env.has(k)) env.set(k, v);
  return [...env].map(([key, value]) => ({ key, value }));
}

async function orNull<T>(p: Promise<T>, optional: boolean): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (optional && err instanceof ObjectNotFoundError) return null;
    throw err;
  }
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}
