/**
 * The kubelet's on-disk layout for pods, after the real kubelet's `<root-dir>/pods/<uid>/...`:
 *
 *   <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume>   one directory per volume (mount point for tmpfs;
 *                                                               for a claim, a link to its volume's path)
 *   <root>/pods/<uid>/etc-hosts                                 the managed /etc/hosts
 *   <root>/pods/<uid>/containers/<container>/<id>               termination-message files, one per container start
 *
 * Everything a pod leaves on the node lives under its pod directory, so removing it (after unmounting) is the
 * whole clean-up.
 */
import path from 'node:path';

export type VolumePluginName =
  'empty-dir' | 'host-path' | 'configmap' | 'secret' | 'downward-api' | 'projected' | 'persistent-volume-claim';

export class PodDirs {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  podsDir(): string {
    return path.join(this.root, 'pods');
  }

  podDir(uid: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(uid) || uid === '.' || uid === '..')
      throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
    return path.join(this.podsDir(), uid);
  }

  volumesDir(uid: string): string {
    return path.join(this.podDir(uid), 'volumes');
  }

  volumeDir(uid: string, plugin: VolumePluginName, name: string): string {
    return path.join(this.volumesDir(uid), `kubernetes.io~${plugin}`, name);
  }

  etcHostsPath(uid: string): string {
    return path.join(this.podDir(uid), 'etc-hosts');
  }

  containerDir(uid: string, container: string): string {
    return path.join(this.podDir(uid), 'containers', container);
  }
}
