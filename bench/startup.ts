#!/usr/bin/env node
/**
 * `kubeling server` start-up (issue 15): a cold start on a fresh data dir to its `ready` line (the admin
 * kubeconfig written, its own node Ready in the API) and to the first pod Running, for the fake and the oci
 * runtime; then the idle server's memory: PSS and RSS of the server process a minute (`--idle`) after
 * `ready`, with its own node and no pods. Prints figures; asserts nothing.
 *
 *   node bench/startup.ts [--runtime fake,oci] [--runs 3] [--idle 60]
 *
 * The oci runs need root, crun, conmon and the CNI plugins (scripts/setup-host.sh); the busybox test image is
 * imported into the data dir before the server starts, so "first pod Running" is the pod's own start, no pull.
 * "Cold" here means a new data dir (new CA and certificates, empty store); node's own start-up and the
 * compile of the TypeScript sources are in the figure, the OS page cache is warm.
 */
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { unmountUnder } from '../src/runtime/oci/mounts.ts';
import { KUBELING_BIN, startServer, type ServerHandle } from '../test/e2e/helpers/server.ts';
import { ensureBusyboxArchive } from '../test/fixtures/busybox.ts';
import { pssMiB, rssMiB } from './proc-stats.ts';

const { values: flags } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'fake,oci' },
    runs: { type: 'string', default: '3' },
    idle: { type: 'string', default: '60' },
  },
});
const RUNS = Number(flags.runs);
const load = () => loadavg()[0]!.toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function request(server: ServerHandle, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: server.port, path, method, ca: server.caPem,
      headers: { authorization: `Bearer ${server.token}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A fresh data dir; for oci with the busybox image already in its image store. */
async function freshDataDir(runtime: 'fake' | 'oci'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-startup-'));
  if (runtime === 'oci') execFileSync(process.execPath, [KUBELING_BIN, 'image', 'import', await ensureBusyboxArchive(), '--data-dir', dir], { stdio: 'pipe' });
  return dir;
}

async function coldStart(runtime: 'fake' | 'oci'): Promise<{ ready: number; running: number; podStart: number }> {
  const dataDir = await freshDataDir(runtime);
  const start = performance.now();
  const server = await startServer({ runtime, dataDir });
  const ready = performance.now() - start;
  try {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'first' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 },
    };
    const created = performance.now();
    // The default service account appears just after ready; the create waits for it as a client would.
    for (;;) {
      const r = await request(server, 'POST', '/api/v1/namespaces/default/pods', pod);
      if (r.status === 201) break;
      if (performance.now() - created > 30_000) throw new Error(`create: ${r.status} ${r.text}`);
      await sleep(20);
    }
    for (;;) {
      const r = await request(server, 'GET', '/api/v1/namespaces/default/pods/first');
      if ((JSON.parse(r.text) as { status?: { phase?: string } }).status?.phase === 'Running') break;
      if (performance.now() - created > 60_000) throw new Error(`pod not Running: ${r.text}`);
      await sleep(20);
    }
    const now = performance.now();
    // A stopped server leaves its pods' containers running (the next start adopts them): the pod goes first.
    await request(server, 'DELETE', '/api/v1/namespaces/default/pods/first');
    while ((await request(server, 'GET', '/api/v1/namespaces/default/pods/first')).status !== 404) await sleep(100);
    return { ready, running: now - start, podStart: now - created };
  } finally {
    await server.stop();
    unmountUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const runtime of flags.runtime!.split(',')) {
  if (runtime !== 'fake' && runtime !== 'oci') throw new Error(`unknown runtime ${runtime} (want fake or oci)`);
  const loadBefore = load();
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await coldStart(runtime));
  console.log(`\n== ${runtime} runtime, ${RUNS} cold starts (load ${loadBefore} → ${load()}) ==`);
  console.log(`spawn → ready               ${runs.map((r) => s(r.ready)).join(', ')} (median ${s(median(runs.map((r) => r.ready)))})`);
  console.log(`spawn → first pod Running   ${runs.map((r) => s(r.running)).join(', ')} (median ${s(median(runs.map((r) => r.running)))})`);
  console.log(`  of which create → Running ${runs.map((r) => s(r.podStart)).join(', ')}`);

  const dataDir = await freshDataDir(runtime);
  const server = await startServer({ runtime, dataDir });
  try {
    const pid = server.process.pid!;
    const atReady = { pss: pssMiB(pid), rss: rssMiB(pid) };
    await sleep(Number(flags.idle) * 1000);
    console.log(`idle server with its own node, no pods: at ready PSS ${atReady.pss} MiB (RSS ${atReady.rss}); ${flags.idle} s later PSS ${pssMiB(pid)} MiB (RSS ${rssMiB(pid)}) (load ${load()})`);
  } finally {
    await server.stop();
    unmountUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
