/**
 * `securityContext.fsGroup` on a pod's volumes (the kubelet's SetVolumeOwnership): every file and directory
 * in the volume gets the fsGroup as its group, group read (and write, unless the volume is read-only)
 * permission, and directories the setgid bit so new files inherit the group. Host paths are never touched.
 * With `fsGroupChangePolicy: OnRootMismatch` nothing is walked when the volume's root already has that group,
 * those permissions and setgid (upstream's requiresPermissionChange); `Always` (the default) walks every time.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Whether the volume's root lacks the fsGroup's group, its group permissions or setgid. */
export async function requiresPermissionChange(dir: string, fsGroup: number, readOnly: boolean): Promise<boolean> {
  const st = await fs.stat(dir);
  if (st.gid !== fsGroup || !st.isDirectory()) return true;
  const wanted = (readOnly ? 0o440 : 0o660) | 0o110;
  return (st.mode & wanted) !== wanted || (st.mode & 0o2000) === 0;
}

export async function setVolumeOwnership(
  dir: string,
  fsGroup: number,
  readOnly: boolean,
  changePolicy?: string,
): Promise<void> {
  if (changePolicy === 'OnRootMismatch' && !(await requiresPermissionChange(dir, fsGroup, readOnly))) return;
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
