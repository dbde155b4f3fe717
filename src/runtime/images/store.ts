/**
 * The content-addressed image store under one data dir:
 *
 *   <root>/blobs/sha256/<hex>      manifests, configs and layer blobs as pulled or imported (verified)
 *   <root>/layers/<chain id hex>/  each layer unpacked once, whiteouts in overlayfs form, keyed by chain id
 *   <root>/images.json             the index: image id (config digest) → tags, digests, manifest, layers
 *   <root>/images.lock             held (O_EXCL file with the holder's pid) while the index is rewritten
 *   <root>/tmp/<pid>-<rand>/       this process's downloads and unpacks in progress
 *
 * Everything lands by rename from tmp/, so a crash leaves either the old state or the new one; a dead
 * process's tmp dir is removed by the next one to open the store. One write per blob digest and one unpack
 * per chain id run at a time (single flight), whoever asks: that is how concurrent pulls of one image, or of
 * two images sharing a layer, download and unpack once. Removal skips blobs and layers that a pull in
 * progress has pinned.
 *
 * Several processes may share a store (a node agent and a `kubeling image import` next to it): index
 * rewrites take the lock file and re-read the index first, and every read checks whether the file changed,
 * so each sees the others' images. Orphans (layers or blobs no image names) are swept at open only when no
 * other live process uses the store, since they may be another process's pull in progress.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageConfigFile } from './media-types.ts';
import { unpackLayer, type LayerCompression } from './unpack.ts';

export interface StoredLayer {
  /** Digest of the blob as stored (compressed). */
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
  /** Bytes of the uncompressed layer tar (about its unpacked size on disk). */
  unpackedSize?: number;
}

export interface ImageRecord {
  /** The config digest. */
  id: string;
  /** Normalised `domain/path:tag`. */
  repoTags: string[];
  /** Normalised `domain/path@sha256:…` (the digest a tag resolved to: manifest or index). */
  repoDigests: string[];
  manifestDigest: string;
  configDigest: string;
  layers: StoredLayer[];
  /** Bytes of blobs (manifest, config, compressed layers). */
  size: number;
  /** ms since epoch. */
  createdAt: number;
  lastUsedAt: number;
}

interface IndexFile {
  version: 1;
  images: ImageRecord[];
}

export function digestHex(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`unsupported digest ${JSON.stringify(digest)} (want sha256:<64 hex>)`);
  return digest.slice(7);
}

/** The OCI chain ids of a layer stack: chain[0] = diff[0]; chain[i] = sha256(chain[i-1] + " " + diff[i]). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/** Which digest a blob stream failed to match: the caller's cue to throw a pull error. */
export class DigestMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** Scratch dirs of the stores open in this process (two services on one root in one process: tests). */
const openStores = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every blob an image keeps: manifest, config, layers, and the index its repo digest names (if pulled by one). */
export function blobsOf(img: ImageRecord): string[] {
  const digests = [img.manifestDigest, img.configDigest, ...img.layers.map((l) => l.digest), ...img.repoDigests.map((r) => r.slice(r.indexOf('@') + 1))];
  return [...new Set(digests)];
}

export class ImageStore {
  readonly root: string;
  #images = new Map<string, ImageRecord>();
  #lock: Promise<void> = Promise.resolve();
  #blobWrites = new Map<string, Promise<void>>();
  #unpacks = new Map<string, Promise<number>>();
  /** digest or chain id → number of operations in progress that need it. */
  #pins = new Map<string, number>();
  /** chain id → unpacked size, for disk-use reports. */
  #layerSizes = new Map<string, number>();
  #opened?: Promise<void>;
  /** mtime/size/inode of images.json when this process last read or wrote it. */
  #indexStamp = '';
  /** This process's scratch directory under tmp/. */
  readonly tmp: string;

  constructor(root: string) {
    this.root = root;
    this.tmp = join(root, 'tmp', `${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  layerDir(chainId: string): string {
    return join(this.root, 'layers', digestHex(chainId));
  }

  /**
   * Opens the store (once: directories, index, leftovers of dead processes), then picks up index changes
   * other processes made. Called by every public entry; cheap after the first call (one stat).
   */
  async ready(): Promise<void> {
    this.#opened ??= this.#open();
    await this.#opened;
    await this.#refresh();
  }

  async #open(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'layers'), { recursive: true });
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    let othersAlive = false;
    for (const name of await readdir(join(this.root, 'tmp'))) {
      const path = join(this.root, 'tmp', name);
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (pid === process.pid ? openStores.has(path) : pid && isAlive(pid)) othersAlive = true;
      else await rm(path, { recursive: true, force: true });
    }
    await mkdir(this.tmp, { recursive: true });
    openStores.add(this.tmp);
    await this.#withFileLock(async () => {
      await this.#refresh();
      if (!othersAlive) await this.#sweep();
    });
  }

  /** Re-reads images.json if another process (or a crash-restart) changed it since we last saw it. */
  async #refresh(): Promise<void> {
    const path = join(this.root, 'images.json');
    const st = await stat(path).catch(() => undefined);
    const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
    if (stamp === this.#indexStamp) return;
    let file: IndexFile = { version: 1, images: [] };
    if (st) {
      try {
        file = JSON.parse(await readFile(path, 'utf8')) as IndexFile;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`image index ${path} unreadable`, { cause: err });
      }
    }
    const previous = this.#images;
    this.#images = new Map();
    for (const img of file.images) {
      // lastUsedAt moves in memory between saves: keep the later of ours and the file's.
      const mine = previous.get(img.id);
      if (mine) img.lastUsedAt = Math.max(img.lastUsedAt, mine.lastUsedAt);
      this.#images.set(img.id, img);
      for (const l of img.layers) if (l.unpackedSize !== undefined) this.#layerSizes.set(l.chainId, l.unpackedSize);
    }
    this.#indexStamp = stamp;
  }

  /**
   * Runs `fn` holding the index lock: in this process (a promise chain) and across processes (the lock
   * file), with the index re-read first. Every index change goes through here.
   */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.ready();
    const prev = this.#lock;
    let release!: () => void;
    this.#lock = new Promise((r) => (release = r));
    await prev;
    try {
      return await this.#withFileLock(async () => {
        await this.#refresh();
        return fn();
      });
    } finally {
      release();
    }
  }

  async #withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = join(this.root, 'images.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
        // A holder that died (or a lock file left half-written) is stale: take the lock over.
        if (!holder || (holder !== process.pid && !isAlive(holder))) {
          await unlink(lock).catch(() => undefined);
          continue;
        }
        if (attempt > 3000) throw new Error(`image store ${this.root}: lock held by pid ${holder} for over a minute`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  images(): ImageRecord[] {
    return [...this.#images.values()];
  }

  get(id: string): ImageRecord | undefined {
    return this.#images.get(id);
  }

  /** Saves the index (call with the lock held). */
  async #save(): Promise<void> {
    const tmp = join(this.tmp, `images.json.${randomBytes(4).toString('hex')}`);
    const file: IndexFile = { version: 1, images: this.images() };
    await writeFile(tmp, JSON.stringify(file, null, 1));
    await rename(tmp, join(this.root, 'images.json'));
    const st = await stat(join(this.root, 'images.json'));
    this.#indexStamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
  }

  /**
   * Adds or updates an image and moves `repoTags`/`repoDigests` to it from any other image (a tag names one
   * image). Call with the lock held.
   */
  async put(record: Omit<ImageRecord, 'createdAt' | 'lastUsedAt'>, now: number): Promise<ImageRecord> {
    for (const other of this.#images.values()) {
      if (other.id === record.id) continue;
      other.repoTags = other.repoTags.filter((t) => !record.repoTags.includes(t));
    }
    const existing = this.#images.get(record.id);
    const merged: ImageRecord = existing
      ? {
          ...existing,
          repoTags: [...new Set([...existing.repoTags, ...record.repoTags])],
          repoDigests: [...new Set([...existing.repoDigests, ...record.repoDigests])],
          lastUsedAt: now,
        }
      : { ...record, createdAt: now, lastUsedAt: now };
    this.#images.set(record.id, merged);
    await this.#save();
    return merged;
  }

  /** Marks an image used now (image GC removes least recently used first); persisted with the next save. */
  touch(id: string, now: number): void {
    const img = this.#images.get(id);
    if (img) img.lastUsedAt = Math.max(img.lastUsedAt, now);
  }

  pin(keys: string[]): () => void {
    for (const k of keys) this.#pins.set(k, (this.#pins.get(k) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of keys) {
        const n = (this.#pins.get(k) ?? 1) - 1;
        if (n <= 0) this.#pins.delete(k);
        else this.#pins.set(k, n);
      }
    };
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /**
   * Stores a blob unless present: `open()` gives its content; the bytes are verified against `digest`
   * before they land. Concurrent calls for one digest share one write (and one download).
   */
  writeBlob(digest: string, open: () => Promise<Readable>, onBytes?: (n: number) => void): Promise<void> {
    digestHex(digest);
    const running = this.#blobWrites.get(digest);
    if (running) return running;
    const work = (async () => {
      if (this.hasBlob(digest)) return;
      const tmp = join(this.tmp, `blob-${randomBytes(8).toString('hex')}`);
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          onBytes?.(chunk.length);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(await open(), tap, createWriteStream(tmp));
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== digest) throw new DigestMismatchError(digest, actual);
        await rename(tmp, this.blobPath(digest));
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    })().finally(() => this.#blobWrites.delete(digest));
    this.#blobWrites.set(digest, work);
    return work;
  }

  /** Stores bytes already in memory (manifests, configs), verified. */
  async writeBlobBytes(digest: string, data: Buffer): Promise<void> {
    await this.writeBlob(digest, async () => Readable.from([data]));
  }

  /**
   * Unpacks a layer blob into its chain-id directory unless there already: into tmp/, then renamed, so the
   * directory either holds the whole layer or does not exist. One unpack per chain id at a time.
   */
  ensureLayer(layer: StoredLayer, compression: LayerCompression | undefined, signal?: AbortSignal): Promise<number> {
    const running = this.#unpacks.get(layer.chainId);
    if (running) return running;
    const work = (async () => {
      const dir = this.layerDir(layer.chainId);
      if (existsSync(dir)) return this.#layerSizes.get(layer.chainId) ?? layer.unpackedSize ?? 0;
      const tmp = join(this.tmp, `layer-${digestHex(layer.chainId).slice(0, 12)}-${randomBytes(4).toString('hex')}`);
      await mkdir(tmp);
      try {
        const { size } = await unpackLayer(this.blobPath(layer.digest), tmp, { compression, expectedDiffId: layer.diffId, signal });
        try {
          await rename(tmp, dir);
        } catch (err) {
          // Another process unpacked the same layer first: theirs is as good as ours.
          const code = (err as NodeJS.ErrnoException).code;
          if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(dir)) throw err;
          await rm(tmp, { recursive: true, force: true });
        }
        this.#layerSizes.set(layer.chainId, size);
        return size;
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    })().finally(() => this.#unpacks.delete(layer.chainId));
    this.#unpacks.set(layer.chainId, work);
    return work;
  }

  /** Bytes the store uses: its blobs plus its unpacked layers. */
  async diskUsage(): Promise<number> {
    let total = 0;
    for (const d of new Set(this.images().flatMap(blobsOf))) total += (await stat(this.blobPath(d)).catch(() => undefined))?.size ?? 0;
    for (const chain of new Set(this.images().flatMap((i) => i.layers.map((l) => l.chainId)))) total += this.#layerSizes.get(chain) ?? 0;
    return total;
  }

  /** Reads and parses an image's config blob. */
  async config(img: ImageRecord): Promise<ImageConfigFile> {
    return JSON.parse((await this.readBlob(img.configDigest)).toString()) as ImageConfigFile;
  }

  /**
   * Removes an image record, then every blob and layer directory no remaining image (and no pinned
   * operation) uses. Returns the bytes of blobs removed. Call with the lock held.
   */
  async remove(id: string): Promise<number> {
    const img = this.#images.get(id);
    if (!img) return 0;
    this.#images.delete(id);
    await this.#save();
    const usedBlobs = new Set<string>();
    const usedLayers = new Set<string>();
    for (const other of this.#images.values()) {
      for (const d of blobsOf(other)) usedBlobs.add(d);
      for (const l of other.layers) usedLayers.add(l.chainId);
    }
    let freed = 0;
    for (const l of img.layers) {
      if (usedLayers.has(l.chainId) || this.#pins.has(l.chainId)) continue;
      await this.#removeDir(this.layerDir(l.chainId));
    }
    for (const d of blobsOf(img)) {
      if (usedBlobs.has(d) || this.#pins.has(d)) continue;
      const st = await stat(this.blobPath(d)).catch(() => undefined);
      if (!st) continue;
      await rm(this.blobPath(d), { force: true });
      freed += st.size;
    }
    return freed;
  }

  /** Renames a directory into tmp/ first (atomic from readers' view), then deletes it. */
  async #removeDir(dir: string): Promise<void> {
    if (!existsSync(dir)) return;
    const trash = join(this.tmp, `rm-${randomBytes(6).toString('hex')}`);
    await rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }

  /** Removes layer directories and blobs that no image uses (left by a crash between steps); at open. */
  async #sweep(): Promise<void> {
    const usedLayers = new Set(this.images().flatMap((i) => i.layers.map((l) => digestHex(l.chainId))));
    for (const name of await readdir(join(this.root, 'layers'))) {
      if (!usedLayers.has(name)) await this.#removeDir(join(this.root, 'layers', name));
    }
    const usedBlobs = new Set(this.images().flatMap((i) => blobsOf(i).map(digestHex)));
    for (const name of await readdir(join(this.root, 'blobs', 'sha256'))) {
      if (!usedBlobs.has(name)) await rm(join(this.root, 'blobs', 'sha256', name), { force: true });
    }
  }
}
