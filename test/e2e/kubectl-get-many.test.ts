/**
 * `kubectl get pods -A` over many pages (issue 15): the real kubectl 1.32 against `kubeling server` holding
 * 1,234 pods in three namespaces (no node, scheduler or controllers: the pods stay as created). kubectl asks
 * for pages of 500 (and of 100 with --chunk-size), for full objects in the rows with --sort-by, and for
 * JSON with -o json; every pod shows once, in its namespace. The same pages asked for with kubectl's headers
 * come gzipped (Content-Encoding, Vary), and unzipped for a client that does not accept gzip, as upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { startServer, type ServerHandle } from './helpers/server.ts';

const PODS = 1234;
const NAMESPACES = ['alpha', 'beta', 'gamma'];
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('kubectl get pods -A with many pods', () => {
  let s: ServerHandle;
  let agent: https.Agent;

  function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: s.port, path, method, agent,
        headers: { authorization: `Bearer ${s.token}`, ...headers, ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }
  const ok = async (args: string[]) => {
    const r = await s.kubectl(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
    return r.stdout;
  };
  const nameOf = (i: number) => `pod-${String(i).padStart(4, '0')}`;
  const namespaceOf = (i: number) => NAMESPACES[i % NAMESPACES.length]!;

  before(async () => {
    s = await startServer({ storage: 'memory', noAgent: true, args: ['--disable-scheduler', '--disable-controller-manager'] });
    agent = new https.Agent({ keepAlive: true, ca: s.caPem });
    for (const ns of NAMESPACES) assert.equal((await request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status, 201);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < PODS) {
        const i = next++;
        const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: nameOf(i), labels: { app: 'many' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } };
        const r = await request('POST', `/api/v1/namespaces/${namespaceOf(i)}/pods`, pod);
        assert.equal(r.status, 201, r.body.toString());
      }
    }));
  });
  after(async () => {
    agent?.destroy();
    await s?.stop();
  });

  /** NAMESPACE and NAME of each row of `kubectl get pods -A` output. */
  function rowsOf(out: string): [string, string][] {
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    return lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2) as [string, string]);
  }
  const expected = () => Array.from({ length: PODS }, (_, i): [string, string] => [namespaceOf(i), nameOf(i)]);

  test('every pod once, in its namespace, in pages of 500 and of 100', async () => {
    const byKey = (rows: [string, string][]) => rows.map(([ns, n]) => `${ns}/${n}`).sort();
    for (const extra of [[], ['--chunk-size=100']]) {
      const rows = rowsOf(await ok(['get', 'pods', '-A', ...extra]));
      assert.equal(rows.length, PODS, `${extra.join(' ')}: ${rows.length} rows`);
      assert.deepEqual(byKey(rows), byKey(expected()));
    }
    assert.match(await ok(['get', 'pods', '-A']), /^gamma\s+pod-1232\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  });

  test('--sort-by (full objects in the rows) and -o json see every pod', async () => {
    const sorted = rowsOf(await ok(['get', 'pods', '-A', '--sort-by=.metadata.name']));
    assert.deepEqual(sorted.map(([, n]) => n), expected().map(([, n]) => n));
    const list = JSON.parse(await ok(['get', 'pods', '-A', '-o', 'json'])) as { items: { metadata: { name: string; namespace: string } }[] };
    assert.equal(list.items.length, PODS);
    assert.equal(new Set(list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).size, PODS);
  });

  test('pages come gzipped to a client that accepts gzip (kubectl does), plain to one that does not', async () => {
    const zipped = await request('GET', '/api/v1/pods?limit=500', undefined, { accept: TABLE_ACCEPT, 'accept-encoding': 'gzip' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers['vary'], 'Accept-Encoding');
    const table = JSON.parse(gunzipSync(zipped.body).toString()) as { kind: string; metadata: { continue?: string }; rows: { object: { kind: string; metadata: { managedFields?: unknown[] } } }[] };
    assert.equal(table.kind, 'Table');
    assert.equal(table.rows.length, 500);
    assert.ok(table.metadata.continue, 'a continue token for the next page');
    assert.equal(table.rows[0]!.object.kind, 'PartialObjectMetadata');
    assert.ok(table.rows[0]!.object.metadata.managedFields?.length, 'row objects keep managedFields, as upstream sends them');

    const plain = await request('GET', '/api/v1/pods?limit=500', undefined, { accept: TABLE_ACCEPT });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual((JSON.parse(plain.body.toString()) as typeof table).rows.length, 500);

    const small = await request('GET', '/api/v1/namespaces/alpha/pods?limit=2', undefined, { 'accept-encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined, 'bodies up to 128 KiB go uncompressed');
  });

  test('an includeObject value the Table does not know is a 400, as upstream', async () => {
    const r = await request('GET', '/api/v1/pods?limit=5&includeObject=Everything', undefined, { accept: TABLE_ACCEPT });
    assert.equal(r.status, 400);
    const status = JSON.parse(r.body.toString()) as { kind: string; reason: string; message: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'BadRequest');
    assert.equal(status.message, 'unrecognized includeObject value: "Everything"');
  });
});
