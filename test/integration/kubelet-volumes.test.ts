/**
 * The kubelet's volumes on the real machine: tmpfs mounts for Memory emptyDirs (with sizeLimit), secrets,
 * downwardAPI and projected volumes, and their teardown leaving no mount and no directory behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { missingMounts } from '../prerequisites.ts';
import { MapObjectSource, NodeVolumeManager, PodDirs, SystemMounter } from '../../src/kubelet/volumes/index.ts';

const node = () => ({ hostIPs: ['10.0.0.1'], allocatable: { cpu: '2', memory: '1Gi' } });

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!)
    .filter((m) => m.startsWith(dir));
}

test('tmpfs-backed volumes are mounted with their size and torn down completely', async (t) => {
  const missing = missingMounts();
  if (missing) return t.skip(missing);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kubelet-volumes-'));
  const mounter = new SystemMounter();
  t.after(async () => {
    for (const m of await mounter.mountsUnder(root)) await mounter.unmount(m);
    await fs.rm(root, { recursive: true, force: true });
  });
  const dirs = new PodDirs(root);
  const objects = new MapObjectSource();
  objects.putSecret('ns', 'creds', { password: 'hunter2' });
  const vm = new NodeVolumeManager({ dirs, objects, node, mounter });
  const pod: IPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-int-1', labels: { a: 'b' } },
    spec: {
      containers: [{ name: 'c' }],
      volumes: [
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
        { name: 'disk', emptyDir: {} },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      ],
    },
  };
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  const mem = dirs.volumeDir('uid-int-1', 'empty-dir', 'mem');
  const creds = dirs.volumeDir('uid-int-1', 'secret', 'creds');
  const info = dirs.volumeDir('uid-int-1', 'downward-api', 'info');
  assert.deepEqual((await mountsUnder(root)).sort(), [creds, info, mem].sort());
  assert.equal((await fs.statfs(mem)).blocks * (await fs.statfs(mem)).bsize, 8 * 2 ** 20, 'tmpfs sized by sizeLimit');
  // Writing past the limit fails with ENOSPC, as in Kubernetes.
  await assert.rejects(fs.writeFile(path.join(mem, 'big'), Buffer.alloc(9 * 2 ** 20)), { code: 'ENOSPC' });
  assert.equal(await fs.readFile(path.join(creds, 'password'), 'utf8'), 'hunter2');
  assert.equal(await fs.readFile(path.join(info, 'labels'), 'utf8'), 'a="b"');

  // Setting up again (a kubelet restart) adopts the mounts instead of stacking new ones.
  await vm.waitForAttachAndMount(pod, AbortSignal.timeout(10_000));
  assert.equal((await mountsUnder(root)).length, 3);

  await vm.unmountPodVolumes('uid-int-1');
  assert.deepEqual(await mountsUnder(root), []);
  await assert.rejects(fs.stat(dirs.volumesDir('uid-int-1')), { code: 'ENOENT' });
});
