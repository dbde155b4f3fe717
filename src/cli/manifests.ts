/**
 * Reading manifests for the CLI: every YAML document of a file (and the items of a `List`), each resolved to
 * the resource that serves its apiVersion and kind. Errors name the file and the document.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { findResourceByKind, type KubeObject, type ResourceInfo } from '../api/index.ts';

export interface Manifest {
  object: KubeObject;
  resource: ResourceInfo;
}

export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text);
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: document ${i + 1} is not an object`);
    const obj = value as KubeObject;
    const items = obj.kind === 'List' && Array.isArray(obj.items) ? (obj.items as KubeObject[]) : [obj];
    for (const item of items) {
      if (!item.apiVersion || !item.kind) throw new Error(`${source}: document ${i + 1}: apiVersion and kind are required`);
      const resource = findResourceByKind(item.apiVersion, item.kind);
      if (!resource) throw new Error(`${source}: document ${i + 1}: no resource serves ${item.apiVersion} ${item.kind}`);
      if (!item.metadata?.name && !item.metadata?.generateName) throw new Error(`${source}: document ${i + 1}: metadata.name is required`);
      out.push({ object: item, resource });
    }
  });
  return out;
}

export async function readManifests(file: string): Promise<Manifest[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  const manifests = parseManifests(text, file);
  if (manifests.length === 0) throw new Error(`${file}: no objects in the file`);
  return manifests;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
