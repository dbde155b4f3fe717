/**
 * The AES providers, laid out byte for byte as upstream's `storage/value/encrypt/aes`:
 * - aescbc: a random 16-byte IV, then AES-CBC of the value with PKCS#7 padding (no authentication).
 * - aesgcm: a random 12-byte nonce, then AES-GCM of the value with the store key as authenticated data, the
 *   16-byte tag last (Go's `Seal`), so a value copied to another key does not decrypt.
 * Keys are 16, 24 or 32 bytes (AES-128/192/256). Errors carry upstream's messages.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import type { TransformResult, Transformer } from './transformer.ts';

const BLOCK = 16;
const NONCE = 12;
const TAG = 16;

function algorithm(mode: 'cbc' | 'gcm', key: Uint8Array): string {
  if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

export class AesCbcTransformer implements Transformer {
  readonly #key: Buffer;
  readonly #algorithm: string;

  constructor(key: Uint8Array) {
    this.#algorithm = algorithm('cbc', key);
    this.#key = Buffer.from(key);
  }

  fromStorage(data: Uint8Array, _context?: Uint8Array): TransformResult {
    if (data.length < BLOCK) throw new Error('the stored data was shorter than the required size');
    const iv = data.subarray(0, BLOCK);
    const body = data.subarray(BLOCK);
    if (body.length % BLOCK !== 0) throw new Error('the stored data is not a multiple of the block size');
    const decipher = createDecipheriv(this.#algorithm, this.#key, iv).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(body), decipher.final()]);
    const pad = plain.length ? plain[plain.length - 1]! : 0;
    if (pad === 0 || pad > plain.length) throw new Error('invalid PKCS7 data (empty or not padded)');
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new Error('invalid padding on input');
    }
    return { data: plain.subarray(0, plain.length - pad), stale: false };
  }

  toStorage(data: Uint8Array, _context?: Uint8Array): Uint8Array {
    const pad = BLOCK - (data.length % BLOCK);
    const iv = randomBytes(BLOCK);
    const cipher = createCipheriv(this.#algorithm, this.#key, iv).setAutoPadding(false);
    const padded = Buffer.concat([data, Buffer.alloc(pad, pad)]);
    return Buffer.concat([iv, cipher.update(padded), cipher.final()]);
  }
}

export class AesGcmTransformer implements Transformer {
  readonly #key: Buffer;
  readonly #algorithm: CipherGCMTypes;

  constructor(key: Uint8Array) {
    this.#algorithm = algorithm('gcm', key) as CipherGCMTypes;
    this.#key = Buffer.from(key);
  }

  fromStorage(data: Uint8Array, context: Uint8Array): TransformResult {
    if (data.length < NONCE + TAG) throw new Error('the stored data was shorter than the required size');
    const nonce = data.subarray(0, NONCE);
    const sealed = data.subarray(NONCE, data.length - TAG);
    const decipher = createDecipheriv(this.#algorithm, this.#key, nonce, { authTagLength: TAG });
    decipher.setAAD(context);
    decipher.setAuthTag(data.subarray(data.length - TAG));
    try {
      return { data: Buffer.concat([decipher.update(sealed), decipher.final()]), stale: false };
    } catch {
      throw new Error('cipher: message authentication failed');
    }
  }

  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv(this.#algorithm, this.#key, nonce, { authTagLength: TAG });
    cipher.setAAD(context);
    const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
    return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
  }
}
