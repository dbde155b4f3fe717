/**
 * `kubeling image import ARCHIVE | pull REF | ls | rm REF...`: the node's image store from the command line,
 * with crictl's output (`crictl images` columns, `Image is up to date for …`, `Deleted: …`). The cmd layer
 * calls `imageCommand(argv, { root })` with the arguments after `image`; it returns the exit code.
 */
import { parseArgs } from 'node:util';
import { isRuntimeError, type AuthConfig, type Image, type PullProgress } from '../runtime.ts';
import { parseReference, repositoryName } from './reference.ts';
import { OciImageService, type OciImageServiceConfig } from './service.ts';
import { humanSize } from './human-size.ts';
import { PullProgressLine, type ProgressTerminal } from './pull-progress.ts';

export { humanSize };

export interface ImageCommandOptions extends Partial<OciImageServiceConfig> {
  /** The image store directory (`<data dir>/images`). */
  root: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** A terminal to draw pull progress on (stderr when it is one); none: no progress. */
  progress?: ProgressTerminal;
}

const USAGE = `usage: kubeling image import ARCHIVE [--tag REF] | pull REF [--creds USER:PASSWORD] | ls [-q] [--digests] | rm REF...`;

/** `crictl images` rows: one per tag (untagged images once, as `<none>`). */
export function imageTable(images: Image[], options: { digests?: boolean } = {}): string[] {
  const rows: string[][] = [['IMAGE', 'TAG', ...(options.digests ? ['DIGEST'] : []), 'IMAGE ID', 'SIZE']];
  for (const img of images) {
    const digestOf = (repo: string) => img.repoDigests.find((d) => d.startsWith(`${repo}@`))?.split('@sha256:')[1]?.slice(0, 13) ?? '<none>';
    const tags = img.repoTags.map((t) => parseReference(t)).map((r) => [repositoryName(r), r.tag!] as const);
    const entries = tags.length > 0 ? tags : img.repoDigests.slice(0, 1).map((d) => [d.slice(0, d.indexOf('@')), '<none>'] as const);
    for (const [repo, tag] of entries.length > 0 ? entries : [['<none>', '<none>'] as const]) {
      rows.push([repo, tag, ...(options.digests ? [digestOf(repo)] : []), img.id.slice(7, 20), humanSize(img.size)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('').trimEnd());
}

export async function imageCommand(argv: string[], options: ImageCommandOptions): Promise<number> {
  const out = options.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = options.err ?? ((l: string) => process.stderr.write(l + '\n'));
  const [verb, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { tag: { type: 'string' }, creds: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, digests: { type: 'boolean' } },
    });
  } catch (e) {
    err(`kubeling image: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const svc = new OciImageService(options);
  try {
    switch (verb) {
      case 'import': {
        if (positionals.length !== 1) break;
        for (const img of await svc.importArchive(positionals[0]!, { tag: values.tag })) {
          out(`imported ${img.repoTags.join(', ') || '<untagged>'} (${img.id})`);
        }
        return 0;
      }
      case 'pull': {
        if (positionals.length !== 1) break;
        let auth: AuthConfig | undefined;
        if (values.creds !== undefined) {
          const at = values.creds.indexOf(':');
          auth = at < 0 ? { username: values.creds } : { username: values.creds.slice(0, at), password: values.creds.slice(at + 1) };
        }
        const line = options.progress ? new PullProgressLine(options.progress, positionals[0]!) : undefined;
        let id: string;
        try {
          id = await svc.pullImage(positionals[0]!, { auth, ...(line ? { onProgress: (p: PullProgress) => line.update(p) } : {}) });
        } finally {
          line?.done();
        }
        out(`Image is up to date for ${id}`);
        return 0;
      }
      case 'ls':
      case 'list':
      case 'images': {
        if (positionals.length !== 0) break;
        const images = (await svc.listImages()).sort((a, b) => (a.repoTags[0] ?? a.id).localeCompare(b.repoTags[0] ?? b.id));
        for (const line of values.quiet ? images.map((i) => i.id) : imageTable(images, { digests: values.digests })) out(line);
        return 0;
      }
      case 'rm':
      case 'rmi': {
        if (positionals.length === 0) break;
        let code = 0;
        for (const ref of positionals) {
          const img = await svc.imageStatus(ref);
          if (!img) {
            err(`no such image ${JSON.stringify(ref)} present`);
            code = 1;
            continue;
          }
          await svc.removeImage(img.id);
          for (const name of img.repoTags.length > 0 ? img.repoTags : [img.id]) out(`Deleted: ${name}`);
        }
        return code;
      }
    }
    err(USAGE);
    return 2;
  } catch (e) {
    err(isRuntimeError(e) ? e.message : `kubeling image ${verb}: ${(e as Error).message}`);
    return 1;
  }
}
