/**
 * Pulling one image from an OCI distribution registry into the store: resolve the reference to a manifest
 * (an index or manifest list resolves to the node's platform), fetch and verify the config, download the
 * layers the store lacks (each blob once, verified by digest, up to three at a time), unpack, record.
 * Failures become `RuntimeError('ImagePullFailed')` with containerd's wording, which the kubelet shows as
 * `Failed to pull image "…": …`.
 */
import { createHash } from 'node:crypto';
import { RuntimeError, type AuthConfig, type PullProgress } from '../runtime.ts';
import { isIndexMediaType, isManifestMediaType, type ImageIndex } from './media-types.ts';
import { formatReference, repositoryName, type ImageReference } from './reference.ts';
import { RegistryClient, RegistryError } from './registry-client.ts';
import type { PullEndpoint } from './registries.ts';
import { installImage, nodePlatform, parseConfig, parseManifest, selectPlatform, storedLayers } from './install.ts';
import { DigestMismatchError, type ImageRecord, type ImageStore } from './store.ts';

export interface PullOptions {
  auth?: AuthConfig;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  now: () => number;
  /** A blob download that receives nothing for this long fails (default 60000). */
  progressDeadlineMs?: number;
  /**
   * Where to fetch from, tried in order until one resolves the reference (mirrors, then the registry: see
   * registries.ts pullEndpoints); each carries its own repository path and credentials, which replace
   * `auth`. Default: the reference's registry with `auth`.
   */
  endpoints?: PullEndpoint[];
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** containerd's text for a failure while resolving a reference. */
function resolveFailure(refText: string, err: unknown): RuntimeError {
  const pre = `failed to pull and unpack image "${refText}": failed to resolve reference "${refText}"`;
  if (err instanceof RegistryError) {
    if (err.status === 404 || ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'NOT_FOUND'].includes(err.registryCode)) {
      return new RuntimeError('ImagePullFailed', `${pre}: ${refText}: not found: ${err.message}`, { cause: err });
    }
    if (err.status === 0) return new RuntimeError('ImagePullFailed', `${pre}: ${err.message}`, { cause: err });
    if (err.message.startsWith('failed to fetch')) return new RuntimeError('ImagePullFailed', `${pre}: failed to authorize: ${err.message}`, { cause: err });
    if (err.status === 401 || err.status === 403) {
      return new RuntimeError(
        'ImagePullFailed',
        `${pre}: pull access denied, repository does not exist or may require authorization: server message: ${err.registryCode.toLowerCase()}: ${err.message}`,
        { cause: err },
      );
    }
    return new RuntimeError('ImagePullFailed', `${pre}: unexpected status from registry: ${err.status}: ${err.message}`, { cause: err });
  }
  return new RuntimeError('ImagePullFailed', `${pre}: ${(err as Error).message}`, { cause: err });
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return (err as Error)?.name === 'AbortError' || signal?.aborted === true;
}

export async function pullFromRegistry(store: ImageStore, ref: ImageReference, options: PullOptions): Promise<ImageRecord> {
  const refText = formatReference(ref);
  const fail = (message: string, cause?: unknown) =>
    new RuntimeError('ImagePullFailed', `failed to pull and unpack image "${refText}": ${message}`, cause ? { cause } : undefined);
  const clients = (options.endpoints ?? [{ url: '', repository: ref.path, auth: options.auth }]).map(
    (e) =>
      new RegistryClient({
        domain: ref.domain,
        repository: e.repository,
        auth: e.auth,
        signal: options.signal,
        ...(e.url ? { endpoint: e.url } : {}),
        ...(e.tls ? { tls: e.tls } : {}),
        progressDeadlineMs: options.progressDeadlineMs,
      }),
  );

  if (ref.digest && !ref.digest.startsWith('sha256:')) throw fail(`unsupported digest algorithm in ${ref.digest} (sha256 only)`);

  // 1. Resolve: tag or digest → manifest, through an index if there is one. Each endpoint in turn (as
  // containerd's resolver tries hosts); the first one's failure is reported when none resolves.
  let top: { data: Buffer; mediaType: string } | undefined;
  let client = clients[0]!;
  let firstError: unknown;
  for (const candidate of clients) {
    try {
      top = await candidate.manifest(ref.digest ?? ref.tag!);
      client = candidate;
      break;
    } catch (err) {
      if (isAbort(err, options.signal)) throw err;
      firstError ??= err;
    }
  }
  if (!top) throw resolveFailure(refText, firstError);
  const topDigest = sha256(top.data);
  if (ref.digest && topDigest !== ref.digest) throw fail(`manifest digest mismatch: got ${topDigest}, want ${ref.digest}`);
  let topDoc: { mediaType?: string; manifests?: unknown };
  try {
    topDoc = JSON.parse(top.data.toString()) as typeof topDoc;
  } catch (err) {
    throw fail(`manifest from ${client.endpoint} is not JSON`, err);
  }
  const topType = top.mediaType || (topDoc.mediaType ?? '');
  let manifestData = top.data;
  let manifestDigest = topDigest;
  const extraBlobs: { digest: string; data: Buffer }[] = [];
  if (isIndexMediaType(topType) || (!isManifestMediaType(topType) && Array.isArray(topDoc.manifests))) {
    const index = topDoc as ImageIndex;
    const platform = nodePlatform();
    const chosen = selectPlatform(index.manifests ?? [], platform);
    if (!chosen) throw fail(`no match for platform in manifest: not found (want ${platform.os}/${platform.architecture})`);
    try {
      const child = await client.manifest(chosen.digest);
      manifestData = child.data;
    } catch (err) {
      if (isAbort(err, options.signal)) throw err;
      throw fail(`failed to fetch manifest ${chosen.digest}: ${(err as Error).message}`, err);
    }
    manifestDigest = sha256(manifestData);
    if (manifestDigest !== chosen.digest) throw fail(`manifest digest mismatch: got ${manifestDigest}, want ${chosen.digest}`);
    extraBlobs.push({ digest: topDigest, data: top.data });
  }
  let manifest;
  try {
    manifest = parseManifest(manifestData, refText);
  } catch (err) {
    throw fail((err as Error).message, err);
  }

  const pinned = store.pin([manifestDigest, topDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  let releaseChains = () => {};
  try {
    // 2. Config (small: in memory, verified).
    const total = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    let downloaded = 0;
    let layersDone = 0;
    const progress = (n: number) => {
      downloaded += n;
      options.onProgress?.({ downloaded, total, layersDone, layers: manifest.layers.length });
    };
    const fetchBlob = (digest: string, size: number) => {
      if (store.hasBlob(digest)) {
        progress(size);
        return Promise.resolve();
      }
      let reported = 0;
      const write = () =>
        store.writeBlob(
          digest,
          async () => (await client.blob(digest)).stream,
          (n) => {
            reported += n;
            progress(n);
          },
        );
      // Another pull may have started this blob's download and then been aborted: try once more ourselves.
      return write()
        .catch((err) => {
          if (isAbort(err) && !options.signal?.aborted) return write();
          throw err;
        })
        .then(() => {
          // Downloaded by another pull that we joined: count it as ours once it has landed.
          if (reported < size) progress(size - reported);
        });
    };
    try {
      await fetchBlob(manifest.config.digest, manifest.config.size);
    } catch (err) {
      if (isAbort(err, options.signal)) throw err;
      throw fail(`failed to copy config ${manifest.config.digest}: ${blobError(err)}`, err);
    }
    let layers;
    try {
      const config = parseConfig(await store.readBlob(manifest.config.digest), refText);
      layers = storedLayers(manifest, config, refText);
    } catch (err) {
      throw fail((err as Error).message, err);
    }
    releaseChains = store.pin(layers.map((l) => l.chainId));

    // 3. Layers, at most three downloads at once; each unpacks as soon as it has landed.
    const queue = [...layers];
    const workers = Array.from({ length: Math.min(3, queue.length) }, async () => {
      for (let l = queue.shift(); l; l = queue.shift()) {
        try {
          await fetchBlob(l.digest, l.size);
          layersDone++;
          progress(0);
        } catch (err) {
          if (isAbort(err, options.signal)) throw err;
          throw fail(`failed to copy layer ${l.digest}: ${blobError(err)}`, err);
        }
      }
    });
    const settled = await Promise.allSettled(workers);
    const bad = settled.find((s) => s.status === 'rejected');
    if (bad) throw (bad as PromiseRejectedResult).reason;

    for (const b of [{ digest: manifestDigest, data: manifestData }, ...extraBlobs]) await store.writeBlobBytes(b.digest, b.data);
    try {
      return await installImage(
        store,
        {
          manifestDigest,
          manifestSize: manifestData.length,
          configDigest: manifest.config.digest,
          configSize: manifest.config.size,
          layers,
          repoTags: ref.tag !== undefined && ref.digest === undefined ? [refText] : [],
          repoDigests: [`${repositoryName(ref)}@${topDigest}`],
        },
        options.now(),
        options.signal,
      );
    } catch (err) {
      if (isAbort(err, options.signal)) throw err;
      throw fail(`failed to unpack: ${(err as Error).message}`, err);
    }
  } finally {
    pinned();
    releaseChains();
  }
}

function blobError(err: unknown): string {
  if (err instanceof DigestMismatchError) return err.message;
  if (err instanceof RegistryError) return err.status === 0 ? err.message : `httpReadSeeker: failed open: ${err.message}`;
  return (err as Error).message;
}
