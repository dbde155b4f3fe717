/**
 * Value transformers for encryption at rest (apiserver's `storage/value`): a Transformer turns the bytes the
 * API server keeps into the bytes the store holds and back. `PrefixTransformers` is upstream's chooser: the
 * first transformer writes (its prefix, then its output); a read tries every transformer whose prefix the
 * stored bytes start with, in order, and reports the value `stale` when any but the first read it (so an
 * update rewrites it with the first, which is how keys are rotated). An empty prefix (identity) that fails is
 * skipped silently, so an identity provider listed first still lets encrypted data be read.
 *
 * `context` is the authenticated data: the store key, which AES-GCM binds the ciphertext to.
 */

export interface TransformResult {
  data: Uint8Array;
  /** Read by a transformer other than the writing one: a write would store it differently. */
  stale: boolean;
}

export interface Transformer {
  fromStorage(data: Uint8Array, context: Uint8Array): TransformResult;
  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array;
}

export interface PrefixTransformer {
  prefix: Uint8Array;
  transformer: Transformer;
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** apimachinery's errors.Reduce(NewAggregate(errs)): one error as itself, several as `[a, b]`. */
function aggregate(errs: Error[]): Error {
  if (errs.length === 1) return errs[0]!;
  return new Error(`[${errs.map((e) => e.message).join(', ')}]`);
}

export class PrefixTransformers implements Transformer {
  readonly #list: PrefixTransformer[];
  readonly #noMatch: string;

  /** `noMatch` is the error when no prefix matches (upstream's text differs per level). */
  constructor(noMatch: string, list: PrefixTransformer[]) {
    if (list.length === 0) throw new Error('PrefixTransformers needs at least one transformer');
    this.#noMatch = noMatch;
    this.#list = list;
  }

  fromStorage(data: Uint8Array, context: Uint8Array): TransformResult {
    const errs: Error[] = [];
    for (let i = 0; i < this.#list.length; i++) {
      const { prefix, transformer } = this.#list[i]!;
      if (!startsWith(data, prefix)) continue;
      let result: TransformResult;
      try {
        result = transformer.fromStorage(data.subarray(prefix.length), context);
      } catch (err) {
        // Identity refusing encrypted bytes must not hide a later provider that reads them. A keyed provider
        // that fails does not end the search either: the same provider may be listed again with other keys.
        if (prefix.length > 0) errs.push(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      return { data: result.data, stale: result.stale || i !== 0 };
    }
    if (errs.length) throw aggregate(errs);
    throw new Error(this.#noMatch);
  }

  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array {
    const { prefix, transformer } = this.#list[0]!;
    const out = transformer.toStorage(data, context);
    if (prefix.length === 0) return out;
    const result = new Uint8Array(prefix.length + out.length);
    result.set(prefix, 0);
    result.set(out, prefix.length);
    return result;
  }
}
