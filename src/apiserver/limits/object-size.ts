/**
 * The size limit of one stored object. etcd refuses a request above 1.5 MiB (its default
 * `--max-request-bytes`) with `etcdserver: request is too large`; kubeling checks the encoded object against
 * the same limit before any backend sees it, so sqlite and memory refuse exactly what etcd would, with the
 * same words. Upstream passes etcd's error on as a 500; kubeling answers 413 RequestEntityTooLarge, since the
 * client sent too much (README, "Where kubeling differs").
 */
import { ApiError } from '../status.ts';

/** etcd's default --max-request-bytes. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** Room etcd's request takes beside the key and the value (the Txn and Put framing). */
const REQUEST_OVERHEAD = 64;

export function objectTooLarge(): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', 'etcdserver: request is too large');
}

/** Throws objectTooLarge when writing `value` under `key` would exceed etcd's request limit. */
export function checkObjectSize(key: string, value: Uint8Array, limit = MAX_OBJECT_BYTES): void {
  if (Buffer.byteLength(key) + value.byteLength + REQUEST_OVERHEAD > limit) throw objectTooLarge();
}
