/**
 * Import of images from files (`kubeling image import`): OCI image layouts (a directory), OCI archives (a tar
 * of a layout, as `skopeo copy … oci-archive:` writes) and Docker archives (`docker save`: manifest.json,
 * config JSON and layer tars, compressed or not). Archives are unpacked into the store's tmp/ first; every
 * blob is copied into the store and verified by digest; indexes resolve to the node's platform.
 *
 * Names: an OCI layout entry is named by its `io.containerd.image.name` annotation, or by
 * `org.opencontainers.image.ref.name` when that is a full reference (a bare tag such as `1.35` names nothing
 * without a repository); a Docker archive by its `RepoTags`. The `tag` option names the image as well (the
 * archive must then hold one image).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { RuntimeError } from '../runtime.ts';
import { installImage, nodePlatform, parseConfig, parseManifest, selectPlatform, storedLayers } from './install.ts';
import { isIndexMediaType, MediaType, type ImageIndex, type ImageManifest } from './media-types.ts';
import { formatReference, parseReference, repositoryName } from './reference.ts';
import { digestHex, type ImageRecord, type ImageStore } from './store.ts';
import { sniffCompression } from './unpack.ts';

export interface ImportOptions {
  /** A reference to name the imported image by (e.g. `busybox:1.35`). */
  tag?: string;
  now: () => number;
  signal?: AbortSignal;
}

async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function untar(archive: string, dir: string, signal?: AbortSignal): Promise<void> {
  // GNU tar detects gzip/zstd compression of the archive itself; members never leave `dir`.
  const child = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', archive, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`cannot read archive: ${stderr.trim() || `tar exited ${code}`}`);
}

/** A file inside the extracted archive, refusing paths that climb out of it. */
function inside(dir: string, name: string): string {
  const p = normalize(join(dir, name));
  if (!p.startsWith(dir + '/')) throw new Error(`archive path ${JSON.stringify(name)} leaves the archive`);
  return p;
}

export async function importArchive(store: ImageStore, path: string, options: ImportOptions): Promise<ImageRecord[]> {
  const invalid = (msg: string, cause?: unknown) => new RuntimeError('InvalidArgument', `import ${path}: ${msg}`, cause ? { cause } : undefined);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new RuntimeError('NotFound', `import ${path}: no such file or directory`);
  let extra: string[] = [];
  if (options.tag !== undefined) {
    try {
      extra = [formatReference(parseReference(options.tag))];
    } catch (err) {
      throw invalid((err as Error).message, err);
    }
  }
  let dir = path;
  let tmp: string | undefined;
  if (!st.isDirectory()) {
    tmp = join(store.tmp, `import-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    dir = tmp;
  }
  try {
    if (tmp) {
      try {
        await untar(path, tmp, options.signal);
      } catch (err) {
        throw invalid((err as Error).message, err);
      }
    }
    let images: ImageRecord[];
    if (existsSync(join(dir, 'index.json')) && existsSync(join(dir, 'oci-layout'))) images = await importLayout(store, dir, extra, options, invalid);
    else if (existsSync(join(dir, 'manifest.json'))) images = await importDocker(store, dir, extra, options, invalid);
    else throw invalid('not an OCI image layout, OCI archive or Docker archive (no index.json + oci-layout, no manifest.json)');
    return images;
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

type Invalid = (msg: string, cause?: unknown) => RuntimeError;

/** installImage, with unpack failures (a corrupt or hostile layer) reported as a bad archive. */
async function install(...args: Parameters<typeof installImage>): Promise<ImageRecord> {
  try {
    return await installImage(...args);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new RuntimeError('InvalidArgument', `import: failed to unpack: ${(err as Error).message}`, { cause: err });
  }
}

function checkOneImage(count: number, extra: string[], invalid: Invalid): void {
  if (extra.length > 0 && count !== 1) throw invalid(`a tag needs an archive with exactly one image, this one has ${count}`);
}

async function importLayout(store: ImageStore, dir: string, extra: string[], options: ImportOptions, invalid: Invalid): Promise<ImageRecord[]> {
  const blobFile = (digest: string) => inside(dir, `blobs/sha256/${digestHex(digest)}`);
  const readJson = async <T>(digest: string): Promise<{ doc: T; data: Buffer }> => {
    const data = await readFile(blobFile(digest)).catch((err) => {
      throw invalid(`blob ${digest} missing`, err);
    });
    if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) throw invalid(`blob ${digest} does not match its digest`);
    return { doc: JSON.parse(data.toString()) as T, data };
  };
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  const entries = index.manifests ?? [];
  if (entries.length === 0) throw invalid('index.json lists no images');
  checkOneImage(entries.length, extra, invalid);
  const out: ImageRecord[] = [];
  for (const entry of entries) {
    const names = [...extra];
    const containerdName = entry.annotations?.['io.containerd.image.name'];
    const refName = entry.annotations?.['org.opencontainers.image.ref.name'];
    for (const candidate of [containerdName, refName]) {
      if (!candidate || (candidate === refName && !/[/:]/.test(candidate))) continue;
      try {
        names.push(formatReference(parseReference(candidate)));
        break;
      } catch {
        // Not a reference: ignore the annotation.
      }
    }
    const repoTags = [...new Set(names.map((n) => parseReference(n)).filter((r) => r.tag !== undefined && r.digest === undefined).map(formatReference))];
    let manifestDesc = entry;
    const keep: { digest: string; data: Buffer }[] = [];
    if (isIndexMediaType(entry.mediaType)) {
      const { doc, data } = await readJson<ImageIndex>(entry.digest);
      const chosen = selectPlatform(doc.manifests ?? [], nodePlatform());
      if (!chosen) throw invalid(`no image for platform ${nodePlatform().os}/${nodePlatform().architecture} in ${entry.digest}`);
      keep.push({ digest: entry.digest, data });
      manifestDesc = chosen;
    }
    const { data: manifestData } = await readJson<ImageManifest>(manifestDesc.digest);
    let manifest, layers;
    try {
      manifest = parseManifest(manifestData, manifestDesc.digest);
      const { data: configData } = await readJson<unknown>(manifest.config.digest);
      layers = storedLayers(manifest, parseConfig(configData, manifest.config.digest), manifestDesc.digest);
      keep.push({ digest: manifest.config.digest, data: configData }, { digest: manifestDesc.digest, data: manifestData });
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      throw invalid((err as Error).message, err);
    }
    const unpin = store.pin([...keep.map((k) => k.digest), ...layers.flatMap((l) => [l.digest, l.chainId])]);
    try {
      for (const l of layers) {
        try {
          await store.writeBlob(l.digest, async () => createReadStream(blobFile(l.digest)));
        } catch (err) {
          throw invalid(`layer ${l.digest}: ${(err as Error).message}`, err);
        }
      }
      for (const k of keep) await store.writeBlobBytes(k.digest, k.data);
      const repoDigests = [...new Set(repoTags.map((t) => `${repositoryName(parseReference(t))}@${entry.digest}`))];
      out.push(
        await install(
          store,
          {
            manifestDigest: manifestDesc.digest,
            manifestSize: manifestData.length,
            configDigest: manifest.config.digest,
            configSize: manifest.config.size,
            layers,
            repoTags,
            repoDigests,
          },
          options.now(),
          options.signal,
        ),
      );
    } finally {
      unpin();
    }
  }
  return out;
}

async function importDocker(store: ImageStore, dir: string, extra: string[], options: ImportOptions, invalid: Invalid): Promise<ImageRecord[]> {
  let entries: { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
  try {
    entries = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    if (!Array.isArray(entries) || entries.length === 0) throw new Error('manifest.json lists no images');
  } catch (err) {
    throw invalid(`bad manifest.json: ${(err as Error).message}`, err);
  }
  checkOneImage(entries.length, extra, invalid);
  const out: ImageRecord[] = [];
  for (const entry of entries) {
    const repoTags: string[] = [...extra];
    for (const t of entry.RepoTags ?? []) {
      try {
        repoTags.push(formatReference(parseReference(t)));
      } catch (err) {
        throw invalid(`bad RepoTags entry ${JSON.stringify(t)}: ${(err as Error).message}`, err);
      }
    }
    const configPath = inside(dir, entry.Config);
    const configData = await readFile(configPath).catch((err) => {
      throw invalid(`config ${entry.Config} missing`, err);
    });
    const configDigest = `sha256:${createHash('sha256').update(configData).digest('hex')}`;
    const layerDescs = [];
    for (const name of entry.Layers) {
      const file = inside(dir, name);
      const { digest, size } = await fileDigest(file).catch((err) => {
        throw invalid(`layer ${name} missing`, err);
      });
      const head = Buffer.alloc(4);
      const fh = await open(file);
      await fh.read(head, 0, 4, 0);
      await fh.close();
      const compression = sniffCompression(head);
      const mediaType = compression === 'gzip' ? MediaType.ociLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
      layerDescs.push({ mediaType, digest, size, file });
    }
    // Docker archives have no manifest blob: make the OCI manifest `docker load` would push.
    const manifestDoc: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configData.length },
      layers: layerDescs.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    };
    const manifestData = Buffer.from(JSON.stringify(manifestDoc));
    const manifestDigest = `sha256:${createHash('sha256').update(manifestData).digest('hex')}`;
    let layers;
    try {
      layers = storedLayers(manifestDoc, parseConfig(configData, entry.Config), entry.Config);
    } catch (err) {
      throw invalid((err as Error).message, err);
    }
    const unpin = store.pin([manifestDigest, configDigest, ...layers.flatMap((l) => [l.digest, l.chainId])]);
    try {
      for (const l of layerDescs) await store.writeBlob(l.digest, async () => createReadStream(l.file));
      await store.writeBlobBytes(configDigest, configData);
      await store.writeBlobBytes(manifestDigest, manifestData);
      out.push(
        await install(
          store,
          { manifestDigest, manifestSize: manifestData.length, configDigest, configSize: configData.length, layers, repoTags: [...new Set(repoTags)], repoDigests: [] },
          options.now(),
          options.signal,
        ),
      );
    } finally {
      unpin();
    }
  }
  return out;
}
