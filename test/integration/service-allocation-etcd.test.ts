/**
 * Service IP and node port allocation with several API servers on one etcd: two allocators, each on its own
 * etcd client (as two servers would be), hand out no item twice under concurrent picks and by-name requests,
 * and a restarted one (a new client) sees every earlier allocation. etcd (Debian's etcd-server) is started
 * here on free loopback ports in a temp dir and stopped by PID.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '../../src/storage/etcd/index.ts';
import { ServiceAllocators } from '../../src/apiserver/services/allocators.ts';
import { AllocationError } from '../../src/apiserver/services/allocator.ts';

const ETCD = '/usr/bin/etcd';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let etcd: ChildProcess | undefined;
let dir: string | undefined;
let url = '';

async function startEtcd(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'kubeling-etcd-alloc-'));
  const [client, peer] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  let log = '';
  etcd = spawn(ETCD, [
    '--name', 'kubeling-alloc', '--data-dir', join(dir, 'data'), '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `kubeling-alloc=${peerUrl}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  etcd.stdout!.on('data', (d) => (log += d));
  etcd.stderr!.on('data', (d) => (log += d));
  const probe = new EtcdStore({ endpoints: [clientUrl], dialTimeoutMs: 1_000 });
  try {
    for (let i = 0; ; i++) {
      try {
        await probe.currentRevision();
        break;
      } catch (err) {
        if (i > 100 || etcd.exitCode !== null) throw new Error(`etcd did not become ready: ${String(err)}\n${log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await probe.close();
  }
  return clientUrl;
}

if (!existsSync(ETCD)) {
  test('service allocation on etcd', (t) => t.skip(`needs ${ETCD} (Debian package etcd-server)`));
} else {
  before(async () => {
    url = await startEtcd();
  });
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

  test('two API servers on one etcd never hand out the same IP or port; a restart sees them all', async () => {
    const prefix = `/kubeling-alloc-${process.pid}`;
    const s1 = new EtcdStore({ endpoints: [url], prefix });
    const s2 = new EtcdStore({ endpoints: [url], prefix });
    const owner = (i: number) => ({ namespace: 'default', name: `svc-${i}`, uid: `uid-${i}` });
    try {
      // A /26: 62 usable addresses, 60 for dynamic picks (.1 and .10 reserved).
      const a = new ServiceAllocators({ store: s1, serviceCidr: '10.77.0.0/26', nodePortRange: '30000-30039' });
      const b = new ServiceAllocators({ store: s2, serviceCidr: '10.77.0.0/26', nodePortRange: '30000-30039' });
      const ips = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).ips.allocateNext(owner(i))));
      assert.equal(new Set(ips).size, 60);
      assert.ok(!ips.includes('10.77.0.1') && !ips.includes('10.77.0.10'));
      await assert.rejects(a.ips.allocateNext(owner(99)), (e) => e instanceof AllocationError && e.code === 'Full');
      // Both ask for the same port by name at once: exactly one wins.
      const race = await Promise.allSettled([a.ports.allocate('30007', owner(1)), b.ports.allocate('30007', owner(2))]);
      assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const ports = await Promise.all(Array.from({ length: 39 }, (_, i) => (i % 2 ? a : b).ports.allocateNext(owner(100 + i))));
      assert.equal(new Set([...ports, '30007']).size, 40);
      // A restarted server (a new client) finds everything taken.
      const s3 = new EtcdStore({ endpoints: [url], prefix });
      try {
        const c = new ServiceAllocators({ store: s3, serviceCidr: '10.77.0.0/26', nodePortRange: '30000-30039' });
        assert.equal((await c.ips.list()).length, 60);
        await assert.rejects(c.ports.allocateNext(owner(200)), (e) => e instanceof AllocationError && e.code === 'Full');
        assert.equal(await c.ips.release(ips[0]!, owner(0)), true);
        assert.equal(await a.ips.allocateNext(owner(300)), ips[0]);
      } finally {
        await s3.close();
      }
    } finally {
      await s1.close();
      await s2.close();
    }
  });
}
