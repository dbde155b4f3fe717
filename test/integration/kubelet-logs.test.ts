/**
 * Log rotation with a real container: the kubelet's log manager renames a full log file and the runtime's
 * monitor (conmon) reopens a fresh one; a `kubectl logs -f` reader follows across the rotations without losing
 * or repeating a line, and ends when the container exits. The container writes its lines in batches, each
 * released by the test (a file created through exec), so every rotation happens between two known batches:
 * the test checks that the rotations happened and what the files hold, never how fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ContainerLogManager, readLogs } from '../../src/kubelet/logs/index.ts';
import { containerConfig, makeOciEnv, pollUntil, sandboxConfig } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
const BATCHES = 4;
const PER_BATCH = 100; // some 4.5 kB of CRI lines per batch: each batch alone fills a 1500-byte log

test(
  'rotation under a running container: follow continues in the reopened file',
  { skip: why || undefined },
  async (t) => {
    const env = await makeOciEnv('klogs');
    t.after(() => env.cleanup());
    const sbConfig = sandboxConfig(env);
    const sb = await env.runtime.runPodSandbox(sbConfig);
    const id = await env.runtime.createContainer(
      sb,
      containerConfig('counter', [
        'sh',
        '-c',
        `i=0; b=0; while [ $b -lt ${BATCHES} ]; do b=$((b+1)); until [ -e /tmp/go$b ]; do sleep 0.05; done; ` +
          `j=0; while [ $j -lt ${PER_BATCH} ]; do i=$((i+1)); j=$((j+1)); echo line $i; done; done`,
      ]),
      sbConfig,
    );
    await env.runtime.startContainer(id);
    const logPath = (await env.runtime.containerStatus(id)).logPath;

    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const running = async () => (await env.runtime.containerStatus(id)).state === 'CONTAINER_RUNNING';
    const follow = readLogs(logPath, { follow: true }, out, AbortSignal.timeout(120_000), {
      isRunning: running,
      pollMs: 20,
    });

    const manager = new ContainerLogManager({ runtime: env.runtime, maxSize: 1500, maxFiles: 3 });
    for (let b = 1; b <= BATCHES; b++) {
      const r = await env.runtime.execSync(id, ['touch', `/tmp/go${b}`], 10_000);
      assert.equal(r.exitCode, 0, `release batch ${b}`);
      const lastLine = `line ${b * PER_BATCH}\n`;
      await pollUntil(() => text.includes(lastLine), `the follower to read ${lastLine.trim()}`, 30_000);
      // The whole batch is in the current file, past maxSize: it rotates, except after the last batch.
      if (b < BATCHES) assert.equal(await manager.rotateIfNeeded(id, logPath), true, `rotation after batch ${b}`);
    }
    await follow;
    assert.equal(await running(), false, 'the container exited after its last batch');
    const lines = text.trimEnd().split('\n');
    assert.deepEqual(
      lines,
      Array.from({ length: BATCHES * PER_BATCH }, (_, i) => `line ${i + 1}`),
      'every line once, in order',
    );
    // Three rotations with maxFiles 3: the oldest rotated file is gone, the current file and two rotated remain.
    const rotated = (await fs.readdir(path.dirname(logPath)))
      .filter((f) => f.startsWith(`${path.basename(logPath)}.`))
      .sort();
    assert.equal(rotated.length, 2, `keeps maxFiles - 1 rotated files: ${rotated.join(', ')}`);
    const current = await fs.readFile(logPath, 'utf8');
    assert.match(current, / line 301\n/, 'the current file starts with the last batch');
    assert.doesNotMatch(current, / line 300\n/);
    await env.runtime.removePodSandbox(sb);
  },
);
