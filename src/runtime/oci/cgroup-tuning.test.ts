import { test } from 'node:test';
import assert from 'node:assert/strict';
import { favorDynmodsTarget } from './cgroup-tuning.ts';
import { parseMountinfo } from './mounts.ts';

const targetIn = (mountinfo: string) => favorDynmodsTarget(parseMountinfo(mountinfo));

const line = (id: number, mountPoint: string, fsType: string, superOptions: string) =>
  `${id} 20 0:${id} / ${mountPoint} rw,nosuid,nodev,noexec,relatime shared:${id} - ${fsType} ${fsType} ${superOptions}`;

test('favordynmods target: the cgroup2 mount of a hybrid node, not its v1 hierarchies', () => {
  const info = [
    '1 0 254:0 / / rw,relatime - ext4 /dev/vda rw',
    line(30, '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'),
    line(31, '/sys/fs/cgroup/unified', 'cgroup2', 'rw'),
    line(32, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
  ].join('\n');
  assert.deepEqual(targetIn(info), { mountPoint: '/sys/fs/cgroup/unified', enabled: false });
});

test('favordynmods target: a systemd v2 node (other options kept by the remount), set already or not', () => {
  assert.deepEqual(targetIn(line(25, '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,memory_recursiveprot')), {
    mountPoint: '/sys/fs/cgroup',
    enabled: false,
  });
  assert.deepEqual(targetIn(line(25, '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,favordynmods,memory_recursiveprot')), {
    mountPoint: '/sys/fs/cgroup',
    enabled: true,
  });
});

test('favordynmods target: the kernel-wide flag counts when any hierarchy has it; v1 alone cannot be remounted', () => {
  const v1 = [line(30, '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'), line(32, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory')];
  assert.equal(targetIn(v1.join('\n')), undefined);
  const built = [line(30, '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'), line(31, '/sys/fs/cgroup/unified', 'cgroup2', 'rw'),
    line(32, '/sys/fs/cgroup/memory', 'cgroup', 'rw,favordynmods,memory')];
  assert.deepEqual(targetIn(built.join('\n')), { mountPoint: '/sys/fs/cgroup/memory', enabled: true });
  assert.deepEqual(targetIn(line(40, '/mnt/cg\\040two', 'cgroup2', 'rw')), { mountPoint: '/mnt/cg two', enabled: false });
});
