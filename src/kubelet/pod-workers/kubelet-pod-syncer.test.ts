import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import { FakeRuntime } from '../../runtime/fake/index.ts';
import { KubeRuntimeManager } from '../kuberuntime/kube-runtime-manager.ts';
import { RecordingEventRecorder } from '../kuberuntime/events.ts';
import { NoopVolumeManager, StaticEnvironment, makePod } from '../kuberuntime/testing.ts';
import { GenericPLEG } from '../pleg/generic.ts';
import { ProbeManager } from '../prober/prober-manager.ts';
import { StatusManager } from '../status/status-manager.ts';
import { MemoryPodStatusWriter } from '../status/testing.ts';
import { KubeletPodSyncer } from './kubelet-pod-syncer.ts';

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('a container that just exited is written as terminated (STATUS Error) before the sync restarts it', async () => {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock });
  runtime.scriptContainer({ name: 'app' }, { exitAfterMs: 1000, exitCode: 1 });
  const recorder = new RecordingEventRecorder();
  const runtimeManager = new KubeRuntimeManager({
    runtime,
    environment: new StaticEnvironment(),
    recorder,
    clock,
    logRoot: '/nonexistent/pods',
  });
  const pleg = new GenericPLEG({ runtime: runtimeManager, clock });
  const probeManager = new ProbeManager({ runtime, recorder, clock, statusOf: (uid) => pleg.getCachedStatus(uid) });
  const writer = new MemoryPodStatusWriter();
  const statusManager = new StatusManager({ writer, clock }); // its loop is driven by hand (syncBatch)
  const syncer = new KubeletPodSyncer({
    runtimeManager,
    pleg,
    statusManager,
    probeManager,
    volumeManager: new NoopVolumeManager(),
    recorder,
    runtimeName: 'fake',
    hostIPs: () => [],
    clock,
  });
  const pod = makePod('crash').container('app').build();
  writer.add(pod);
  await syncer.syncPod(pod, new AbortController().signal);
  await statusManager.syncBatch(false);
  assert.ok(writer.get(pod)?.status?.containerStatuses?.[0].state?.running);

  await clock.step(1000); // the container exits
  let done = false;
  const sync = syncer.syncPod(pod, new AbortController().signal).then(() => (done = true));
  await turns();
  assert.equal(done, false, 'the sync waits for the Error to reach the API');
  assert.equal(runtime.calls.filter((c) => c.method === 'createContainer').length, 1, 'not restarted yet');
  await statusManager.syncBatch(false);
  assert.equal(writer.get(pod)?.status?.containerStatuses?.[0].state?.terminated?.reason, 'Error');
  await sync;
  assert.equal(runtime.calls.filter((c) => c.method === 'createContainer').length, 2, 'then restarted');
  await probeManager.stop();
});
