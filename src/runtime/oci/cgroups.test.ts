/**
 * cgroups.ts on fake cgroup trees (plain directories with the files the kernel would show): layout
 * detection, path checks, pids of a cgroup and everything below it, OOM-kill counters. Real hierarchies are
 * exercised by test/integration/oci-cgroup-v2.test.ts (in a v2 VM) and the other oci integration tests.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cgroupOomKilled, cgroupPids, detectCgroupLayout, normaliseCgroupPath } from './cgroups.ts';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fake tree: `files` maps paths relative to the root to contents. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kubeling-cgroups-'));
  made.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('cgroups', () => {
  it('detects v2 by the root cgroup.controllers and v1 by one hierarchy per controller', () => {
    const v2 = tree({ 'cgroup.controllers': 'cpu memory pids\n', 'cgroup.procs': '' });
    assert.deepEqual(detectCgroupLayout(v2), { version: 2, root: v2, hierarchies: [v2] });
    const v1 = tree({
      'memory/cgroup.procs': '',
      'pids/cgroup.procs': '',
      'unified/cgroup.procs': '',
      'unified/cgroup.controllers': '',
    });
    const layout = detectCgroupLayout(v1);
    assert.equal(layout.version, 1);
    assert.deepEqual(
      [...layout.hierarchies].sort(),
      ['memory', 'pids', 'unified'].map((h) => join(v1, h)),
    );
  });

  it('accepts relative cgroup paths only', () => {
    assert.equal(normaliseCgroupPath('/kubepods//burstable/pod1/'), 'kubepods/burstable/pod1');
    assert.throws(() => normaliseCgroupPath('kubepods/../etc'), /invalid cgroup path/);
  });

  it('lists the pids of a cgroup and of the cgroups below it', async () => {
    const v2 = tree({
      'cgroup.controllers': '',
      'pod/c1/cgroup.procs': '10\n11\n',
      'pod/c1/nested/cgroup.procs': '12\n',
      'pod/c1/nested/deeper/cgroup.procs': '13\n',
      'pod/c2/cgroup.procs': '20\n',
    });
    const layout = detectCgroupLayout(v2);
    assert.deepEqual((await cgroupPids(layout, 'pod/c1')).sort(), [10, 11, 12, 13]);
    assert.deepEqual(await cgroupPids(layout, 'pod/gone'), []);
    const v1 = tree({
      'pids/cgroup.procs': '',
      'pids/pod/c/cgroup.procs': '5\n',
      'pids/pod/c/sub/cgroup.procs': '6\n',
      'memory/cgroup.procs': '',
    });
    assert.deepEqual((await cgroupPids(detectCgroupLayout(v1), 'pod/c')).sort(), [5, 6]);
  });

  it('reads OOM kills from memory.events (v2) and memory.oom_control (v1)', () => {
    const v2 = tree({
      'cgroup.controllers': '',
      'a/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      'b/memory.events': 'oom 0\noom_kill 0\n',
    });
    assert.equal(cgroupOomKilled(detectCgroupLayout(v2), 'a'), true);
    assert.equal(cgroupOomKilled(detectCgroupLayout(v2), 'b'), false);
    assert.equal(cgroupOomKilled(detectCgroupLayout(v2), 'missing'), false);
    const v1 = tree({
      'memory/cgroup.procs': '',
      'memory/a/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    });
    assert.equal(cgroupOomKilled(detectCgroupLayout(v1), 'a'), true);
  });
});
