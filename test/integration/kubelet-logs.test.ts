/**
 * Log rotation with a real container: the kubelet's log manager renames a full log file and the runtime's
 * monitor (conmon) reopens a fresh one; a `kubectl logs -f` reader follows across the rotation without losing
 * or repeating a line, and ends when the container exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ContainerLogManager, readLogs } from '../../src/kubelet/logs/index.ts';
import { containerConfig, makeOciEnv, sandboxConfig } from './oci-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();

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
        'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo line $i; sleep 0.01; done',
      ]),
      sbConfig,
    );
    await env.runtime.startContainer(id);
    const logPath = (await env.runtime.containerStatus(id)).logPath;

    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const running = async () => (await env.runtime.containerStatus(id)).state === 'CONTAINER_RUNNING';
    const follow = readLogs(logPath, { follow: true }, out, AbortSignal.timeout(60_000), {
      isRunning: running,
      pollMs: 20,
    });

    const manager = new ContainerLogManager({ runtime: env.runtime, maxSize: 1500, maxFiles: 3 });
    let rotations = 0;
    while (await running()) {
      if (await manager.rotateIfNeeded(id, logPath)) rotations++;
      await new Promise((r) => setTimeout(r, 100));
    }
    await follow;
    assert.ok(rotations >= 2, `rotated ${rotations} times`);
    const lines = text.trimEnd().split('\n');
    assert.deepEqual(
      lines,
      Array.from({ length: 400 }, (_, i) => `line ${i + 1}`),
      'every line once, in order',
    );
    const rotated = (await fs.readdir(path.dirname(logPath))).filter((f) => f.startsWith(`${path.basename(logPath)}.`));
    assert.ok(
      rotated.length >= 1 && rotated.length <= 2,
      `keeps at most maxFiles - 1 rotated files: ${rotated.join(', ')}`,
    );
    await env.runtime.removePodSandbox(sb);
  },
);
