/**
 * The scheduler's worker thread: the body of the scheduler component when it runs beside the API server
 * rather than on its event loop. The scheduler already reaches the cluster only through its client over
 * loopback, so the thread needs nothing of the server but that client's settings; what it reports (the
 * scheduler's metrics, client-go's rest_client_requests_total) goes back to the process's registry as
 * messages, and a `stop` message ends it as the component's signal does.
 *
 *   main thread                               worker thread
 *   schedulerComponent ──workerData: client settings, log format──▶ Scheduler.run(signal)
 *                      ◀──{ metrics: [...] } once per turn of the loop───┘
 *                      ──'stop'──▶ abort ─▶ run returns ─▶ last metrics ─▶ thread ends
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientConfig } from '../../client/index.ts';
import { configureLogging, createLogger, type LogFormat } from '../../machinery/index.ts';
import { Scheduler, type ScheduleResult } from '../../scheduler/index.ts';

export interface SchedulerThreadData {
  client: ClientConfig;
  logFormat: LogFormat;
}

/** One thing to count in the main thread's registry. */
export type SchedulerThreadMetric =
  | { kind: 'attempt'; result: ScheduleResult; profile: string }
  | { kind: 'scheduled'; attempts: number; seconds: number }
  | { kind: 'request'; method: string; host: string; code: string };

if (parentPort) {
  const port = parentPort;
  const data = workerData as SchedulerThreadData;
  configureLogging({ format: data.logFormat });
  const logger = createLogger('scheduler');

  // Counted here, sent once per turn of the loop: a message per binding would cost more than the count.
  let pending: SchedulerThreadMetric[] = [];
  const send = () => {
    if (pending.length === 0) return;
    port.postMessage({ metrics: pending });
    pending = [];
  };
  const count = (m: SchedulerThreadMetric) => {
    if (pending.push(m) === 1) setImmediate(send);
  };

  const stop = new AbortController();
  port.on('message', (msg) => {
    if (msg === 'stop') stop.abort();
  });
  const client = new Client({ ...data.client, requestObserver: (r) => count({ kind: 'request', ...r }) });
  try {
    await new Scheduler({
      client, logger,
      metricsRecorder: {
        attempt: (result, profile) => count({ kind: 'attempt', result, profile }),
        scheduled: (attempts, seconds) => count({ kind: 'scheduled', attempts, seconds }),
      },
    }).run(stop.signal);
  } catch (err) {
    logger.error({ err }, 'scheduler failed');
  } finally {
    client.close();
    send();
    port.close();
  }
}
