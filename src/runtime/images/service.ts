/**
 * `OciImageService`: the node's ImageService over the content-addressed store (store.ts). It pulls
 * (pull.ts), imports (import.ts), answers status and list, removes images (layers go when no image uses
 * them), reports disk use, hands the oci backend an image's unpacked layer directories (`imageLayers`) and
 * frees disk for the kubelet's image GC (`garbageCollect`, least recently used unused images first).
 *
 * Concurrency: pulls of one normalised reference share one run (the second caller gets the first's result
 * and progress); blob downloads and layer unpacks are single-flight per digest / chain id in the store, so
 * two images sharing a layer also fetch it once. Index writes are serialised by the store's lock.
 */
import { createHash } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { realClock, type Clock } from '../../machinery/index.ts';
import { RuntimeError, type AuthConfig, type Image, type ImageService, type PullProgress } from '../runtime.ts';
import { importArchive as importFiles } from './import.ts';
import type { ImageConfigFile } from './media-types.ts';
import { pullFromRegistry } from './pull.ts';
import { RegistryError } from './registry-client.ts';
import { pullEndpoints, type RegistriesConfig } from './registries.ts';
import { formatReference, parseImageId, parseReference, ReferenceError, repositoryName } from './reference.ts';
import { ImageStore, type ImageRecord } from './store.ts';

export interface OciImageServiceConfig {
  /** The store's directory, e.g. `<data dir>/images`. */
  root: string;
  clock?: Clock;
  /** Filesystem capacity and free bytes of `root` (tests inject a full disk). Default: statfs. */
  fsStats?: (path: string) => Promise<{ capacityBytes: number; availableBytes: number }>;
  /**
   * Endpoints that replace a registry (tests, air-gapped demos): `domain` → endpoint URL
   * (`http://127.0.0.1:5000`). Pulls of `busybox:1.35` with `{ 'docker.io': 'http://127.0.0.1:5000' }` fetch
   * `http://127.0.0.1:5000/v2/library/busybox/manifests/1.35` and nothing else; the image keeps its docker.io
   * name. Unlike `registries` mirrors, the registry itself is never tried.
   */
  mirrors?: Record<string, string>;
  /**
   * The node's registries.yaml (registries.ts): mirrors tried in order before the registry itself, and node
   * credentials by host used when a pull brings none.
   */
  registries?: RegistriesConfig;
  /** A blob download that receives nothing for this long fails the pull (default 60000, the kubelet's 1m). */
  pullProgressDeadlineMs?: number;
  /**
   * Ids of the images that containers (running or not) were created from: the oci backend lists its
   * containers. Their layers are root filesystems in use, so removeImage refuses them and image GC skips
   * them. Default: none known.
   */
  imagesInUse?: () => Promise<Set<string>>;
}

/** What the oci backend needs to build a container's root filesystem. */
export interface ImageLayers {
  id: string;
  /** Unpacked layer directories, lowest first (overlayfs wants them reversed in `lowerdir`). */
  layerDirs: string[];
  config: Image['config'];
  /** The whole image config document. */
  configFile: ImageConfigFile;
}

export interface GarbageCollectOptions {
  /** GC runs when disk use reaches this percent (kubelet --image-gc-high-threshold, default 85). */
  highThresholdPercent: number;
  /** ...and frees down to this percent (--image-gc-low-threshold, default 80). */
  lowThresholdPercent: number;
  /** Image ids that containers use: never removed (together with the service's `imagesInUse`). */
  inUse: Set<string>;
  /** Images pulled or used more recently than this many ms ago are kept (kubelet's minAge). Default 0. */
  minAgeMs?: number;
}

export interface GarbageCollectResult {
  /** Bytes the thresholds asked to free (0 when below the high threshold). */
  bytesToFree: number;
  /** Bytes freed, counted as the kubelet does: the removed images' sizes. */
  freedBytes: number;
  removed: string[];
  /** False when unused images were not enough to reach the low threshold. */
  satisfied: boolean;
}

interface PullRun {
  promise: Promise<string>;
  listeners: Set<(p: PullProgress) => void>;
  /** Callers still waiting; when the last one gives up (its signal aborted), the run is aborted. */
  waiting: number;
  controller: AbortController;
}

function imageConfigOf(file: ImageConfigFile): Image['config'] {
  const c = file.config ?? {};
  return {
    ...(c.User ? { user: c.User } : {}),
    ...(c.Entrypoint ? { entrypoint: [...c.Entrypoint] } : {}),
    ...(c.Cmd ? { cmd: [...c.Cmd] } : {}),
    ...(c.Env ? { env: [...c.Env] } : {}),
    ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
    ...(c.ExposedPorts ? { exposedPorts: Object.keys(c.ExposedPorts) } : {}),
  };
}

export class OciImageService implements ImageService {
  readonly store: ImageStore;
  #clock: Clock;
  #fsStats: NonNullable<OciImageServiceConfig['fsStats']>;
  #registries: RegistriesConfig;
  #replaced: Record<string, string> = {};
  #progressDeadlineMs?: number;
  #imagesInUse: () => Promise<Set<string>>;
  #configs = new Map<string, ImageConfigFile>();
  #pulls = new Map<string, PullRun>();

  constructor(config: OciImageServiceConfig) {
    if (!config.root) throw new Error('OciImageService: root is required');
    this.store = new ImageStore(config.root);
    this.#clock = config.clock ?? realClock;
    this.#progressDeadlineMs = config.pullProgressDeadlineMs;
    this.#imagesInUse = config.imagesInUse ?? (async () => new Set());
    this.#registries = config.registries ?? { mirrors: {}, configs: {} };
    for (const [domain, url] of Object.entries(config.mirrors ?? {})) {
      if (!/^https?:\/\/[^/]+$/.test(url.replace(/\/+$/, ''))) throw new Error(`OciImageService: mirror for ${domain} must be http(s)://host[:port], got ${JSON.stringify(url)}`);
      this.#replaced[domain] = url.replace(/\/+$/, '');
    }
    this.#fsStats =
      config.fsStats ??
      (async (path) => {
        const s = await statfs(path);
        return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
      });
  }

  async pullImage(ref: string, options: { auth?: AuthConfig; signal?: AbortSignal; onProgress?: (p: PullProgress) => void } = {}): Promise<string> {
    await this.store.ready();
    const parsed = this.#parse(ref);
    // A digest names immutable content: when we have it, there is nothing to ask the registry.
    if (parsed.digest) {
      const present = this.#find(ref);
      if (present) {
        this.store.touch(present.id, this.#clock.now());
        return present.id;
      }
    }
    // Callers with other credentials get their own run (one's failure to authorise is not the other's);
    // they still share blob downloads through the store.
    const key = `${formatReference(parsed)}\0${createHash('sha256').update(JSON.stringify(options.auth ?? {})).digest('hex')}`;
    options.signal?.throwIfAborted();
    let run = this.#pulls.get(key);
    if (!run) {
      // One run per reference, with its own signal: it aborts only when every caller waiting on it has.
      const controller = new AbortController();
      const created: PullRun = { promise: Promise.resolve(''), listeners: new Set(), waiting: 0, controller };
      created.promise = pullFromRegistry(this.store, parsed, {
        signal: controller.signal,
        now: () => this.#clock.now(),
        endpoints: this.#replaced[parsed.domain]
          ? [{ url: this.#replaced[parsed.domain]!, repository: parsed.path, ...(options.auth ? { auth: options.auth } : {}) }]
          : pullEndpoints(this.#registries, parsed.domain, parsed.path, options.auth),
        progressDeadlineMs: this.#progressDeadlineMs,
        onProgress: (p) => {
          for (const l of created.listeners) l(p);
        },
      })
        .then((img) => img.id)
        .catch((err: unknown) => {
          // "Pulls an image (or finds it present)": a registry we cannot reach at all (an air-gapped node,
          // images imported) does not fail a pull of an image we hold under that name. A registry that
          // answers (not found, unauthorised) is believed.
          const cause = (err as Error).cause;
          const present = cause instanceof RegistryError && cause.registryCode === 'UNREACHABLE' && !parsed.digest ? this.#find(ref) : undefined;
          if (!present) throw err;
          this.store.touch(present.id, this.#clock.now());
          return present.id;
        })
        .finally(() => this.#pulls.delete(key));
      // Callers get the error through #join; this keeps a run that every caller gave up on from being an
      // unhandled rejection.
      created.promise.catch(() => undefined);
      run = created;
      this.#pulls.set(key, run);
    }
    return this.#join(run, options.signal, options.onProgress);
  }

  async #join(run: PullRun, signal?: AbortSignal, onProgress?: (p: PullProgress) => void): Promise<string> {
    run.waiting++;
    if (onProgress) run.listeners.add(onProgress);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run.promise, aborted]);
    } finally {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      if (onProgress) run.listeners.delete(onProgress);
      run.waiting--;
      if (run.waiting === 0 && signal?.aborted) run.controller.abort(signal.reason);
    }
  }

  async imageStatus(ref: string): Promise<Image | undefined> {
    await this.store.ready();
    const img = this.#find(ref);
    return img ? this.#toImage(img) : undefined;
  }

  async listImages(): Promise<Image[]> {
    await this.store.ready();
    return Promise.all(this.store.images().map((img) => this.#toImage(img)));
  }

  /**
   * Removes the image with all its tags (as the CRI does); its blobs and layers go unless another image uses
   * them. 'FailedPrecondition' while a container uses the image (see `imagesInUse`).
   */
  async removeImage(ref: string): Promise<void> {
    await this.store.ready();
    const inUse = await this.#imagesInUse();
    await this.store.locked(async () => {
      const img = this.#find(ref);
      if (!img) return;
      if (inUse.has(img.id)) {
        throw new RuntimeError('FailedPrecondition', `conflict: unable to remove image "${ref}" (${img.id.slice(7, 19)}): it is in use by a container`);
      }
      this.#configs.delete(img.id);
      await this.store.remove(img.id);
    });
  }

  async imageFsInfo(): Promise<{ mountpoint: string; usedBytes: number; capacityBytes: number; availableBytes: number }> {
    await this.store.ready();
    const { capacityBytes, availableBytes } = await this.#fsStats(this.store.root);
    return { mountpoint: this.store.root, usedBytes: await this.store.diskUsage(), capacityBytes, availableBytes };
  }

  /**
   * Imports an OCI layout, OCI archive or Docker archive (`kubeling image import`); `tag` names the image too.
   * Returns the images imported.
   */
  async importArchive(path: string, options: { tag?: string; signal?: AbortSignal } = {}): Promise<Image[]> {
    await this.store.ready();
    const records = await importFiles(this.store, path, { ...options, now: () => this.#clock.now() });
    return Promise.all(records.map((r) => this.#toImage(r)));
  }

  /**
   * The unpacked layers of a present image (by reference or id), lowest first, for an overlay root
   * filesystem; re-unpacks a layer directory that went missing. Marks the image used now. 'NotFound' when
   * the image is absent. While a container uses these directories its image must not be removed: the
   * kubelet's image GC passes running containers' images in `inUse`.
   */
  async imageLayers(ref: string): Promise<ImageLayers> {
    await this.store.ready();
    const img = this.#find(ref);
    if (!img) throw new RuntimeError('NotFound', `image "${ref}" not found`);
    for (const l of img.layers) await this.store.ensureLayer(l, undefined);
    this.store.touch(img.id, this.#clock.now());
    const configFile = await this.#config(img);
    return { id: img.id, layerDirs: img.layers.map((l) => this.store.layerDir(l.chainId)), config: imageConfigOf(configFile), configFile };
  }

  /**
   * The kubelet's image GC: when disk use is at or above `highThresholdPercent`, removes unused images
   * (not in `inUse`), least recently used first, until the freed image sizes bring use down to
   * `lowThresholdPercent`.
   */
  async garbageCollect(options: GarbageCollectOptions): Promise<GarbageCollectResult> {
    const { highThresholdPercent: high, lowThresholdPercent: low } = options;
    if (!(high >= 0 && high <= 100 && low >= 0 && low <= high)) {
      throw new RuntimeError('InvalidArgument', `image GC thresholds need 0 <= low (${low}) <= high (${high}) <= 100`);
    }
    await this.store.ready();
    const { capacityBytes, availableBytes } = await this.#fsStats(this.store.root);
    const result: GarbageCollectResult = { bytesToFree: 0, freedBytes: 0, removed: [], satisfied: true };
    if (capacityBytes <= 0) return result;
    const usagePercent = 100 - Math.floor((availableBytes * 100) / capacityBytes);
    if (usagePercent < high) return result;
    result.bytesToFree = Math.max(0, Math.floor((capacityBytes * (100 - low)) / 100) - availableBytes);
    const now = this.#clock.now();
    const minAge = options.minAgeMs ?? 0;
    const inUse = new Set([...options.inUse, ...(await this.#imagesInUse())]);
    await this.store.locked(async () => {
      const candidates = this.store
        .images()
        .filter((img) => !inUse.has(img.id) && now - img.lastUsedAt >= minAge)
        .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.createdAt - b.createdAt);
      for (const img of candidates) {
        if (result.freedBytes >= result.bytesToFree) break;
        await this.store.remove(img.id);
        this.#configs.delete(img.id);
        result.freedBytes += img.size;
        result.removed.push(img.id);
      }
    });
    result.satisfied = result.freedBytes >= result.bytesToFree;
    return result;
  }

  #parse(ref: string) {
    try {
      return parseReference(ref);
    } catch (err) {
      if (err instanceof ReferenceError) throw new RuntimeError('InvalidArgument', err.message, { cause: err });
      throw err;
    }
  }

  /** An image by id (full, bare hex, or a unique prefix of at least 12 hex), tag, or repo digest. */
  #find(ref: string): ImageRecord | undefined {
    const id = parseImageId(ref);
    if (id) return this.store.get(id);
    let parsed;
    try {
      parsed = parseReference(ref);
    } catch (err) {
      const prefix = /^(?:sha256:)?([a-f0-9]{12,63})$/.exec(ref)?.[1];
      if (prefix) return this.#byPrefix(prefix);
      if (err instanceof ReferenceError) throw new RuntimeError('InvalidArgument', err.message, { cause: err });
      throw err;
    }
    const images = this.store.images();
    if (parsed.digest) {
      const name = `${repositoryName(parsed)}@${parsed.digest}`;
      return (
        images.find((i) => i.repoDigests.includes(name)) ??
        images.find((i) => i.manifestDigest === parsed.digest && [...i.repoTags, ...i.repoDigests].some((r) => r.startsWith(repositoryName(parsed) + (r.includes('@') ? '@' : ':'))))
      );
    }
    const tagged = formatReference(parsed);
    const found = images.find((i) => i.repoTags.includes(tagged));
    if (found) return found;
    const prefix = /^(?:sha256:)?([a-f0-9]{12,63})$/.exec(ref)?.[1];
    return prefix ? this.#byPrefix(prefix) : undefined;
  }

  #byPrefix(prefix: string): ImageRecord | undefined {
    const matches = this.store.images().filter((i) => i.id.startsWith(`sha256:${prefix}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  async #config(img: ImageRecord): Promise<ImageConfigFile> {
    let c = this.#configs.get(img.id);
    if (!c) {
      c = await this.store.config(img);
      this.#configs.set(img.id, c);
    }
    return c;
  }

  async #toImage(img: ImageRecord): Promise<Image> {
    return {
      id: img.id,
      repoTags: [...img.repoTags],
      repoDigests: [...img.repoDigests],
      size: img.size,
      config: imageConfigOf(await this.#config(img)),
    };
  }
}
