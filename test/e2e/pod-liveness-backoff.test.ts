/**
 * The seeds' liveness-exec pod on real containers (its probe as written: initialDelaySeconds 5, periodSeconds
 * 5, the default failureThreshold 3; the healthy window shortened from 30 s to 3 s): every run is killed by its
 * probe, and the restarts follow the real kubelet's CrashLoopBackOff. Upstream doBackOff decides at the sync
 * that kills, from the newest instance that had exited before it (the previous run): a restart is immediate
 * while the back-off (10 s, doubling at each immediate restart) is shorter than the time since that exit; once
 * it is not, the restart waits the back-off from the kill, with BackOff events and a CrashLoopBackOff status.
 * The timeline is read from a watch on the pod (each run's startedAt/finishedAt, second resolution).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { Client } from '../../src/client/index.ts';
import type { ServerHandle } from './helpers/server.ts';
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
}

/** The expected wait after each kill, by upstream's doBackOff; `either` when a timestamp is too close to call. */
function expectedWaits(runs: Run[]): { wait: number; either?: number }[] {
  let delay = 0;
  const out: { wait: number; either?: number }[] = [];
  for (let i = 0; i + 1 < runs.length; i++) {
    const kill = runs[i]!.finished!;
    if (i === 0) {
      out.push({ wait: 0 }); // nothing had exited before: no back-off
      continue;
    }
    const sinceExit = (kill - runs[i - 1]!.finished!) / 1000;
    const waits = delay > 0 && sinceExit < delay;
    const close = delay > 0 && Math.abs(sinceExit - delay) <= 1;
    const next = delay ? Math.min(delay * 2, 300) : 10;
    if (close) {
      // Second-resolution timestamps cannot tell; follow what the kubelet did.
      out.push({ wait: 0, either: delay });
      delay = next;
    } else if (waits) {
      out.push({ wait: delay });
      delay = next;
    } else {
      out.push({ wait: 0 });
      delay = next;
    }
  }
  return out;
}

test(
  'liveness-exec seed pod: Killing every run, restarts by the real back-off (10 s, 20 s, 40 s), BackOff while waiting',
  { skip: why },
  async (t) => {
    const client = new Client({ server: server.url, token: server.token, caData: server.caPem });
    const ac = new AbortController();
    t.after(() => ac.abort());
    const runs = new Map<number, Run>();
    const waitingMessages = new Set<string>();
    let last: IPod | undefined;
    const watching = (async () => {
      for await (const ev of client
        .resource<IPod>('pods', 'default')
        .watch({ fieldSelector: 'metadata.name=liveness-seed' }, ac.signal)) {
        const cs = ev.object.status?.containerStatuses?.[0];
        last = ev.object;
        if (!cs) continue;
        const prev = cs.lastState?.terminated;
        if (prev?.startedAt && prev.finishedAt)
          runs.set(Date.parse(prev.startedAt), {
            started: Date.parse(prev.startedAt),
            finished: Date.parse(prev.finishedAt),
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
    // Runs last about 20 s, so the back-off (10, 20, 40 s) first exceeds the time since the previous exit at the
    // fifth kill: six runs take about two and a half minutes.
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline && [...runs.values()].length < 6) await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await watching;
    const timeline = [...runs.values()].sort((a, b) => a.started - b.started);
    const t0 = timeline[0]?.started ?? 0;
    const shown = JSON.stringify(
      timeline.map((r) => [(r.started - t0) / 1000, r.finished && (r.finished - t0) / 1000]),
    );
    assert.ok(
      timeline.length >= 6,
      `runs seen: ${shown}; last status ${JSON.stringify(last?.status?.containerStatuses)}`,
    );
    t.diagnostic(`runs [started, killed] in seconds: ${shown}`);
    const six = timeline.slice(0, 6);
    // Each run is killed: three failed probes 5 s apart once /tmp/healthy is gone.
    for (const r of six.slice(0, 5)) {
      const ran = (r.finished! - r.started) / 1000;
      assert.ok(ran >= 8 && ran <= 25, `a run lasted ${ran} s: ${shown}`);
    }
    const expected = expectedWaits(six);
    let sawWait = false;
    for (let i = 0; i < 5; i++) {
      const waited = (six[i + 1]!.started - six[i]!.finished!) / 1000;
      const e = expected[i]!;
      // Seconds in the API, plus the pod worker's jittered 10–15 s retry while it backs off.
      const fits = (w: number) => (w === 0 ? waited <= 3 : waited >= w - 1 && waited <= w + 16);
      assert.ok(
        fits(e.wait) || (e.either !== undefined && fits(e.either)),
        `restart ${i + 1} waited ${waited} s, expected ${JSON.stringify(e)}: ${shown}`,
      );
      if (waited >= 19) sawWait = true;
    }
    assert.ok(sawWait, `no restart waited for its back-off: ${shown}`);
    assert.ok(
      [...waitingMessages].some((m) =>
        /^back-off (20s|40s|1m20s) restarting failed container=liveness pod=liveness-seed_default\(/.test(m),
      ),
      [...waitingMessages].join('\n'),
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
