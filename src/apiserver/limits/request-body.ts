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

/**
 * Reads the whole body, refusing (413) once it passes `limit` bytes. Read with the stream's events rather
 * than its async iterator, which cost more than the rest of reading a small body (every write reads one).
 */
export function readLimitedBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.pause();
    return Promise.reject(requestEntityTooLarge(limit));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Reading stops here; the 413 goes out with `Connection: close` (server.ts), which ends the connection
        // instead of draining the rest of the body.
        stop();
        req.pause();
        reject(requestEntityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // The client went away mid-body (or the request timed out): its doing, not the server's.
    const onError = (err: Error) => {
      stop();
      reject(badRequest(`the request body could not be read: ${err.message}`));
    };
    const onClose = () => onError(new Error('aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
