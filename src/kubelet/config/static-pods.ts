/**
 * Static pods: manifests in a directory (`<data>/manifests`, `--pod-manifest-path`) that the kubelet runs
 * without the API server, like the real kubelet's file source. A scan reads every file not starting with `.`
 * (YAML or JSON, a Pod or a PodList, several YAML documents allowed), applies the API's defaults, then the
 * kubelet's static-pod defaulting:
 *
 *   uid         md5 of `host:<node>` + `file:<path>` + the manifest, so an edit yields a new pod (new UID)
 *   name        `<name>-<node>`, namespace `default` when unset, spec.nodeName = the node
 *   annotations kubernetes.io/config.source=file, config.hash=<uid>, config.seen=<first seen>
 *   tolerations + {operator: Exists, effect: NoExecute}; status.phase Pending
 *
 * FileSource rescans on fs.watch events and every `periodMs` (fileCheckFrequency, 20 s), reporting the whole
 * set each time; PodConfig turns that into ADD/UPDATE/REMOVE.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { defaultPod } from '../../api/index.ts';
import { realClock, type Clock } from '../../machinery/index.ts';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_CONFIG_SEEN, ANNOTATION_CONFIG_SOURCE } from './pod-config.ts';

export interface ManifestError {
  file: string;
  message: string;
}

/** Parses one manifest file into pods (before static defaulting). Throws with a clear message on bad input. */
export function parseManifest(text: string): IPod[] {
  const pods: IPod[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
    const obj = doc.toJS() as { kind?: string; items?: IPod[] } | null;
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object') throw new Error('manifest is not an object');
    if (obj.kind === 'PodList') pods.push(...(obj.items ?? []));
    else if (obj.kind === 'Pod') pods.push(obj as IPod);
    else throw new Error(`static pod manifests must be a Pod or PodList, got kind ${JSON.stringify(obj.kind ?? '')}`);
  }
  return pods;
}

/** Applies defaults and the static-pod identity; `seen` is the config.seen timestamp to stamp. */
export function staticPodFromManifest(raw: IPod, file: string, nodeName: string, seen: string): IPod {
  if (!raw.metadata?.name) throw new Error('metadata.name: Required value: name or generateName is required');
  if (!raw.spec?.containers?.length) throw new Error('spec.containers: Required value');
  const hash = createHash('md5');
  hash.update(`host:${nodeName}`);
  hash.update(`file:${file}`);
  hash.update(JSON.stringify(raw));
  const uid = hash.digest('hex');
  const pod = structuredClone(raw);
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  defaultPod(pod);
  const meta = (pod.metadata ??= {});
  meta.name = `${raw.metadata.name}-${nodeName.toLowerCase()}`;
  meta.namespace ||= 'default';
  meta.uid = uid;
  meta.annotations = {
    ...meta.annotations,
    [ANNOTATION_CONFIG_HASH]: uid,
    [ANNOTATION_CONFIG_SOURCE]: 'file',
    [ANNOTATION_CONFIG_SEEN]: seen,
  };
  pod.spec!.nodeName = nodeName;
  pod.spec!.tolerations = [...(pod.spec!.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }];
  pod.status = { phase: 'Pending' };
  return pod;
}

export interface FileSourceConfig {
  dirs: string[];
  nodeName: string;
  /** Called with the whole set after every scan. */
  onPods: (pods: IPod[]) => void;
  onError?: (e: ManifestError) => void;
  periodMs?: number;
  clock?: Clock;
}

export class FileSource {
  readonly #config: FileSourceConfig;
  readonly #clock: Clock;
  /** config.seen per uid, so a rescan does not make an unchanged pod look changed. */
  readonly #seen = new Map<string, string>();
  /** Last error per file, so a broken file is reported once, not every scan. */
  readonly #errors = new Map<string, string>();
  readonly #watchers = new Map<string, fs.FSWatcher>();
  #scanning: Promise<void> | undefined;
  #rescan = false;

  constructor(config: FileSourceConfig) {
    this.#config = config;
    this.#clock = config.clock ?? realClock;
  }

  /** Scans now (serialised: a scan requested during one runs right after it). */
  scan(): Promise<void> {
    if (this.#scanning) {
      this.#rescan = true;
      return this.#scanning;
    }
    this.#scanning = (async () => {
      try {
        do {
          this.#rescan = false;
          await this.#scanOnce();
        } while (this.#rescan);
      } finally {
        this.#scanning = undefined;
      }
    })();
    return this.#scanning;
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) {
        this.#watch();
        await this.scan();
        try {
          await this.#clock.sleep(this.#config.periodMs ?? 20_000, signal);
        } catch {
          return;
        }
      }
    } finally {
      for (const w of this.#watchers.values()) w.close();
      this.#watchers.clear();
    }
  }

  /** Watches each existing directory; a directory made later is picked up by the next periodic scan. */
  #watch(): void {
    for (const dir of this.#config.dirs) {
      if (this.#watchers.has(dir) || !fs.existsSync(dir)) continue;
      try {
        const w = fs.watch(dir, () => void this.scan().catch(() => {}));
        w.on('error', () => {
          w.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, w);
      } catch {
        // Not watchable now: the periodic scan covers it.
      }
    }
  }

  async #scanOnce(): Promise<void> {
    const pods: IPod[] = [];
    // RFC 3339 with nanoseconds, as the kubelet stamps config.seen.
    const now = new Date(this.#clock.now()).toISOString().replace(/Z$/, '000000Z');
    const liveUids = new Set<string>();
    for (const dir of this.#config.dirs) {
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (name.startsWith('.')) continue;
        const file = path.join(dir, name);
        try {
          const st = await fsp.stat(file);
          if (!st.isFile()) continue;
          const raws = parseManifest(await fsp.readFile(file, 'utf8'));
          for (const raw of raws) {
            const provisional = staticPodFromManifest(raw, file, this.#config.nodeName, now);
            const uid = provisional.metadata!.uid!;
            const seen = this.#seen.get(uid) ?? now;
            this.#seen.set(uid, seen);
            provisional.metadata!.annotations![ANNOTATION_CONFIG_SEEN] = seen;
            liveUids.add(uid);
            pods.push(provisional);
          }
          this.#errors.delete(file);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (this.#errors.get(file) !== message) this.#config.onError?.({ file, message });
          this.#errors.set(file, message);
        }
      }
    }
    for (const uid of [...this.#seen.keys()]) if (!liveUids.has(uid)) this.#seen.delete(uid);
    this.#config.onPods(pods);
  }
}
