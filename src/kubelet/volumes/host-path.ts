/**
 * hostPath volumes: the `type` checks and creations of the real kubelet's hostPath plugin, with its error
 * messages (they reach users in FailedMount events).
 */
import fs from 'node:fs/promises';

export type HostPathType =
  '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

export async function checkHostPath(p: string, type: string | undefined): Promise<void> {
  const st = await fs.stat(p).catch(() => undefined);
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) {
        await fs.mkdir(p, { recursive: true, mode: 0o755 });
        return;
      }
      if (!st.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'Directory':
      if (!st) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      if (!st.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!st) {
        // The parent directory is not created, as in Kubernetes.
        const fh = await fs.open(p, 'a', 0o644).catch((err: NodeJS.ErrnoException) => {
          throw new Error(`hostPath type check failed: ${p} is not a file: ${err.message}`);
        });
        await fh.close();
        return;
      }
      if (!st.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'File':
      if (!st || !st.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'Socket':
      if (!st || !st.isSocket()) throw new Error(`hostPath type check failed: ${p} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st || !st.isCharacterDevice()) throw new Error(`hostPath type check failed: ${p} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st || !st.isBlockDevice()) throw new Error(`hostPath type check failed: ${p} is not a block device`);
      return;
  }
  throw new Error(`${type} is an invalid volume type`);
}
