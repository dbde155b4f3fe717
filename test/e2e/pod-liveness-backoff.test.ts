/**
 * The seeds' liveness-exec pod on real containers (its probe as written: initialDelaySeconds 5, periodSeconds
 * 5, the default failureThreshold 3; the healthy window shortened from 30 s to 3 s): every run is killed by its
 * probe, and the kubelet restarts it with CrashLoopBackOff as the real kubelet does. This test checks order and
 * existence only, read from a watch on the pod: the runs follow one another, each killed (exit 137), the
 * restart count only grows, and once the back-off holds the container waits in CrashLoopBackOff with
 * upstream's message, with Killing and BackOff events. How long each wait lasts (10 s, 20 s, 40 s from the
 * previous exit, then from the kill) is checked exactly on the fake clock in
 * `src/kubelet/pod-workers/must-show.test.ts` ("liveness-exec timeline"), where no other load can move it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
import { untilWith } from './helpers/until.ts';
import { apply, deleteAndCheckClean, ociServerForFile, podEvents } from './pod-helpers.ts';
import { missingRealContainers } from '../prerequisites.ts';

const why = missingRealContainers();
let server: ServerHandle;

ociServerForFile(why, (started) => {
  server = started;
});

interface Run {
  started: number;
  finished?: number;
  exitCode?: number;
}

test(
  'liveness-exec seed pod: every run killed by its probe, restarts in order, then CrashLoopBackOff with BackOff events',
  { skip: why },
  async (t) => {
    const client = new Client({ server: server.url, token: server.token, caData: server.caPem });
    const ac = new AbortController();
    t.after(() => ac.abort());
    const runs = new Map<number, Run>();
    const waitingMessages = new Set<string>();
    const restartCounts: number[] = [];
    let last: IPod | undefined;
    const watching = (async () => {
      for await (const ev of client
        .resource<IPod>('pods', 'default')
        .watch({ fieldSelector: 'metadata.name=liveness-seed' }, ac.signal)) {
        const cs = ev.object.status?.containerStatuses?.[0];
        last = ev.object;
        if (!cs) continue;
        if (restartCounts.at(-1) !== cs.restartCount) restartCounts.push(cs.restartCount);
        const prev = cs.lastState?.terminated;
        if (prev?.startedAt && prev.finishedAt)
          runs.set(Date.parse(prev.startedAt), {
            started: Date.parse(prev.startedAt),
            finished: Date.parse(prev.finishedAt),
            exitCode: prev.exitCode,
          });
        const now = cs.state?.running?.startedAt;
        if (now && !runs.has(Date.parse(now))) runs.set(Date.parse(now), { started: Date.parse(now) });
        if (cs.state?.waiting?.reason === 'CrashLoopBackOff') waitingMessages.add(cs.state.waiting.message ?? '');
      }
    })().catch(() => {});
    await apply(
      server,
      `apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-seed
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: liveness
    image: busybox:1.35
    args:
    - /bin/sh
    - -c
    - touch /tmp/healthy; sleep 3; rm -rf /tmp/healthy; sleep 600
    livenessProbe:
      exec:
        command:
        - cat
        - /tmp/healthy
      initialDelaySeconds: 5
      periodSeconds: 5
`,
    );
    // The back-off first holds at the fourth or fifth kill (runs last about 20 s, longer than the 10 s and 20 s
    // back-offs): about two minutes. The timeout only bounds a failing run.
    const shown = () =>
      `restart counts ${JSON.stringify(restartCounts)}; waiting ${JSON.stringify([...waitingMessages])}; ` +
      `last status ${JSON.stringify(last?.status?.containerStatuses)}`;
    await untilWith(() => waitingMessages.size > 0 && restartCounts.at(-1)! >= 3, 'CrashLoopBackOff after three restarts', {
      timeoutMs: 300_000,
      intervalMs: 500,
      detail: shown,
    });
    ac.abort();
    await watching;
    // The restart count only grows, one restart at a time.
    assert.deepEqual(
      restartCounts,
      Array.from({ length: restartCounts.length }, (_, i) => restartCounts[0]! + i),
      shown(),
    );
    // The runs follow one another: each starts after the previous one was killed, and each ended by SIGKILL.
    const timeline = [...runs.values()].sort((a, b) => a.started - b.started);
    assert.ok(timeline.length >= 4, `runs seen: ${JSON.stringify(timeline)}`);
    for (let i = 0; i + 1 < timeline.length; i++) {
      const run = timeline[i]!;
      assert.ok(run.finished !== undefined && run.finished >= run.started, `run ${i} ended: ${JSON.stringify(timeline)}`);
      assert.ok(timeline[i + 1]!.started >= run.finished, `run ${i + 1} after run ${i}: ${JSON.stringify(timeline)}`);
      assert.equal(run.exitCode, 137, `run ${i} was killed: ${JSON.stringify(timeline)}`);
    }
    assert.ok(
      [...waitingMessages].every((m) =>
        /^back-off (10s|20s|40s|1m20s|2m40s) restarting failed container=liveness pod=liveness-seed_default\(/.test(m),
      ),
      shown(),
    );
    const events = await podEvents(server, 'liveness-seed');
    assert.ok(
      events.includes('Killing: Container liveness failed liveness probe, will be restarted'),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) =>
        e.startsWith('BackOff: Back-off restarting failed container liveness in pod liveness-seed_default('),
      ),
      events.join('\n'),
    );
    await deleteAndCheckClean(server, 'liveness-seed', ['--grace-period=1']);
  },
);
