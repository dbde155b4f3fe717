import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../machinery/clock.ts';
import { HandlerRunner } from './handlers.ts';
import { makePod } from '../kuberuntime/testing.ts';

const pod = makePod('h')
  .container('c', { ports: [{ name: 'http', containerPort: 1 }] })
  .build();

test('hooks: httpGet to the pod IP or host, named ports, fails only without a response; exec exit code; sleep on the clock', async () => {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const c = { ...pod.spec!.containers[0], ports: [{ name: 'http', containerPort: port }] };
  const clock = new FakeClock();
  let exitCode = 0;
  const runner = new HandlerRunner({
    runtime: { execSync: async () => ({ stdout: Buffer.from('nope'), stderr: Buffer.alloc(0), exitCode }) },
    clock,
  });
  try {
    await runner.run(pod, c, 'cid', { httpGet: { path: '/start', port: 'http' } }, '127.0.0.1', 0);
    await runner.run(pod, c, 'cid', { httpGet: { host: '127.0.0.1', path: 'nolead', port } }, '10.0.0.1', 0);
    // Upstream never looks at the status code of a hook's response.
    await runner.run(pod, c, 'cid', { httpGet: { path: '/fail', port } }, '127.0.0.1', 0);
    assert.deepEqual(paths, ['/start', '/nolead', '/fail']);
  } finally {
    await new Promise((r) => server.close(r));
  }
  await assert.rejects(runner.run(pod, c, 'cid', { httpGet: { path: '/x', port } }, '127.0.0.1', 0), {
    message: `HTTP lifecycle hook (/x) for Container "c" in Pod "h_default(uid-h)" failed - error: Get "http://127.0.0.1:${port}/x": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
  await runner.run(pod, c, 'cid', { exec: { command: ['true'] } }, '', 0);
  exitCode = 2;
  await assert.rejects(runner.run(pod, c, 'cid', { exec: { command: ['sh', '-c', 'exit 2'] } }, '', 0), {
    message:
      'Exec lifecycle hook ([sh -c exit 2]) for Container "c" in Pod "h_default(uid-h)" failed - error: command \'sh -c exit 2\' exited with 2: , message: "nope"',
  });
  let slept = false;
  const sleeping = runner.run(pod, c, 'cid', { sleep: { seconds: 5 } }, '', 0).then(() => (slept = true));
  await clock.step(4000);
  assert.equal(slept, false);
  await clock.step(1000);
  await sleeping;
  assert.equal(slept, true);
});
