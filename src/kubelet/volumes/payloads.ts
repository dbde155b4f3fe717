/**
 * The files configMap, secret, downwardAPI and projected volumes hold, computed from the API objects as the real
 * kubelet's MakePayload functions do (same modes, same "non-existent key" errors). Pure: I/O is the caller's.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IKeyToPath } from 'kubernetes-models/v1/KeyToPath';
import type { IDownwardAPIVolumeFile } from 'kubernetes-models/v1/DownwardAPIVolumeFile';
import type { Payload } from './atomic-writer.ts';
import { extractObjectFieldPath, extractResourceFieldRef, type NodeFacts } from './fieldpath.ts';
import type { ConfigMap, Secret } from './objects.ts';

/** Kubernetes' default file mode for these volumes (0644). */
export const defaultFileMode = 0o644;

export function configMapPayload(
  items: IKeyToPath[] | undefined,
  cm: ConfigMap,
  defaultMode: number,
  optional: boolean,
): Payload {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(cm.data ?? {})) payload.set(k, { data: Buffer.from(v), mode: defaultMode });
    for (const [k, v] of Object.entries(cm.binaryData ?? {}))
      payload.set(k, { data: Buffer.from(v, 'base64'), mode: defaultMode });
    return payload;
  }
  for (const ktp of items) {
    let data: Buffer;
    if (cm.data?.[ktp.key] !== undefined) data = Buffer.from(cm.data[ktp.key]!);
    else if (cm.binaryData?.[ktp.key] !== undefined) data = Buffer.from(cm.binaryData[ktp.key]!, 'base64');
    else if (optional) continue;
    else throw new Error(`configmap references non-existent config key: ${ktp.key}`);
    payload.set(ktp.path, { data, mode: ktp.mode ?? defaultMode });
  }
  return payload;
}

export function secretPayload(
  items: IKeyToPath[] | undefined,
  secret: Secret,
  defaultMode: number,
  optional: boolean,
): Payload {
  const payload: Payload = new Map();
  // stringData is write-only in the API; a secret handed to us straight from a manifest may still carry it.
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v);
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: v, mode: defaultMode });
    return payload;
  }
  for (const ktp of items) {
    const v = data[ktp.key];
    if (v === undefined) {
      if (optional) continue;
      throw new Error(`references non-existent secret key: ${ktp.key}`);
    }
    payload.set(ktp.path, { data: v, mode: ktp.mode ?? defaultMode });
  }
  return payload;
}

export function downwardAPIPayload(
  pod: IPod,
  items: IDownwardAPIVolumeFile[] | undefined,
  defaultMode: number,
  node: NodeFacts,
): Payload {
  const payload: Payload = new Map();
  for (const item of items ?? []) {
    let value: string;
    if (item.fieldRef) value = extractObjectFieldPath(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) value = extractResourceFieldRef(pod, item.resourceFieldRef, undefined, node);
    else continue;
    payload.set(item.path, { data: Buffer.from(value), mode: item.mode ?? defaultMode });
  }
  return payload;
}
