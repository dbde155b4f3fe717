/**
 * Writing a response body that may be large (a list page, a Table, a whole unpaged list) as upstream's
 * `responsewriters.SerializeObject` does: gzip (level 1) when the client sent `Accept-Encoding: gzip` and the
 * body is over 128 KiB, with `Content-Encoding: gzip` and `Vary: Accept-Encoding`; otherwise the bytes as
 * they are. The body comes as parts (already-encoded objects, spliced), never joined into one buffer: they
 * go out in batches of about 128 KiB, each written when the socket (or the compressor) has room, so a list of
 * 100,000 objects costs no copy of itself and compression runs on libuv's threads beside the event loop.
 */
import type { ServerResponse } from 'node:http';
import type { EventEmitter } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';

/** Upstream's defaultGzipThresholdBytes: smaller bodies go uncompressed whatever the client accepts. */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;
/** Upstream's defaultGzipContentEncodingLevel (kubernetes/kubernetes#112296: the least CPU, nearly the same size). */
const GZIP_LEVEL = 1;
/** How many bytes of parts go into one write. */
const BATCH_BYTES = 128 * 1024;

/**
 * Whether the request's Accept-Encoding names gzip, as upstream's negotiateContentEncoding reads it: the
 * comma-separated tokens, trimmed, one of them exactly `gzip` (a token with parameters, `gzip;q=0.5`, is not).
 */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const value = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!value) return false;
  return value.split(',').some((token) => token.trim() === 'gzip');
}

function byteLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Resolves at the first of `events` on any of `emitters` (never rejects), and removes its listeners. */
function firstOf(pairs: [EventEmitter, string][]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const [e, name] of pairs) e.off(name, done);
      resolve();
    };
    for (const [e, name] of pairs) e.on(name, done);
  });
}

/** Writes `parts` to `out` in batches, waiting for 'drain' when it is full; stops early if `res` closes. */
async function writeBatches(out: Writable, parts: readonly Buffer[], res: ServerResponse): Promise<void> {
  let batch: Buffer[] = [];
  let size = 0;
  const flush = async () => {
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, size);
    batch = [];
    size = 0;
    if (!out.write(chunk) && !res.destroyed) await firstOf([[out, 'drain'], [out, 'close'], [res, 'close']]);
  };
  for (const part of parts) {
    if (res.destroyed) return;
    batch.push(part);
    size += part.length;
    if (size >= BATCH_BYTES) await flush();
  }
  if (size > 0 && !res.destroyed) await flush();
}

/**
 * Sends `parts` (together, the JSON body) with status `code`. Resolves when the body is handed to the socket
 * or the client has gone away.
 */
export async function sendParts(res: ServerResponse, code: number, parts: readonly Buffer[], headers: Record<string, string> = {}): Promise<void> {
  const length = byteLength(parts);
  const gzip = length > GZIP_THRESHOLD_BYTES && acceptsGzip(res.req?.headers['accept-encoding']);
  if (!gzip) {
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': length, ...headers });
    if (length <= BATCH_BYTES) {
      res.end(parts.length === 1 ? parts[0] : Buffer.concat(parts as Buffer[], length));
      return;
    }
    await writeBatches(res, parts, res);
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', ...headers });
  const gz = createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 });
  // The compressed bytes follow the socket's pace: the compressor pauses while the response is full.
  gz.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) gz.pause();
  });
  const resume = () => gz.resume();
  res.on('drain', resume);
  gz.on('error', () => res.destroy());
  const finished = firstOf([[gz, 'end'], [gz, 'close'], [res, 'close']]);
  await writeBatches(gz, parts, res);
  gz.end();
  await finished;
  res.off('drain', resume);
  gz.destroy();
  if (!res.destroyed) res.end();
}
