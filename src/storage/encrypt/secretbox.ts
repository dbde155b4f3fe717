/**
 * The secretbox provider (upstream's `storage/value/encrypt/secretbox`): XSalsa20-Poly1305 with a 32-byte key
 * through `tweetnacl`; a random 24-byte nonce, then NaCl's box (the 16-byte Poly1305 tag, then the ciphertext),
 * the layout Go's `secretbox.Seal(nonce, ...)` writes.
 */
import nacl from 'tweetnacl';
import { randomBytes } from 'node:crypto';
import type { TransformResult, Transformer } from './transformer.ts';

const NONCE = nacl.secretbox.nonceLength;
const OVERHEAD = nacl.secretbox.overheadLength;

export class SecretboxTransformer implements Transformer {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== nacl.secretbox.keyLength) throw new Error(`expected key size 32 for secretbox provider, got ${key.length}`);
    this.#key = Uint8Array.from(key);
  }

  fromStorage(data: Uint8Array, _context?: Uint8Array): TransformResult {
    if (data.length < OVERHEAD + NONCE) throw new Error('the stored data was shorter than the required size');
    const opened = nacl.secretbox.open(data.subarray(NONCE), data.subarray(0, NONCE), this.#key);
    // Upstream's message for a failed open, odd as it reads.
    if (!opened) throw new Error('output array was not large enough for encryption');
    return { data: opened, stale: false };
  }

  toStorage(data: Uint8Array, _context?: Uint8Array): Uint8Array {
    const nonce = new Uint8Array(randomBytes(NONCE));
    const box = nacl.secretbox(data, nonce, this.#key);
    const out = new Uint8Array(NONCE + box.length);
    out.set(nonce, 0);
    out.set(box, NONCE);
    return out;
  }
}
