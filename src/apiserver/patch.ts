/**
 * PATCH bodies by content type, applied to the stored object with api's patch functions:
 * `application/json-patch+json` (RFC 6902), `application/merge-patch+json` (RFC 7386),
 * `application/strategic-merge-patch+json` (lists merged by their Kubernetes merge keys, so a second
 * `kubectl apply` keeps the containers it does not mention) and `application/apply-patch+yaml`
 * (server-side apply: decoded here, applied by field-manager.ts; `applyPatch` merges it strategically only
 * where there is no field tracking, the `scale` subresource).
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../api/index.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './api-bridge.ts';
import { ApiError, badRequest, unsupportedMediaType } from './status.ts';
import { exceedsDepth, tooDeep } from './limits/json-depth.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (t) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
    default:
      throw unsupportedMediaType(contentType ?? '');
  }
}

/** Decodes the patch document (JSON, or YAML for apply). */
export function parsePatch(type: PatchType, body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    const value = type === 'apply' ? parseYaml(text) : JSON.parse(text);
    if (type === 'json' ? !Array.isArray(value) : value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(type === 'json' ? 'a JSON patch must be an array of operations' : 'the patch must be an object');
    }
    if (exceedsDepth(value)) throw tooDeep('error decoding patch');
    return value;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

export function applyPatch(type: PatchType, current: KubeObject, patch: unknown, kind: string): KubeObject {
  try {
    const patched: unknown = type === 'json' ? applyJsonPatch(current, patch)
      : type === 'merge' ? applyMergePatch(current, patch)
      : applyStrategicMergePatch(current, patch, kind);
    // A JSON patch can replace the whole document (`{"op":"replace","path":"","value":null}`).
    if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw new Error('the patched document is not an object');
    return patched as KubeObject;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // Patch functions throw plain errors for a bad patch (a failed `test`, a missing path): the client's fault.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number' && code >= 500) throw err;
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${(err as Error).message}`);
  }
}
