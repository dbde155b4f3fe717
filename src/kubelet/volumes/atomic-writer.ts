/**
 * Writes a set of files into a volume directory so that readers never see a half-updated set, as the real
 * kubelet's AtomicWriter does for configMap, secret, downwardAPI and projected volumes:
 *
 *   <dir>/..2026_11_21_14_30_00.123456789   the files of one version (hidden, timestamped)
 *   <dir>/..data -> ..2026_11_21_...        swapped with one rename() of a fresh symlink
 *   <dir>/<key>  -> ..data/<key>            the user-visible names, created once
 *
 * A reader resolves `<key>` through `..data` and sees either the old or the new version, never a mix.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface FileProjection {
  data: Buffer;
  /** File mode, e.g. 0o644. */
  mode: number;
}

/** Relative paths (may contain `/`) to contents. */
export type Payload = Map<string, FileProjection>;

const dataDirName = '..data';

export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.length > 4096) throw new Error(`invalid path: must be less than or equal to 4096 characters`);
  const parts = p.split('/');
  if (parts.includes('..')) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
}

/** Writes `payload` into `dir` atomically; returns false when the contents were already exactly that. */
export async function writeAtomically(dir: string, payload: Payload): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  await fs.mkdir(dir, { recursive: true });
  const dataLink = path.join(dir, dataDirName);
  const oldTsName = await fs.readlink(dataLink).catch(() => undefined);
  if (oldTsName && (await sameContents(path.join(dir, oldTsName), payload))) return false;

  const now = new Date();
  const stamp = now.toISOString().replace(/[-:T]/g, '_').replace(/Z$/, '');
  const tsName = `..${stamp}${randomBytes(4).toString('hex')}`;
  const tsDir = path.join(dir, tsName);
  await fs.mkdir(tsDir, { mode: 0o755 });
  for (const [rel, file] of payload) {
    const target = path.join(tsDir, rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.data, { mode: file.mode });
    await fs.chmod(target, file.mode); // writeFile's mode is filtered by the umask
  }

  const tmpLink = path.join(dir, `${dataDirName}_tmp`);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(tsName, tmpLink);
  await fs.rename(tmpLink, dataLink);

  // User-visible names: one symlink per top-level entry of the payload.
  const wanted = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of wanted) {
    const link = path.join(dir, name);
    const current = await fs.readlink(link).catch(() => undefined);
    if (current !== path.join(dataDirName, name)) {
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(path.join(dataDirName, name), link);
    }
  }
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith('..')) {
      if (entry !== dataDirName && entry !== tsName)
        await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    } else if (!wanted.has(entry)) {
      await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  return true;
}

async function sameContents(tsDir: string, payload: Payload): Promise<boolean> {
  const existing = await listFiles(tsDir).catch(() => undefined);
  if (!existing || existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = path.join(tsDir, rel);
    // Contents only, as the kubelet's writer compares: modes may have been widened for fsGroup since.
    const data = await fs.readFile(full);
    if (!data.equals(want.data)) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}
