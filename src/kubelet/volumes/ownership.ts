/**
 * `securityContext.fsGroup` on a pod's volumes (the kubelet's SetVolumeOwnership): every file and directory
 * in the volume gets the fsGroup as its group, group read (and write, unless the volume is read-only)
 * permission, and directories the setgid bit so new files inherit the group. Host paths are never touched.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function setVolumeOwnership(dir: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const groupBits = readOnly ? 0o040 : 0o060;
  const visit = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    // The atomic writer's user-visible names are symlinks into ..data; their targets are visited directly.
    if (st.isSymbolicLink()) return;
    await fs.lchown(p, st.uid, fsGroup);
    let mode = (st.mode & 0o7777) | groupBits;
    if (st.isDirectory()) {
      mode |= 0o2000 | 0o010;
      await fs.chmod(p, mode);
      for (const e of await fs.readdir(p)) await visit(path.join(p, e));
      return;
    }
    if (st.mode & 0o100) mode |= 0o010;
    await fs.chmod(p, mode);
  };
  await visit(dir);
}
