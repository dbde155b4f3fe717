import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { FakeApiServer } from '../../client/testing/fake-apiserver.ts';
import { fakeApiServerForFile } from '../../client/testing/fake-api-for-file.ts';
import { until } from '../../client/testing/until.ts';
import { FakeClock } from '../../machinery/index.ts';
import { ReplicaSetController } from '../replicaset/replicaset.ts';
import { DeploymentController, podTemplateHash } from './deployment.ts';

let server: FakeApiServer;
let client: Client;
fakeApiServerForFile((api) => ({ server, client } = api));

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

/** Runs both controllers on `clock`; with `ready`, a stand-in kubelet makes every pod Running and Ready. */
function start(clock: FakeClock, ready: boolean): () => Promise<void> {
  const ac = new AbortController();
  const kubelet = setInterval(() => {
    if (!ready) return;
    for (const p of server.list('pods')) {
      if (p.status?.phase !== 'Running') {
        const t = new Date(clock.now()).toISOString();
        server.put('pods', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } });
      }
    }
  }, 5);
  const loops = [new ReplicaSetController({ client, clock }).run(ac.signal), new DeploymentController({ client, clock }).run(ac.signal)];
  return async () => {
    clearInterval(kubelet);
    ac.abort();
    await Promise.all(loops);
  };
}

function helpers(ns: string) {
  const deploy = () => server.list('apps/deployments').find((x) => x.metadata.namespace === ns) as Deployment;
  const rss = () => server.list('apps/replicasets').filter((r) => r.metadata.namespace === ns) as ReplicaSet[];
  const progressing = () => deploy().status?.conditions?.find((c) => c.type === 'Progressing');
  const update = (spec: Partial<Deployment['spec']>, annotations?: Record<string, string>) => {
    const d = deploy();
    server.put('apps/deployments', {
      ...d,
      metadata: { ...d.metadata, generation: (d.metadata?.generation ?? 1) + 1, annotations: { ...d.metadata?.annotations, ...annotations } },
      spec: { ...d.spec, ...spec },
    });
  };
  const complete = () => {
    const d = deploy();
    return d.status?.observedGeneration === d.metadata?.generation && progressing()?.reason === 'NewReplicaSetAvailable' && d.status?.availableReplicas === d.spec?.replicas;
  };
  return { deploy, rss, progressing, update, complete };
}

const deployment = (ns: string, spec: Partial<Deployment['spec']> = {}) => server.put('apps/deployments', {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, uid: `uid-${ns}`, generation: 1 },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('v1'), ...spec },
});

test('a paused Deployment makes no new ReplicaSet for a new template until resumed (DeploymentPaused, then DeploymentResumed)', async () => {
  const clock = new FakeClock();
  const stop = start(clock, true);
  const h = helpers('p1');
  try {
    deployment('p1');
    await until(h.complete, 'first rollout');
    h.update({ paused: true });
    await until(() => h.progressing()?.reason === 'DeploymentPaused', 'paused condition');
    assert.deepEqual([h.progressing()?.status, h.progressing()?.message], ['Unknown', 'Deployment is paused']);
    h.update({ template: template('v2') });
    // The paused Deployment observes the new generation, but nothing rolls.
    await until(() => h.deploy().status?.observedGeneration === h.deploy().metadata?.generation, 'paused generation observed');
    assert.equal(h.rss().length, 1);
    assert.equal(h.deploy().status?.updatedReplicas, 0, 'the running pods are no longer of the current template');

    h.update({ paused: false });
    await until(() => h.rss().length === 2 && h.complete(), 'rollout after resume');
    const newRS = h.rss().find((r) => r.metadata?.name === `web-${podTemplateHash(template('v2'))}`)!;
    assert.equal(newRS.spec?.replicas, 2);
    assert.equal(newRS.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(h.deploy().metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    // Resumed was reported on the way (the event history of the object holds the status writes).
    const resumed = server.requests.some((r) => r.path.endsWith('/deployments/web/status') && JSON.stringify(r.body).includes('DeploymentResumed'));
    assert.ok(resumed, 'DeploymentResumed written');
  } finally {
    await stop();
  }
});

test('a rollout without progress for progressDeadlineSeconds reports ProgressDeadlineExceeded; progress before then does not', async () => {
  const clock = new FakeClock();
  const stop = start(clock, false);
  const h = helpers('p2');
  try {
    deployment('p2', { progressDeadlineSeconds: 30 });
    const rsName = `web-${podTemplateHash(template('v1'))}`;
    await until(() => h.progressing()?.reason === 'NewReplicaSetCreated' || h.progressing()?.reason === 'ReplicaSetUpdated', 'progressing');
    await until(() => h.deploy().status?.replicas === 2, 'pods counted');
    assert.equal(h.deploy().status?.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasUnavailable');
    await clock.step(20_000);
    assert.equal(h.progressing()?.status, 'True', 'not yet past the deadline');
    await clock.step(12_000);
    await until(() => h.progressing()?.reason === 'ProgressDeadlineExceeded', 'deadline exceeded');
    assert.deepEqual([h.progressing()?.status, h.progressing()?.message], ['False', `ReplicaSet "${rsName}" has timed out progressing.`]);
    const events = server.list('events').map((e) => e.reason);
    assert.ok(events.includes('ScalingReplicaSet'));
  } finally {
    await stop();
  }
});

test('revisions: a template that returns takes the next revision with its history; revisionHistoryLimit deletes the oldest idle ReplicaSets', async () => {
  const clock = new FakeClock();
  const stop = start(clock, true);
  const h = helpers('p3');
  const rev = (image: string) => h.rss().find((r) => r.metadata?.name === `web-${podTemplateHash(template(image))}`)?.metadata?.annotations ?? {};
  try {
    deployment('p3', { revisionHistoryLimit: 1 });
    await until(h.complete, 'v1');
    h.update({ template: template('v2') }, { 'kubernetes.io/change-cause': 'to v2' });
    await until(() => h.complete() && h.rss().length === 2, 'v2');
    assert.equal(rev('v2')['kubernetes.io/change-cause'], 'to v2', 'the Deployment annotation is copied to its new ReplicaSet');
    h.update({ template: template('v1') }, { 'kubernetes.io/change-cause': 'back to v1' });
    await until(() => h.complete() && rev('v1')['deployment.kubernetes.io/revision'] === '3', 'back to v1');
    assert.equal(rev('v1')['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(rev('v1')['kubernetes.io/change-cause'], 'back to v1');
    assert.equal(h.rss().length, 2, 'one old ReplicaSet is within the limit');
    h.update({ template: template('v3') });
    await until(() => h.complete() && h.rss().length === 2 && !h.rss().some((r) => r.metadata?.name === `web-${podTemplateHash(template('v2'))}`), 'v2 cleaned up');
    assert.deepEqual(h.rss().map((r) => [r.metadata?.annotations?.['deployment.kubernetes.io/revision'], r.spec?.replicas]).sort(), [['3', 0], ['4', 2]]);
  } finally {
    await stop();
  }
});

test('minReadySeconds: pods count as available only once ready that long, in the ReplicaSet and the Deployment', async () => {
  const clock = new FakeClock();
  const stop = start(clock, true);
  const h = helpers('p4');
  try {
    deployment('p4', { minReadySeconds: 10 });
    await until(() => h.deploy().status?.readyReplicas === 2, 'ready');
    const rs = () => h.rss()[0]!;
    assert.equal(rs().spec?.minReadySeconds, 10);
    assert.equal(rs().status?.availableReplicas, 0);
    assert.equal(h.deploy().status?.availableReplicas, 0);
    await clock.step(11_500);
    await until(() => rs().status?.availableReplicas === 2 && h.complete(), 'available after minReadySeconds');
  } finally {
    await stop();
  }
});
