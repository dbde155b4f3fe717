/**
 * The Store conformance suite against a real etcd (Debian's etcd-server), started here on free loopback ports
 * in a temp dir and stopped by PID afterwards. Each store gets its own key namespace on the one server.
 */
import { after, before, test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deferred } from '../../src/machinery/index.ts';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { runStoreConformance } from '../../src/storage/store.conformance.ts';

import { ETCD, missingEtcd } from '../prerequisites.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const missing = missingEtcd();
if (missing) {
  test('etcd store conformance', { skip: missing }, () => {});
} else {
  const endpoint = new Deferred<string>();
  let etcd: ChildProcess | undefined;
  let dir: string | undefined;
  let n = 0;

  // A failed start fails every test with its reason (node:test would only cancel them).
  before(() =>
    start().then(
      (url) => endpoint.resolve(url),
      (err) => endpoint.reject(err),
    ),
  );

  async function start(): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'kubeling-etcd-'));
    const [client, peer] = [await freePort(), await freePort()];
    const clientUrl = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    let log = '';
    etcd = spawn(
      ETCD,
      [
        '--name',
        'kubeling-test',
        '--data-dir',
        join(dir, 'data'),
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `kubeling-test=${peerUrl}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    etcd.stdout!.on('data', (d) => (log += d));
    etcd.stderr!.on('data', (d) => (log += d));
    etcd.on('exit', (code) => endpoint.reject(new Error(`etcd exited (${code}): ${log.slice(-2000)}`)));
    // Ready when a client can read a revision.
    const probe = new EtcdStore({ endpoints: [clientUrl], dialTimeoutMs: 1_000 });
    try {
      for (let i = 0; ; i++) {
        try {
          await probe.currentRevision();
          break;
        } catch (err) {
          if (i > 100 || etcd.exitCode !== null)
            throw new Error(`etcd did not become ready: ${String(err)}\n${log.slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await probe.close();
    }
    return clientUrl;
  }

  after(async () => {
    if (etcd && etcd.exitCode === null) {
      const exited = new Promise((resolve) => etcd!.once('exit', resolve));
      process.kill(etcd.pid!, 'SIGTERM');
      const stuck = setTimeout(() => process.kill(etcd!.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(stuck);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  runStoreConformance(
    'etcd',
    async () => new EtcdStore({ endpoints: [await endpoint.promise], prefix: `/kubeling-test-${process.pid}-${n++}` }),
  );
}
