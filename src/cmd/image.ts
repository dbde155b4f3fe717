/**
 * `kubeling image import ARCHIVE | pull REF | ls | rm REF... [--data-dir DIR]`: the image store of the node
 * that `kubeling server` (or `kubeling agent`) runs with the same data dir, so an image imported here is
 * "already present" for pods with the default IfNotPresent policy. The store lives in `DIR/images`, the
 * directory the node's oci runtime uses; the store's lock file lets this command and a running node share
 * it. The verbs and their crictl-like output are the images package's (`runtime/images/cli.ts`); this file
 * only picks the store from the command line.
 */
import { join, resolve } from 'node:path';
import { imageCommand } from '../runtime/images/cli.ts';

const USAGE =
  'usage: kubeling image import ARCHIVE [--tag REF] | pull REF [--creds USER:PASSWORD] | ls [-q] [--digests] | rm REF... [--data-dir DIR]';

/** The image store directory of the node whose data dir is `dataDir`. */
export function imageStoreDir(dataDir: string): string {
  return join(resolve(dataDir), 'images');
}

export async function runImage(argv: string[]): Promise<number> {
  let dataDir = './.kubeling';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir' || arg.startsWith('--data-dir=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value) {
        process.stderr.write('kubeling image: --data-dir needs a value\n');
        return 2;
      }
      dataDir = value;
      continue;
    }
    rest.push(arg);
  }
  if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
    (rest.length === 0 ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return rest.length === 0 ? 2 : 0;
  }
  const errLine = (line: string) => process.stderr.write(`${line}\n`);
  // Pull progress only on a terminal: piped or logged, the output stays crictl's lines.
  const progress = process.stderr.isTTY ? process.stderr : undefined;
  return imageCommand(rest, { root: imageStoreDir(dataDir), err: errLine, ...(progress ? { progress } : {}) });
}
