/**
 * The scheduler's worker thread: the body of the scheduler component when it runs beside the API server
 * rather than on its event loop. The scheduler already reaches the cluster only through its client over
 * loopback, so the thread needs nothing of the server but that client's settings; what it reports (the
 * scheduler's metrics, client-go's rest_client_requests_total) goes back to the process's registry as
 * messages, and a `stop` message ends it as the component's signal does.
 *
 *   main thread                               worker thread
 *   schedulerComponent ──workerData: client settings, log format──▶ Scheduler.run(signal)
 *                      ◀──counts (a report) once per turn of the loop───┘
 *                      ──'stop'──▶ abort ─▶ run returns ─▶ last metrics ─▶ thread ends
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientConfig } from '../../client/index.ts';
import { configureLogging, createLogger, type LogFormat } from '../../machinery/index.ts';
import { Scheduler } from '../../scheduler/index.ts';

export interface SchedulerThreadData {
  client: ClientConfig;
  logFormat: LogFormat;
}

/**
 * What happened since the last message, counted: attempts and requests by their labels (JSON arrays), and the
 * SLI's observations as (attempts, seconds) pairs. Counts, not a message per thing: the main thread that
 * receives them is the API server's, the busiest one.
 */
export interface SchedulerThreadReport {
  attempts: Record<string, number>;
  scheduled: number[];
  requests: Record<string, number>;
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as SchedulerThreadData;
  configureLogging({ format: data.logFormat });
  const logger = createLogger('scheduler');

  // Counted here, sent once per turn of the loop.
  let report: SchedulerThreadReport | undefined;
  const send = () => {
    if (!report) return;
    port.postMessage(report);
    report = undefined;
  };
  const current = (): SchedulerThreadReport => {
    if (!report) {
      report = { attempts: {}, scheduled: [], requests: {} };
      setImmediate(send);
    }
    return report;
  };
  const count = (counts: Record<string, number>, labels: string[]) => {
    const key = JSON.stringify(labels);
    counts[key] = (counts[key] ?? 0) + 1;
  };

  const stop = new AbortController();
  port.on('message', (msg) => {
    if (msg === 'stop') stop.abort();
  });
  const client = new Client({ ...data.client, requestObserver: (r) => count(current().requests, [r.method, r.host, r.code]) });
  try {
    await new Scheduler({
      client, logger,
      metricsRecorder: {
        attempt: (result, profile) => count(current().attempts, [result, profile]),
        scheduled: (attempts, seconds) => current().scheduled.push(attempts, seconds),
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
