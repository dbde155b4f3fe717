import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RuntimeError } from '../../runtime/runtime.ts';
import { runProbe, type ProbeTarget } from './probe.ts';
import { makePod } from '../kuberuntime/testing.ts';

const pod = makePod('p')
  .container('c', { ports: [{ name: 'web', containerPort: 1 }] })
  .build();
const target = (port?: number): ProbeTarget => {
  const container = structuredClone(pod.spec!.containers[0]);
  if (port) container.ports = [{ name: 'web', containerPort: port }];
  return { pod, container, containerId: 'cid', podIP: '127.0.0.1' };
};
const noExec = { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) };

async function listen<T extends net.Server>(server: T): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('httpGet probe: 2xx/3xx succeed, others fail, headers and named ports, refused', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
    res.end('body');
  });
  const port = await listen(server);
  try {
    const ok = await runProbe(
      { httpGet: { path: '/healthz', port: 'web', httpHeaders: [{ name: 'X-Probe', value: '1' }] } },
      target(port),
      noExec,
    );
    assert.equal(ok.result, 'Success');
    assert.equal(seen[0]['user-agent'], 'kube-probe/1.32');
    assert.equal(seen[0]['x-probe'], '1');
    assert.equal((await runProbe({ httpGet: { path: '/moved', port } }, target(), noExec)).result, 'Success');
    assert.deepEqual(await runProbe({ httpGet: { path: '/bad', port } }, target(), noExec), {
      result: 'Failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
  } finally {
    server.close();
  }
  const refused = await runProbe({ httpGet: { path: '/', port } }, target(), noExec);
  assert.equal(refused.result, 'Failure');
  assert.equal(
    refused.output,
    `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  );
});

test('tcpSocket probe: connect succeeds, refused fails', async () => {
  const server = net.createServer((s) => s.end());
  const port = await listen(server);
  assert.equal((await runProbe({ tcpSocket: { port } }, target(), noExec)).result, 'Success');
  server.close();
  await new Promise((r) => server.once('close', r));
  assert.deepEqual(await runProbe({ tcpSocket: { port } }, target(), noExec), {
    result: 'Failure',
    output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
});

test('grpc probe: health Check over HTTP/2, SERVING succeeds, NOT_SERVING fails', async () => {
  let status = 1;
  const services: string[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      const msg = Buffer.concat(chunks).subarray(5);
      services.push(msg.length ? msg.subarray(2).toString() : '');
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
    });
  });
  const port = await listen(server);
  try {
    assert.equal((await runProbe({ grpc: { port, service: 'db' } }, target(), noExec)).result, 'Success');
    status = 2;
    assert.deepEqual(await runProbe({ grpc: { port } }, target(), noExec), {
      result: 'Failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
    assert.deepEqual(services, ['db', '']);
  } finally {
    server.close();
  }
});

test('exec probe: exit code decides, a timeout fails, $(VAR) expands from literal env', async () => {
  const calls: { cmd: string[]; timeout: number }[] = [];
  const rt = {
    execSync: async (_id: string, cmd: string[], timeout: number) => {
      calls.push({ cmd, timeout });
      if (cmd[0] === 'slow') throw new RuntimeError('DeadlineExceeded', 'timeout');
      return { stdout: Buffer.from('out'), stderr: Buffer.alloc(0), exitCode: cmd[0] === 'fail' ? 1 : 0 };
    },
  };
  const t = target();
  t.container.env = [{ name: 'FILE', value: '/tmp/healthy' }];
  assert.equal((await runProbe({ exec: { command: ['cat', '$(FILE)'] }, timeoutSeconds: 2 }, t, rt)).result, 'Success');
  assert.deepEqual(calls[0], { cmd: ['cat', '/tmp/healthy'], timeout: 2000 });
  assert.deepEqual(await runProbe({ exec: { command: ['fail'] } }, t, rt), { result: 'Failure', output: 'out' });
  assert.equal((await runProbe({ exec: { command: ['slow'] } }, t, rt)).result, 'Failure');
});
