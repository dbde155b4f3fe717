/**
 * The last steps every image takes into the store, whether pulled or imported: its blobs are already stored
 * and verified; here its layers are unpacked (once per chain id, in parallel) and the image is recorded with
 * its tags and digests. Compression is sniffed from the blob itself (Docker archives label loosely). Also
 * platform matching for image indexes.
 */
import { arch } from 'node:process';
import { layerCompression, MediaType, type Descriptor, type ImageConfigFile, type ImageManifest, type Platform } from './media-types.ts';
import { chainIds, type ImageRecord, type ImageStore, type StoredLayer } from './store.ts';

/** The node's platform in OCI terms. */
export function nodePlatform(): Platform {
  const map: Record<string, Platform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
    ia32: { os: 'linux', architecture: '386' },
  };
  return map[arch] ?? { os: 'linux', architecture: arch };
}

/** Picks the manifest for `platform` from an index (exact variant first, then any variant of the arch). */
export function selectPlatform(manifests: Descriptor[], platform: Platform = nodePlatform()): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) => m.platform && m.platform.os === platform.os && m.platform.architecture === platform.architecture,
  );
  const normVariant = (v?: string) => (platform.architecture === 'arm64' && (v === undefined || v === '') ? 'v8' : (v ?? ''));
  return candidates.find((m) => normVariant(m.platform!.variant) === normVariant(platform.variant)) ?? candidates.find((m) => !m.platform!.variant) ?? candidates[0];
}

export function parseManifest(data: Buffer, what: string): ImageManifest {
  let doc: ImageManifest;
  try {
    doc = JSON.parse(data.toString()) as ImageManifest;
  } catch {
    throw new Error(`${what}: manifest is not JSON`);
  }
  if ((doc as { schemaVersion?: number }).schemaVersion === 1) throw new Error(`${what}: Docker schema 1 manifests are not supported`);
  if (!doc.config?.digest || !Array.isArray(doc.layers)) throw new Error(`${what}: not an image manifest`);
  // OCI artifacts (Helm charts, signatures) reuse the manifest format with another config type.
  if (doc.config.mediaType && doc.config.mediaType !== MediaType.ociConfig && doc.config.mediaType !== MediaType.dockerConfig) {
    throw new Error(`${what}: not a container image (config media type ${doc.config.mediaType})`);
  }
  return doc;
}

export function parseConfig(data: Buffer, what: string): ImageConfigFile {
  let doc: ImageConfigFile;
  try {
    doc = JSON.parse(data.toString()) as ImageConfigFile;
  } catch {
    throw new Error(`${what}: image config is not JSON`);
  }
  if (!doc.rootfs || !Array.isArray(doc.rootfs.diff_ids)) throw new Error(`${what}: image config has no rootfs.diff_ids`);
  return doc;
}

/** Layer descriptors + config diff ids → the store's layer records (with chain ids). */
export function storedLayers(manifest: ImageManifest, config: ImageConfigFile, what: string): StoredLayer[] {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new Error(`${what}: ${manifest.layers.length} layers in the manifest but ${diffIds.length} diff ids in the config`);
  }
  const chains = chainIds(diffIds);
  return manifest.layers.map((l, i) => {
    if (layerCompression(l.mediaType) === undefined && l.mediaType !== MediaType.dockerForeignLayerGzip) {
      throw new Error(`${what}: unsupported layer media type ${l.mediaType}`);
    }
    return { digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]!, chainId: chains[i]! };
  });
}

/** Unpacks every layer (each chain id once, in parallel), then records the image. */
export async function installImage(
  store: ImageStore,
  image: {
    manifestDigest: string;
    manifestSize: number;
    configDigest: string;
    configSize: number;
    layers: StoredLayer[];
    repoTags: string[];
    repoDigests: string[];
  },
  now: number,
  signal?: AbortSignal,
): Promise<ImageRecord> {
  const unpacks = image.layers.map((l) => store.ensureLayer(l, undefined, signal));
  const results = await Promise.allSettled(unpacks);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const layers = image.layers.map((l, i) => ({ ...l, unpackedSize: (results[i] as PromiseFulfilledResult<number>).value }));
  return store.locked(() =>
    store.put(
      {
        id: image.configDigest,
        repoTags: image.repoTags,
        repoDigests: image.repoDigests,
        manifestDigest: image.manifestDigest,
        configDigest: image.configDigest,
        layers,
        size: image.manifestSize + image.configSize + image.layers.reduce((n, l) => n + l.size, 0),
      },
      now,
    ),
  );
}
