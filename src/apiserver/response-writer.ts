/**
 * Writing a response body that may be large (a list page, a Table, a whole unpaged list) as upstream's
 * `responsewriters.SerializeObject` does: gzip (level 1) when the client sent `Accept-Encoding: gzip` and the
 * body is over 128 KiB, with `Content-Encoding: gzip` and `Vary: Accept-Encoding`; otherwise the bytes as
 * they are. The body comes as parts (already-encoded objects, spliced, or rows made as they are taken), never
 * joined into one buffer: they go out in batches of about 128 KiB, each written when the socket (or the
 * compressor) has room, so a list of 100,000 objects is never whole in memory in a second form, and
 * compression runs on libuv's threads beside the event loop.
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

/**
 * Writes `first`, then what is left of `rest`, to `out` in batches, waiting for 'drain' when it is full (so
 * the parts are made no faster than the client takes them); stops early if `res` closes.
 */
async function writeBatches(out: Writable, first: readonly Buffer[], rest: Iterator<Buffer>, res: ServerResponse): Promise<void> {
  let batch: Buffer[] = [];
  let size = 0;
  const add = async (part: Buffer) => {
    batch.push(part);
    size += part.length;
    if (size >= BATCH_BYTES) await flush();
  };
  const flush = async () => {
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, size);
    batch = [];
    size = 0;
    if (!out.write(chunk) && !res.destroyed) await firstOf([[out, 'drain'], [out, 'close'], [res, 'close']]);
  };
  for (const part of first) await add(part);
  for (let next = rest.next(); !next.done && !res.destroyed; next = rest.next()) await add(next.value);
  if (size > 0 && !res.destroyed) await flush();
}

/**
 * Sends `parts` (together, the JSON body; made as they are taken) with status `code`, deciding the encoding
 * as upstream's deferredResponseWriter does: the first 128 KiB are gathered; a body that ends within them goes
 * as it is with its Content-Length; a longer one is gzipped for a client that accepts gzip, and otherwise
 * sent as it comes (chunked, with its length when it turned out to be known). Resolves when the body is handed
 * to the socket or the client has gone away.
 */
export async function sendParts(res: ServerResponse, code: number, parts: Iterable<Buffer>, headers: Record<string, string> = {}): Promise<void> {
  const rest = parts[Symbol.iterator]();
  const head: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length <= GZIP_THRESHOLD_BYTES) {
    const next = rest.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  const gzip = length > GZIP_THRESHOLD_BYTES && acceptsGzip(res.req?.headers['accept-encoding']);
  if (!gzip) {
    res.writeHead(code, { 'Content-Type': 'application/json', ...(ended ? { 'Content-Length': String(length) } : {}), ...headers });
    if (ended && length <= BATCH_BYTES) {
      res.end(head.length === 1 ? head[0] : Buffer.concat(head, length));
      return;
    }
    await writeBatches(res, head, rest, res);
    if (!res.destroyed) res.end();
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
  try {
    await writeBatches(gz, head, rest, res);
    gz.end();
    await finished;
  } finally {
    // Also when making a part threw: the compressor's handle is let go either way.
    res.off('drain', resume);
    gz.destroy();
  }
  if (!res.destroyed) res.end();
}
