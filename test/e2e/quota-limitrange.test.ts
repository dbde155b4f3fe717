/**
 * ResourceQuota and LimitRange end to end on `kubeling server --runtime fake`, through the real kubectl:
 * `kubectl create quota` with 2 pods refuses the third with upstream's "exceeded quota" message, `get quota` and
 * `describe quota` show used/hard as the controller counts them, and a deleted pod gives its share back; a
 * LimitRange fills in a container's requests and limits (with the limit-ranger annotation) and refuses one above
 * its max; a quota on limits refuses a pod that states none; concurrent creates never overshoot a quota.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from '../../src/api/index.ts';
import { Client, ApiError } from '../../src/client/index.ts';
import { startServer, type ServerHandle } from './helpers/server.ts';
import { until } from './helpers/until.ts';

function podManifest(name: string, resources = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: c
    image: busybox:1.35
    command: ["sleep", "3600"]
${resources}`;
}

async function ok(server: ServerHandle, args: string[], input?: string): Promise<string> {
  const r = await server.kubectl(args, input === undefined ? undefined : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Waits until the controller has filled in the quota's status (admission enforces only synced quotas, as upstream). */
async function synced(server: ServerHandle, ns: string, name: string): Promise<void> {
  await until(async () => {
    const r = await server.kubectl(['get', 'quota', name, '-n', ns, '-o', 'jsonpath={.status.hard}']);
    return r.code === 0 && r.stdout.length > 2;
  }, `quota ${ns}/${name} synced`, 30_000);
}

test('ResourceQuota and LimitRange through kubectl', async (t) => {
  const server = await startServer({ runtime: 'fake' });
  t.after(() => server.stop());
  const client = await Client.fromKubeconfig(server.kubeconfig);
  t.after(() => client.close());

  await t.test('a quota of 2 pods refuses the third with upstream\'s message; describe shows Used/Hard', async () => {
    await ok(server, ['create', 'namespace', 'q1']);
    await ok(server, ['create', 'quota', 'two-pods', '--hard=pods=2', '-n', 'q1']);
    await synced(server, 'q1', 'two-pods');
    await ok(server, ['apply', '-n', 'q1', '-f', '-'], podManifest('p1'));
    await ok(server, ['apply', '-n', 'q1', '-f', '-'], podManifest('p2'));
    const third = await server.kubectl(['apply', '-n', 'q1', '-f', '-'], { input: podManifest('p3') });
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /pods "p3" is forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2/);

    const get = await ok(server, ['get', 'quota', '-n', 'q1']);
    assert.match(get, /^NAME\s+AGE\s+REQUEST\s+LIMIT\s*\n/);
    assert.match(get, /^two-pods\s+\S+\s+pods: 2\/2\s*$/m);
    const describe = await ok(server, ['describe', 'quota', 'two-pods', '-n', 'q1']);
    assert.match(describe, /^Name:\s+two-pods$/m);
    assert.match(describe, /^Resource\s+Used\s+Hard$/m);
    assert.match(describe, /^pods\s+2\s+2$/m);

    // Deleting a pod gives its share back (the controller's replenishment), and a new pod fits again.
    await ok(server, ['delete', 'pod', 'p1', '-n', 'q1', '--grace-period=0', '--force']);
    await until(async () => {
      const r = await server.kubectl(['get', 'quota', 'two-pods', '-n', 'q1', '-o', 'jsonpath={.status.used.pods}']);
      return r.stdout === '1';
    }, 'quota used back to 1', 30_000);
    await ok(server, ['apply', '-n', 'q1', '-f', '-'], podManifest('p3'));
  });

  await t.test('a LimitRange fills in requests and limits and refuses a container above max', async () => {
    await ok(server, ['create', 'namespace', 'lr1']);
    await ok(server, ['apply', '-n', 'lr1', '-f', '-'], `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-mem
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m}
    max: {cpu: "1"}
`);
    // Stored with upstream's LimitRange defaulting: the default request comes from the default limit.
    const stored = JSON.parse(await ok(server, ['get', 'limitrange', 'cpu-mem', '-n', 'lr1', '-o', 'json'])) as { spec: { limits: { defaultRequest: object }[] } };
    assert.deepEqual(stored.spec.limits[0]!.defaultRequest, { cpu: '250m', memory: '256Mi' });
    assert.match(await ok(server, ['explain', 'limitrange.spec.limits']), /defaultRequest/);
    const limits = await ok(server, ['get', 'limits', '-n', 'lr1']);
    assert.match(limits, /^NAME\s+CREATED AT\s*\ncpu-mem\s+\d{4}-\d\d-\d\dT/);
    const describe = await ok(server, ['describe', 'limitrange', 'cpu-mem', '-n', 'lr1']);
    assert.match(describe, /^\s*Container\s+cpu\s+-\s+1\s+250m\s+500m\s+-\s*$/m);

    await ok(server, ['apply', '-n', 'lr1', '-f', '-'], podManifest('small'));
    const pod = JSON.parse(await ok(server, ['get', 'pod', 'small', '-n', 'lr1', '-o', 'json'])) as Pod;
    assert.deepEqual(pod.spec!.containers[0]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } });
    assert.equal(pod.metadata!.annotations!['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    const yaml = await ok(server, ['get', 'pod', 'small', '-n', 'lr1', '-o', 'yaml']);
    assert.match(yaml, /requests:\n\s+cpu: 250m/);

    const big = await server.kubectl(['apply', '-n', 'lr1', '-f', '-'], { input: podManifest('big', '    resources: {limits: {cpu: "2"}}\n') });
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
  });

  await t.test('a compute quota refuses a pod that states no limits', async () => {
    await ok(server, ['create', 'namespace', 'q2']);
    await ok(server, ['create', 'quota', 'compute', '--hard=limits.cpu=2,limits.memory=1Gi', '-n', 'q2']);
    await synced(server, 'q2', 'compute');
    const bare = await server.kubectl(['apply', '-n', 'q2', '-f', '-'], { input: podManifest('bare') });
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: c; limits.memory for: c/);
    await ok(server, ['apply', '-n', 'q2', '-f', '-'], podManifest('sized', '    resources: {limits: {cpu: "1500m", memory: 512Mi}}\n'));
    const more = await server.kubectl(['apply', '-n', 'q2', '-f', '-'], { input: podManifest('more', '    resources: {limits: {cpu: "1", memory: 100Mi}}\n') });
    assert.match(more.stderr, /exceeded quota: compute, requested: limits.cpu=1, used: limits.cpu=1500m, limited: limits.cpu=2/);
    const get = await ok(server, ['get', 'quota', 'compute', '-n', 'q2', '--no-headers']);
    assert.match(get, /^compute\s+\S+\s+limits.cpu: 1500m\/2, limits.memory: 512Mi\/1Gi\s*$/m);
  });

  await t.test('concurrent creates do not overshoot the quota', async () => {
    await ok(server, ['create', 'namespace', 'q3']);
    await ok(server, ['create', 'quota', 'three', '--hard=pods=3,count/configmaps=2', '-n', 'q3']);
    await synced(server, 'q3', 'three');
    const pods = client.resource<Pod>('pods', 'q3');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => pods.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `c${i}` }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] },
    })));
    const created = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.code === 403 && /exceeded quota: three/.test(r.reason.message));
    assert.equal(created, 3);
    assert.equal(refused.length, 7);
    assert.equal((await pods.list()).items.length, 3);
    const rq = await client.resource<ResourceQuota>('resourcequotas', 'q3').get('three');
    assert.equal(rq.status?.used?.pods, '3');

    const cms = client.resource('configmaps', 'q3');
    const cmResults = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` } })));
    // kube-root-ca.crt may already hold one of the two.
    assert.ok(cmResults.filter((r) => r.status === 'fulfilled').length <= 2);
    await until(async () => {
      const q = await client.resource<ResourceQuota>('resourcequotas', 'q3').get('three');
      return q.status?.used?.['count/configmaps'] === '2';
    }, 'count/configmaps used 2', 30_000);
  });
});
