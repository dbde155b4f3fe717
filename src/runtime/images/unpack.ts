/**
 * Unpacks one image layer into a directory that overlayfs can stack: GNU tar extracts (modes, owners,
 * symlinks, hard links, devices, xattrs), then OCI whiteouts become overlay whiteouts: `.wh.<name>` a 0/0
 * character device `<name>`, `.wh..wh..opq` the `trusted.overlay.opaque=y` xattr on its directory. Both
 * conversions go through one more GNU tar run (a tar of device entries and xattr-carrying directory entries
 * built here), so no per-file processes. The caller unpacks into a temp dir and renames it into place, so a
 * crash never leaves a half layer.
 *
 * Node decompresses (gzip, zstd or none) and hashes the uncompressed stream on its way to tar, so the layer's
 * diff id is checked against the image config while it unpacks.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import tar from 'tar-stream';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface UnpackResult {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar (about the unpacked size). */
  size: number;
}

/** Magic bytes decide when a media type does not (Docker archives, `+gzip` that is not). */
export function sniffCompression(head: Buffer): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

function decompressor(compression: LayerCompression): Transform {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompress();
  return new PassThrough();
}

/**
 * Runs `tar` with `args`, feeding it the output of `streams` (a pipeline); resolves with tar's stdout and
 * rejects with its stderr. Input tar does not read (padding after the end-of-archive marker) is still read
 * and discarded, so hashing transforms in `streams` see every byte.
 */
async function runTar(args: string[], streams: (Readable | Transform)[], signal?: AbortSignal): Promise<string> {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'], signal });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  let stdinGone = false;
  child.stdin.on('error', () => (stdinGone = true));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (stdinGone || child.stdin.destroyed) return cb();
      if (child.stdin.write(chunk)) return cb();
      const go = () => {
        child.stdin.off('drain', go);
        child.stdin.off('close', go);
        cb();
      };
      child.stdin.on('drain', go);
      child.stdin.on('close', go);
    },
    final(cb) {
      if (!child.stdin.destroyed) child.stdin.end();
      cb();
    },
  });
  let fed: unknown;
  try {
    await pipeline([...streams, sink] as unknown as Parameters<typeof pipeline>[0][], { signal });
  } catch (err) {
    fed = err;
    child.stdin.destroy();
  }
  const code = await exited;
  if (code !== 0) throw new Error(`tar ${args[0]} failed (exit ${code}): ${stderr.trim()}`);
  if (fed) throw fed;
  return stdout;
}

/** Reverses GNU tar's `--quoting-style=escape` (C escapes and octal). */
function unescapeName(s: string): string {
  return s.replace(/\\([0-7]{3}|.)/g, (_, e: string) => {
    if (e.length === 3) return String.fromCharCode(parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', b: '\b', a: '\x07', '\\': '\\', '?': '?' } as Record<string, string>)[e] ?? e;
  });
}

const TAR_EXTRACT = [
  '-x',
  '-v',
  '--quoting-style=escape',
  '--numeric-owner',
  '--same-owner',
  '--same-permissions',
  '--xattrs',
  '--xattrs-include=*',
  // Directories' modes (also read-only ones) are set after their contents are in.
  '--delay-directory-restore',
];

/**
 * Unpacks a layer blob into `dir` (which must exist and be empty) and converts OCI whiteouts. Throws when
 * the blob's uncompressed digest is not `expectedDiffId` (when given). Needs root for owners, devices and
 * trusted.* xattrs.
 */
export async function unpackLayer(
  blobPath: string,
  dir: string,
  options: { compression?: LayerCompression; expectedDiffId?: string; signal?: AbortSignal } = {},
): Promise<UnpackResult> {
  let compression = options.compression;
  if (compression === undefined) {
    const fh = createReadStream(blobPath, { start: 0, end: 3 });
    const chunks: Buffer[] = [];
    for await (const c of fh) chunks.push(c as Buffer);
    compression = sniffCompression(Buffer.concat(chunks));
  }
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const listing = await runTar([...TAR_EXTRACT, '-C', dir, '-f', '-'], [createReadStream(blobPath), decompressor(compression), tap], options.signal);
  const diffId = `sha256:${hash.digest('hex')}`;
  if (options.expectedDiffId && diffId !== options.expectedDiffId) {
    throw new Error(`layer ${blobPath}: uncompressed digest ${diffId} does not match diff id ${options.expectedDiffId}`);
  }
  const whiteouts = listing
    .split('\n')
    .filter((line) => line.includes('.wh.'))
    .map((line) => unescapeName(line).replace(/^\.?\/+/, ''))
    .filter((p) => (p.split('/').pop() ?? '').startsWith('.wh.'));
  if (whiteouts.length > 0) await convertWhiteouts(dir, whiteouts, options.signal);
  return { diffId, size };
}

/**
 * Turns OCI whiteout files into overlayfs ones. A whiteout for a name that this same layer also has does
 * nothing (the spec says whiteouts only apply to lower layers).
 */
async function convertWhiteouts(dir: string, paths: string[], signal?: AbortSignal): Promise<void> {
  const devices: string[] = [];
  const opaque: { path: string; mode: number; uid: number; gid: number; mtime: Date }[] = [];
  for (const p of paths) {
    const slash = p.lastIndexOf('/');
    const parent = slash < 0 ? '' : p.slice(0, slash);
    const base = p.slice(slash + 1);
    await rm(join(dir, p), { force: true });
    if (base === '.wh..wh..opq') {
      const st = await lstat(join(dir, parent || '.'));
      opaque.push({ path: parent, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime });
    } else if (base.startsWith('.wh..wh.')) {
      // Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): not content, dropped.
    } else {
      const target = (parent ? parent + '/' : '') + base.slice(4);
      const exists = await lstat(join(dir, target)).then(
        () => true,
        () => false,
      );
      if (!exists) devices.push(target);
    }
  }
  const pack = tar.pack();
  const add = (header: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => pack.entry(header as unknown as tar.Header, (err) => (err ? reject(err) : resolve())));
  const feeding = (async () => {
    for (const d of devices) await add({ name: d, type: 'character-device', devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0 });
    for (const o of opaque) {
      await add({
        name: (o.path || '.') + '/',
        type: 'directory',
        mode: o.mode,
        uid: o.uid,
        gid: o.gid,
        mtime: o.mtime,
        pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' },
      });
    }
    pack.finalize();
  })();
  await Promise.all([runTar(['-x', '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=trusted.*', '-C', dir, '-f', '-'], [pack as unknown as Readable], signal), feeding]);
}
