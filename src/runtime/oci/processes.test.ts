import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { alive, aliveSince, processStartTime, waitGone } from './processes.ts';
import { poll } from '../../machinery/testing/poll.ts';

describe('processes', () => {
  it('tells a running process by pid and start time from a later one with the same pid', () => {
    const start = processStartTime(process.pid);
    assert.ok(start !== undefined && start > 0);
    assert.equal(alive(process.pid), true);
    assert.equal(aliveSince(process.pid, start), true);
    assert.equal(aliveSince(process.pid, start! + 1), false, 'another start time: the pid was reused');
    assert.equal(aliveSince(process.pid, undefined), true);
    assert.equal(alive(0), false);
    assert.equal(processStartTime(0), undefined);
  });

  it('takes a zombie for gone', async () => {
    // `sleep 0` exits at once; the shell becomes `sleep 30` by exec and never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    try {
      await poll(() => /\) Z/.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')), `pid ${zombie} a zombie`, { intervalMs: 10, timeoutMs: 10_000 });
      assert.ok(existsSync(`/proc/${zombie}`), 'the zombie still has a pid');
      assert.equal(alive(zombie), false);
      assert.equal(await waitGone(zombie, 1000), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('waits for a process to end, or times out', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    assert.equal(await waitGone(child.pid!, 30), false, 'still running after the timeout');
    child.kill('SIGKILL');
    assert.equal(await waitGone(child.pid!, 5000), true);
    assert.equal(alive(child.pid!), false);
  });
});
