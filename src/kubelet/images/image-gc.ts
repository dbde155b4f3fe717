/**
 * Image garbage collection by disk usage (upstream pkg/kubelet/images/image_gc_manager.go): every 5 minutes,
 * when the image filesystem is used above `--image-gc-high-threshold` percent (default 85), unused images are
 * deleted, least recently used first, until usage is back under `--image-gc-low-threshold` (default 80).
 * An image any container uses (running or not: its record still names it) is never deleted, nor one first
 * seen less than `minimumGCAge` (2 min) ago. "Last used" is when the kubelet last saw a container on it.
 */
import type { Container, Image, ImageService } from '../../runtime/runtime.ts';
import { realClock, type Clock, type Logger } from '../../machinery/index.ts';
import type { Manager } from '../manager.ts';

export interface ImageGCPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  /** Images younger than this are kept (default 2 min). */
  minimumGCAgeMs?: number;
}

export interface ImageGCConfig {
  images: Pick<ImageService, 'listImages' | 'removeImage' | 'imageFsInfo'>;
  /** Every container the runtime knows (any state). */
  containers: () => Promise<Pick<Container, 'image' | 'imageRef'>[]>;
  policy: ImageGCPolicy;
  periodMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  size: number;
}

/** Checks the thresholds as the kubelet does; throws with its message. */
export function validateImageGCPolicy(p: ImageGCPolicy): void {
  if (p.highThresholdPercent < 0 || p.highThresholdPercent > 100)
    throw new Error(`invalid HighThresholdPercent ${p.highThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent < 0 || p.lowThresholdPercent > 100)
    throw new Error(`invalid LowThresholdPercent ${p.lowThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent > p.highThresholdPercent)
    throw new Error(`LowThresholdPercent ${p.lowThresholdPercent} can not be higher than HighThresholdPercent ${p.highThresholdPercent}`);
}

export class ImageGCManager implements Manager {
  readonly name = 'image gc manager';
  readonly #c: ImageGCConfig;
  readonly #clock: Clock;
  readonly #records = new Map<string, ImageRecord>();

  constructor(config: ImageGCConfig) {
    validateImageGCPolicy(config.policy);
    this.#c = config;
    this.#clock = config.clock ?? realClock;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.garbageCollect();
      } catch (err) {
        this.#c.logger?.warn({ err }, 'image garbage collection failed');
      }
      try {
        await this.#clock.sleep(this.#c.periodMs ?? 300_000, signal);
      } catch {
        return;
      }
    }
  }

  /** Records which images exist and which are in use now; returns the ids in use. */
  async detectImages(): Promise<{ images: Image[]; inUse: Set<string> }> {
    const now = this.#clock.now();
    const images = await this.#c.images.listImages();
    const inUse = new Set<string>();
    for (const c of await this.#c.containers()) {
      const img = images.find((i) => i.id === c.imageRef || i.id === c.image || i.repoTags.includes(c.image) || i.repoDigests.includes(c.image));
      if (img) inUse.add(img.id);
    }
    for (const img of images) {
      const r = this.#records.get(img.id) ?? { firstDetected: now, lastUsed: 0, size: img.size };
      if (inUse.has(img.id)) r.lastUsed = now;
      r.size = img.size;
      this.#records.set(img.id, r);
    }
    for (const id of [...this.#records.keys()]) if (!images.some((i) => i.id === id)) this.#records.delete(id);
    return { images, inUse };
  }

  /** One pass: when usage is at or above the high threshold, free down to the low one. Returns the ids removed. */
  async garbageCollect(): Promise<string[]> {
    const { inUse } = await this.detectImages();
    const fs = await this.#c.images.imageFsInfo();
    if (fs.capacityBytes <= 0) return [];
    const usagePercent = 100 - Math.floor((fs.availableBytes * 100) / fs.capacityBytes);
    if (usagePercent < this.#c.policy.highThresholdPercent) return [];
    const toFree = Math.floor((fs.capacityBytes * (100 - this.#c.policy.lowThresholdPercent)) / 100) - fs.availableBytes;
    this.#c.logger?.info({ usagePercent, highThreshold: this.#c.policy.highThresholdPercent, toFree }, 'image filesystem above the high threshold: freeing images');
    return this.#freeSpace(toFree, inUse);
  }

  /** Frees every unused image old enough (the eviction manager's reclaim under disk pressure). */
  async deleteUnusedImages(): Promise<string[]> {
    const { inUse } = await this.detectImages();
    return this.#freeSpace(Number.MAX_SAFE_INTEGER, inUse);
  }

  async #freeSpace(bytes: number, inUse: Set<string>): Promise<string[]> {
    const now = this.#clock.now();
    const minAge = this.#c.policy.minimumGCAgeMs ?? 120_000;
    const candidates = [...this.#records.entries()]
      .filter(([id, r]) => !inUse.has(id) && now - r.firstDetected >= minAge)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    const removed: string[] = [];
    let freed = 0;
    for (const [id, r] of candidates) {
      if (freed >= bytes) break;
      try {
        await this.#c.images.removeImage(id);
      } catch (err) {
        this.#c.logger?.warn({ err, image: id }, 'image garbage collection: remove failed');
        continue;
      }
      this.#records.delete(id);
      removed.push(id);
      freed += r.size;
    }
    return removed;
  }
}
