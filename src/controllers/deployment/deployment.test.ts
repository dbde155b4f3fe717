import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod } from '../../api/index.ts';
import { Client } from '../../client/index.ts';
import { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { ReplicaSetController } from '../replicaset/replicaset.ts';
import { DeploymentController, podTemplateHash, resolveIntOrPercent } from './deployment.ts';
import { poll } from '../../machinery/testing/poll.ts';

test('resolveIntOrPercent and podTemplateHash', () => {
  assert.equal(resolveIntOrPercent(undefined, '25%', 4, true), 1);
  assert.equal(resolveIntOrPercent(undefined, '25%', 3, true), 1);
  assert.equal(resolveIntOrPercent(undefined, '25%', 3, false), 0);
  assert.equal(resolveIntOrPercent(2, '25%', 10, false), 2);
  assert.equal(resolveIntOrPercent('50%', '25%', 5, false), 2);
  const a = podTemplateHash({ spec: { containers: [{ name: 'c', image: 'a' }] } });
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  assert.equal(a, podTemplateHash({ spec: { containers: [{ name: 'c', image: 'a' }] } }));
  assert.notEqual(a, podTemplateHash({ spec: { containers: [{ name: 'c', image: 'b' }] } }));
  assert.notEqual(a, podTemplateHash({ spec: { containers: [{ name: 'c', image: 'a' }] } }, 1));
});

async function until(cond: () => boolean, what: string, check?: () => void): Promise<void> {
  await poll(
    () => {
      check?.();
      return cond();
    },
    what,
    { intervalMs: 5, timeoutMs: 10_000 },
  );
}

test('rolls a new template out within maxSurge/maxUnavailable, and Recreate never overlaps', async () => {
  const server = await new FakeApiServer().start();
  const client = new Client({ server: server.url, token: server.token, caData: server.ca });
  const ac = new AbortController();
  // A stand-in for kubelets: every pod becomes Running and Ready shortly after it appears.
  const kubelet = setInterval(() => {
    for (const p of server.list('pods')) {
      if (p.status?.phase !== 'Running') server.put('pods', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    }
  }, 10);
  const loops = [new ReplicaSetController({ client }).run(ac.signal), new DeploymentController({ client }).run(ac.signal)];
  try {
    const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
    const d = server.put('apps/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'd1', generation: 1 },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: template('v1') },
    });
    const deploy = () => server.list('apps/deployments').find((x) => x.metadata.name === 'web') as Deployment;
    const pods = () => server.list('pods').filter((p) => p.metadata.namespace === 'd1') as Pod[];
    const images = () => pods().map((p) => p.spec?.containers[0]?.image).sort().join(',');
    const done = (image: string) => () => {
      const s = deploy().status;
      return images() === [image, image, image, image].join(',') && s?.updatedReplicas === 4 && s?.availableReplicas === 4 && s?.replicas === 4 &&
        s?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable';
    };
    await until(done('v1'), 'first rollout');
    const firstRs = server.list('apps/replicasets').filter((r) => r.metadata.namespace === 'd1');
    assert.equal(firstRs.length, 1);
    assert.equal(firstRs[0]!.metadata.name, `web-${podTemplateHash(template('v1'))}`);
    assert.equal(firstRs[0]!.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(deploy().status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');

    // Rolling update: never more than 4 + 1 pods, never fewer than 4 − 1 ready.
    server.put('apps/deployments', { ...deploy(), metadata: { ...deploy().metadata, generation: 2 }, spec: { ...d.spec, template: template('v2') } });
    let maxPods = 0;
    let minReady = 4;
    await until(done('v2'), 'rolling update', () => {
      maxPods = Math.max(maxPods, pods().length);
      minReady = Math.min(minReady, pods().filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready')).length);
    });
    assert.ok(maxPods <= 5, `surged to ${maxPods} pods`);
    assert.ok(maxPods >= 5, 'used its surge');
    assert.ok(minReady >= 3, `only ${minReady} ready at some point`);
    const rss = server.list('apps/replicasets').filter((r) => r.metadata.namespace === 'd1');
    assert.deepEqual(rss.map((r) => [r.metadata.annotations['deployment.kubernetes.io/revision'], r.spec.replicas]).sort(), [['1', 0], ['2', 4]]);
    assert.equal(deploy().status?.observedGeneration, 2);
    const scaling = server.list('events').filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message as string);
    assert.ok(scaling.includes(`Scaled up replica set web-${podTemplateHash(template('v2'))} from 0 to 1`), scaling.join('\n'));

    // Recreate: old pods are all gone before any new one exists.
    server.put('apps/deployments', { ...deploy(), metadata: { ...deploy().metadata, generation: 3 }, spec: { ...d.spec, strategy: { type: 'Recreate' }, template: template('v3') } });
    let overlapped = false;
    await until(done('v3'), 'recreate', () => {
      const imgs = new Set(pods().map((p) => p.spec?.containers[0]?.image));
      if (imgs.has('v3') && imgs.has('v2')) overlapped = true;
    });
    assert.equal(overlapped, false);
  } finally {
    clearInterval(kubelet);
    ac.abort();
    await Promise.all(loops);
    client.close();
    await server.stop();
  }
});
