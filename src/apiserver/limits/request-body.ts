/**
 * The request body limit of kube-apiserver (`MaxRequestBodyBytes`, 3 MiB): a body above it is answered 413
 * `Request entity too large: limit is 3145728`, as upstream's `limitedReadBody` answers. The read stops as soon
 * as the limit is passed (a Content-Length above it is refused before a byte is read), so a 10 MiB body never
 * sits in memory; the server then closes the connection rather than drain the rest.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from '../status.ts';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** apimachinery's NewRequestEntityTooLargeError(`limit is N`). */
export function requestEntityTooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** Reads the whole body, refusing (413) once it passes `limit` bytes. */
export async function readLimitedBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.pause();
    throw requestEntityTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        // Leaving the loop stops reading; the 413 goes out with `Connection: close` (server.ts), which ends
        // the connection instead of draining the rest of the body.
        throw requestEntityTooLarge(limit);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The client went away mid-body (or the request timed out): its doing, not the server's.
    throw badRequest(`the request body could not be read: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}
