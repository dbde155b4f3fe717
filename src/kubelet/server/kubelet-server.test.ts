import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { WebSocket } from 'ws';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import { testContainerConfig, testSandboxConfig } from '../../runtime/fake/test-configs.ts';
import { KubeletServer } from './kubelet-server.ts';
import { selfSignedServingCert } from './tls.ts';
import { spdyExec, UpgradeRefused, type SpdyExecRequest } from './testing/spdy-client.ts';

const token = 'secret-token';

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ks-'));
  t.after(() => fs.rm(logDir, { recursive: true, force: true }));
  const runtime = new FakeRuntime();
  runtime.addImage('busybox:1.35');
  const sandboxConfig = testSandboxConfig('web', 'u1', logDir);
  const sb = await runtime.runPodSandbox(sandboxConfig);
  const make = async (name: string, attempt: number, logs: string[]) => {
    runtime.scriptContainer({ name }, { logs });
    const id = await runtime.createContainer(
      sb,
      testContainerConfig(name, { attempt, command: ['sh'], labels: { 'io.kubernetes.pod.uid': 'u1' } }),
      sandboxConfig,
    );
    await runtime.startContainer(id);
    return id;
  };
  const old = await make('app', 0, ['old-1']);
  await runtime.stopContainer(old, 0);
  const cur = await make('app', 1, ['line-1', 'line-2', 'line-3']);
  const pod: IPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'app' }, { name: 'waiting' }] },
    status: {
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 1,
          image: '',
          imageID: '',
          containerID: `fake://${cur}`,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, containerID: `fake://${old}` } },
        },
        {
          name: 'waiting',
          ready: false,
          restartCount: 0,
          image: '',
          imageID: '',
          state: { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    },
  };
  const server = new KubeletServer({
    runtime,
    host: { getPod: (ns, name) => (ns === 'default' && name === 'web' ? pod : undefined) },
    timeline: (ns, name) =>
      ns === 'default' && name === 'web'
        ? { kind: 'PodTimeline', namespace: ns, name, uid: 'u1', steps: [{ at: 1_700_000_000_123, kind: 'PodSeen' }] }
        : undefined,
    resourceMetrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'resource_scrape_error 0\n' }),
    token,
    tls: await selfSignedServingCert('node-1', []),
    address: '127.0.0.1',
    port: 0,
  });
  const port = await server.listen();
  t.after(() => server.close());
  runtime.scriptExec(({ cmd }) =>
    cmd.join(' ') === 'sh -c exit 3'
      ? { exitCode: 3, stderr: Buffer.from('oops\n') }
      : { stdout: Buffer.from(`ran ${cmd.join(' ')}\n`) },
  );
  return { port, runtime, cur };
}

function get(port: number, p: string, auth = true): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port,
          path: p,
          rejectUnauthorized: false,
          headers: auth ? { authorization: `Bearer ${token}` } : {},
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
      .on('error', reject);
  });
}

test('containerLogs serves current and previous logs with the kubelet error messages', async (t) => {
  const { port } = await setup(t);
  assert.equal((await get(port, '/containerLogs/default/web/app', false)).status, 401);
  assert.deepEqual(await get(port, '/containerLogs/default/web/app'), {
    status: 200,
    body: 'line-1\nline-2\nline-3\n',
  });
  assert.equal((await get(port, '/containerLogs/default/web/app?tailLines=1')).body, 'line-3\n');
  assert.match(
    (await get(port, '/containerLogs/default/web/app?timestamps=true&tailLines=1')).body,
    /^\d{4}-\d\d-\d\dT\S+Z line-3\n$/,
  );
  assert.equal((await get(port, '/containerLogs/default/web/app?limitBytes=3')).body, 'lin');
  assert.equal((await get(port, '/containerLogs/default/web/app?previous=true')).body, 'old-1\n');
  assert.equal((await get(port, '/containerLogs/default/web/app?sinceSeconds=3600')).body, 'line-1\nline-2\nline-3\n');
  assert.equal(
    (await get(port, `/containerLogs/default/web/app?sinceTime=${new Date(Date.now() + 3600_000).toISOString()}`)).body,
    '',
  );
  assert.equal((await get(port, '/containerLogs/default/web/app?tailLines=x')).status, 400);
  const waiting = await get(port, '/containerLogs/default/web/waiting');
  assert.equal(waiting.status, 400);
  assert.equal(
    JSON.parse(waiting.body).message,
    'container "waiting" in pod "web" is waiting to start: ContainerCreating',
  );
  const prev = await get(port, '/containerLogs/default/web/waiting?previous=true');
  assert.equal(JSON.parse(prev.body).message, 'previous terminated container "waiting" in pod "web" not found');
  assert.equal((await get(port, '/containerLogs/default/nope/app')).status, 404);
});

function execWs(
  port: number,
  query: string,
  protocols = ['v5.channel.k8s.io'],
): Promise<{ protocol: string; frames: Buffer[]; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/default/web/app?${query}`, protocols, {
      rejectUnauthorized: false,
      headers: { authorization: `Bearer ${token}` },
    });
    const frames: Buffer[] = [];
    ws.on('open', () => {
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}\n')]));
      ws.send(Buffer.from([0, ...Buffer.from('input')]));
      ws.send(Buffer.from([255, 0]));
    });
    ws.on('message', (d: Buffer) => frames.push(d));
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, closeCode: code }));
    ws.on('error', reject);
  });
}

test('exec over WebSocket: channels, exit status on channel 3, close 1000', async (t) => {
  const { port, runtime, cur } = await setup(t);
  const ok = await execWs(port, 'command=echo&command=hi&stdin=true&stdout=true&stderr=true');
  assert.equal(ok.protocol, 'v5.channel.k8s.io');
  assert.equal(ok.closeCode, 1000);
  const byChannel = (frames: Buffer[], ch: number) =>
    Buffer.concat(frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString();
  assert.equal(byChannel(ok.frames, 1), 'ran echo hi\n');
  assert.deepEqual(JSON.parse(byChannel(ok.frames, 3)), { metadata: {}, status: 'Success' });
  assert.ok(
    ok.frames.every((f) => f[0] !== 3 || f === ok.frames.at(-1)),
    'the status is the last frame',
  );
  assert.deepEqual(runtime.calls.find((c) => c.method === 'exec')?.args, [
    cur,
    ['echo', 'hi'],
    { stdin: true, stdout: true, stderr: true, tty: false },
  ]);

  const fail = await execWs(port, 'command=sh&command=-c&command=exit%203&stdout=true&stderr=true', [
    'v4.channel.k8s.io',
  ]);
  assert.equal(fail.protocol, 'v4.channel.k8s.io');
  assert.equal(byChannel(fail.frames, 2), 'oops\n');
  const status = JSON.parse(byChannel(fail.frames, 3));
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
});

test('exec is refused before the upgrade for unknown containers and protocols', async (t) => {
  const { port } = await setup(t);
  const refused = (p: string, protocols: string[]) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}${p}`, protocols, {
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${token}` },
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
  assert.equal(await refused('/exec/default/web/nope?command=sh&stdout=true', ['v5.channel.k8s.io']), 404);
  assert.equal(await refused('/exec/default/web/app?command=sh&stdout=true', ['channel.k8s.io']), 400);
  assert.equal(await refused('/exec/default/web/waiting?command=sh&stdout=true', ['v5.channel.k8s.io']), 400);
});

test('exec: the terminal size kubectl sends at once reaches the session even while the runtime is still starting it', async (t) => {
  const { port, runtime } = await setup(t);
  const realExec = runtime.exec.bind(runtime);
  const sizes: { width: number; height: number }[] = [];
  runtime.exec = async (id, cmd, opts) => {
    // conmon takes a while to hand over the pty; kubectl's first frames arrive meanwhile.
    await new Promise((r) => setTimeout(r, 150));
    const session = await realExec(id, cmd, opts);
    return { ...session, resize: (size) => sizes.push(size) };
  };
  const r = await execWs(port, 'command=sh&stdin=true&stdout=true&tty=true');
  assert.equal(r.closeCode, 1000);
  assert.deepEqual(sizes, [{ width: 80, height: 24 }]);
});

test('exec over SPDY/3.1 (client-go executor): stdout, stderr, exit code on the error stream, every version', async (t) => {
  const { port, runtime, cur } = await setup(t);
  const req = (query: string, extra: Partial<SpdyExecRequest> = {}) =>
    spdyExec({
      host: '127.0.0.1',
      port,
      path: `/exec/default/web/app?${query}`,
      headers: { authorization: `Bearer ${token}` },
      ...extra,
    });
  const ok = await req('command=echo&command=hi&stdin=true&stdout=true&stderr=true', { stdin: 'input' });
  assert.equal(ok.protocol, 'v4.channel.k8s.io');
  assert.equal(ok.stdout, 'ran echo hi\n');
  assert.deepEqual(JSON.parse(ok.error), { metadata: {}, status: 'Success' });
  assert.deepEqual(runtime.calls.find((c) => c.method === 'exec')?.args, [
    cur,
    ['echo', 'hi'],
    { stdin: true, stdout: true, stderr: true, tty: false },
  ]);

  const fail = await req('command=sh&command=-c&command=exit%203&stdout=true&stderr=true');
  assert.equal(fail.stderr, 'oops\n');
  const status = JSON.parse(fail.error);
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });

  // Before v4 the error stream carries the message as text, and nothing on success.
  const v3 = await req('command=sh&command=-c&command=exit%203&stdout=true&stderr=true', { protocols: ['v3.channel.k8s.io'] });
  assert.equal(v3.protocol, 'v3.channel.k8s.io');
  assert.match(v3.error, /^command terminated with non-zero exit code: .*exit code 3$/);
  const v1 = await req('command=echo&stdout=true&stderr=true', { protocols: ['channel.k8s.io'] });
  assert.equal(v1.protocol, 'channel.k8s.io');
  assert.equal(v1.stdout, 'ran echo\n');
  assert.equal(v1.error, '');
});

test('exec over SPDY: tty sizes from the resize stream reach the session; refusals come before the upgrade', async (t) => {
  const { port, runtime } = await setup(t);
  const realExec = runtime.exec.bind(runtime);
  const sizes: { width: number; height: number }[] = [];
  runtime.exec = async (id, cmd, opts) => {
    const session = await realExec(id, cmd, opts);
    return {
      ...session,
      resize: (size) => sizes.push(size),
      // The process lives until the sizes are in.
      exit: new Promise((r) => {
        const check = setInterval(() => {
          if (sizes.length < 2) return;
          clearInterval(check);
          r({ exitCode: 0 });
        }, 10);
      }),
    };
  };
  const r = await spdyExec({
    host: '127.0.0.1',
    port,
    path: '/exec/default/web/app?command=sh&stdin=true&stdout=true&tty=true',
    headers: { authorization: `Bearer ${token}` },
    stdin: '',
    tty: true,
    sizes: [{ width: 80, height: 24 }, { width: 120, height: 40 }],
  });
  assert.deepEqual(JSON.parse(r.error), { metadata: {}, status: 'Success' });
  assert.deepEqual(sizes, [{ width: 80, height: 24 }, { width: 120, height: 40 }]);

  const refused = async (path: string, protocols?: string[]) => {
    const err = await spdyExec({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` }, protocols }).then(
      () => assert.fail('upgraded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpgradeRefused, String(err));
    return err;
  };
  assert.equal((await refused('/exec/default/web/nope?command=sh&stdout=true')).statusCode, 404);
  assert.equal((await refused('/exec/default/web/waiting?command=sh&stdout=true')).statusCode, 400);
  const unknown = await refused('/exec/default/web/app?command=sh&stdout=true', ['v9.channel.k8s.io']);
  assert.equal(unknown.statusCode, 403);
  assert.match(JSON.parse(unknown.body).message, /unable to negotiate protocol: client supports \[v9\.channel\.k8s\.io\]/);
});

/** Opens a WebSocket port-forward; `talk` runs once it is open; resolves with the frames and the close code. */
function portForwardWs(
  port: number,
  query: string,
  talk: (ws: WebSocket, frames: Buffer[]) => void,
  protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
): Promise<{ protocol: string; frames: Buffer[]; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/portForward/default/web?${query}`, protocols, {
      rejectUnauthorized: false,
      headers: { authorization: `Bearer ${token}` },
    });
    const frames: Buffer[] = [];
    ws.on('open', () => talk(ws, frames));
    ws.on('message', (d: Buffer) => frames.push(d));
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, closeCode: code }));
    ws.on('error', reject);
  });
}

test('port-forward over WebSocket (client-node): v4 channels, each opened with its port, data both ways per port', async (t) => {
  const { port, runtime } = await setup(t);
  const { protocol, frames, closeCode } = await portForwardWs(port, 'port=8080,9090', (ws, got) => {
    ws.send(Buffer.from([0, ...Buffer.from('to 8080')]));
    ws.send(Buffer.from([2, ...Buffer.from('to 9090')]));
    // The fake runtime's ports echo; close once both echoes are back.
    const check = setInterval(() => {
      if (got.filter((f) => f.length > 3).length === 2) {
        clearInterval(check);
        ws.close();
      }
    }, 10);
  });
  assert.equal(protocol, 'v4.channel.k8s.io', 'v5 is exec’s; port-forward answers v4');
  assert.equal(closeCode, 1005);
  // First on every channel: its port, little-endian (8080 = 0x1f90, 9090 = 0x2382).
  assert.deepEqual(frames.slice(0, 4).map((f) => [...f]), [[0, 0x90, 0x1f], [1, 0x90, 0x1f], [2, 0x82, 0x23], [3, 0x82, 0x23]]);
  const data = frames.slice(4).map((f) => `${f[0]} ${f.subarray(1).toString()}`).sort();
  assert.deepEqual(data, ['0 to 8080', '2 to 9090']);
  assert.deepEqual(runtime.calls.filter((c) => c.method === 'portForward').map((c) => c.args[1]), [8080, 9090]);
});

test('port-forward over WebSocket: a port that cannot be opened gets upstream\'s error on its error channel, then the close', async (t) => {
  const { port, runtime } = await setup(t);
  runtime.injectError('portForward', new Error('connection refused'));
  const { frames, closeCode } = await portForwardWs(port, 'port=81', () => {});
  assert.equal(closeCode, 1000);
  assert.equal(frames.at(-1)![0], 1);
  assert.equal(frames.at(-1)!.subarray(1).toString(), 'error forwarding port 81 to pod web_default, uid u1: connection refused');
});

test('port-forward over WebSocket is refused before the upgrade without a valid port or a known protocol', async (t) => {
  const { port } = await setup(t);
  const refused = (query: string, protocols: string[]) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/portForward/default/web${query}`, protocols, {
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${token}` },
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body).message }));
      });
      ws.on('error', () => {});
    });
  assert.deepEqual(await refused('', ['v4.channel.k8s.io']), { status: 400, body: 'query parameter "port" is required' });
  assert.deepEqual(await refused('?port=http', ['v4.channel.k8s.io']), { status: 400, body: 'unable to parse "http" as a port' });
  assert.deepEqual(await refused('?port=0', ['v4.channel.k8s.io']), { status: 400, body: 'port "0" must be > 0' });
  // (kubectl's SPDY-in-WebSocket tunnel, `SPDY/3.1+portforward.k8s.io`, which ws cannot offer, is refused the
  // same way, and kubectl falls back to the SPDY upgrade.)
  assert.deepEqual(await refused('?port=80', ['v5.channel.k8s.io']), {
    status: 400,
    body: 'requested protocol(s) are not supported: [v5.channel.k8s.io]; supports [v4.channel.k8s.io]',
  });
});

test('podTimeline serves the pod’s record as JSON, 404 for a pod without one, 401 without the token', async (t) => {
  const { port } = await setup(t);
  const ok = await get(port, '/podTimeline/default/web');
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body).steps, [{ at: 1_700_000_000_123, kind: 'PodSeen' }]);
  const missing = await get(port, '/podTimeline/default/nope');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).reason, 'NotFound');
  assert.equal((await get(port, '/podTimeline/default/web', false)).status, 401);
});

test('/metrics/resource: the resource metrics text, for the bearer token only', async (t) => {
  const { port } = await setup(t);
  assert.deepEqual(await get(port, '/metrics/resource'), { status: 200, body: 'resource_scrape_error 0\n' });
  assert.equal((await get(port, '/metrics/resource', false)).status, 401);
});
