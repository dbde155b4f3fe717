/**
 * The scheduler inside `kubeling server`: kube-scheduler's default profile, talking to the API server over
 * loopback with its own identity like any other component. It runs whether or not the local node does.
 *
 * With `--scheduler-thread` it runs in a worker thread of its own (scheduler-thread.ts), as kube-scheduler is
 * a process of its own upstream: its cycles, its informers' decoding and its requests then use the second
 * core instead of queueing on the API server's event loop, which is what bounds throughput when pods arrive
 * by the thousand. Off by default: the thread's own V8 heap and modules cost ~45 MiB, a third of an idle
 * server, which a laptop-sized cluster does not need.
 */
import { Worker } from 'node:worker_threads';
import { defaultLogFormat } from '../../machinery/index.ts';
import { Scheduler, SchedulerMetrics, type ScheduleResult } from '../../scheduler/index.ts';
import type { Component, ComponentContext } from './component.ts';
import type { SchedulerThreadData, SchedulerThreadReport } from './scheduler-thread.ts';

export const schedulerComponent: Component = {
  name: 'scheduler',
  async run(ctx: ComponentContext): Promise<void> {
    // kube-scheduler's client limits (QPS 50, burst 100) are the client's defaults: ctx.client has them, unless
    // the server's --kube-api-qps / --kube-api-burst say otherwise.
    const { kubeApiQps, kubeApiBurst } = ctx.options;
    const limits = { ...(kubeApiQps !== undefined ? { qps: kubeApiQps } : {}), ...(kubeApiBurst !== undefined ? { burst: kubeApiBurst } : {}) };
    if (!ctx.options.schedulerThread) return runHere(ctx, limits);
    return runInThread(ctx, limits);
  },
};

async function runHere(ctx: ComponentContext, limits: { qps?: number; burst?: number }): Promise<void> {
  // On the server's event loop its informers read the API server's own cached objects (no copy of each pod);
  // a scheduler thread cannot share them and lists and watches over loopback.
  const overrides = { ...limits, ...(ctx.inProcessReads ? { inProcess: ctx.inProcessReads } : {}) };
  const client = Object.keys(overrides).length > 0 ? ctx.client.with(overrides) : ctx.client;
  try {
    await new Scheduler({ client, logger: ctx.logger, ...(ctx.metrics ? { metrics: ctx.metrics } : {}) }).run(ctx.signal);
  } finally {
    if (client !== ctx.client) client.close();
  }
}

async function runInThread(ctx: ComponentContext, limits: { qps?: number; burst?: number }): Promise<void> {
  // Functions do not cross threads: the request observer stays here and is fed from the thread's messages; the
  // thread's requests go over loopback HTTPS, as its reads do (the in-process connections are this thread's).
  const { requestObserver, clock: _clock, inProcess: _inProcess, connect: _connect, ...settings } = ctx.client.config;
  const data: SchedulerThreadData = { client: { ...settings, ...limits }, logFormat: ctx.options.logFormat ?? defaultLogFormat(process.stderr.isTTY) };
  const metrics = ctx.metrics ? new SchedulerMetrics(ctx.metrics) : undefined;
  const worker = new Worker(new URL('./scheduler-thread.ts', import.meta.url), { workerData: data, name: 'scheduler' });
  worker.on('message', (report: SchedulerThreadReport) => {
    for (const [labels, n] of Object.entries(report.attempts)) {
      const [result, profile] = JSON.parse(labels) as [ScheduleResult, string];
      metrics?.attempt(result, profile, n);
    }
    for (let i = 0; i < report.scheduled.length; i += 2) metrics?.scheduled(report.scheduled[i]!, report.scheduled[i + 1]!);
    for (const [labels, n] of Object.entries(report.requests)) {
      const [method, host, code] = JSON.parse(labels) as [string, string, string];
      for (let i = 0; i < n; i++) requestObserver?.({ method, host, code });
    }
  });
  const stop = () => worker.postMessage('stop');
  if (ctx.signal.aborted) stop();
  else ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 || ctx.signal.aborted ? resolve() : reject(new Error(`scheduler thread exited with code ${code}`))));
    });
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}
