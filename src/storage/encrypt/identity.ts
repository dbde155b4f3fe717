/**
 * The identity provider (upstream's `identity.NewEncryptCheckTransformer`): stores bytes as they are, and
 * refuses to hand back bytes that carry the `k8s:enc:` mark of encrypted data, so encrypted values are never
 * read as plain JSON.
 */
import type { TransformResult, Transformer } from './transformer.ts';

const ENCRYPTED = Buffer.from('k8s:enc:');

export class IdentityTransformer implements Transformer {
  fromStorage(data: Uint8Array, _context?: Uint8Array): TransformResult {
    if (data.length >= ENCRYPTED.length && ENCRYPTED.equals(data.subarray(0, ENCRYPTED.length))) {
      throw new Error('identity transformer tried to read encrypted data');
    }
    return { data, stale: false };
  }

  toStorage(data: Uint8Array, _context?: Uint8Array): Uint8Array {
    return data;
  }
}
