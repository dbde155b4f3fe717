/**
 * The CronJob controller (upstream's pkg/controller/cronjob, the v2 controller): for each CronJob, on the
 * injected Clock, makes a Job from `jobTemplate` at the latest scheduled time that has come (schedule.ts),
 * unless it is suspended, too late for `startingDeadlineSeconds`, already made, or held back by
 * `concurrencyPolicy` (Forbid skips while one runs; Replace deletes the running ones first). It keeps
 * `status.active` and `lastScheduleTime`/`lastSuccessfulTime` in step with its Jobs, deletes finished Jobs
 * beyond the history limits, and requeues itself for the next scheduled time.
 *
 *   reconcile(ns/name): owned Jobs ─▶ status.active (SawCompletedJob, MissingJob) ─▶ suspended? stop
 *     ─▶ mostRecentScheduleTime ─▶ too late? MissSchedule │ made already? │ Forbid? JobAlreadyActive
 *     ─▶ Replace: delete active ─▶ create Job <name>-<minutes> (SuccessfulCreate) ─▶ status ─▶ history clean-up
 *     ─▶ requeue at the next scheduled time
 */
import { isDeepStrictEqual } from 'node:util';
import {
  CronScheduleError, isValidTimeZone, parseCronSchedule, type CronJob, type CronJobStatus, type CronSchedule, type Job, type ObjectReference,
} from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isAlreadyExists, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { jobNameFor, mostRecentScheduleTime, nextScheduleDelayMs } from './schedule.ts';

export interface CronJobControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The annotation a CronJob's Job carries: its scheduled time, in the CronJob's time zone. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function finishedCondition(job: Job): 'Complete' | 'Failed' | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with the zone's offset (Go's time.RFC3339 of the time in that location). */
export function rfc3339In(ms: number, timeZone: string | undefined): string {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return rfc3339(ms);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  if (offsetMin === 0) return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Go's time.RFC1123Z in UTC, as upstream's MissSchedule message prints the time. */
function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export class CronJobController {
  readonly cronJobs: Informer<CronJob>;
  readonly jobs: Informer<Job>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(config: CronJobControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('cronjob-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'cronjob-controller', clock: this.#clock, logger: this.#log });
    this.cronJobs = informerOf(config.informers, config.client.resource<CronJob>('cronjobs'), { clock: this.#clock, logger: this.#log });
    this.jobs = informerOf(config.informers, config.client.resource<Job>('jobs'), { clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'cronjob-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.cronJobs, this.jobs] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 1,
      clock: this.#clock,
      logger: this.#log,
    });
    const enqueue = (cj: CronJob) => this.controller.enqueue(objectKey(cj));
    this.cronJobs.onAdd(enqueue).onUpdate((_o, cj) => enqueue(cj));
    const enqueueOwner = (job: Job) => {
      const ref = job.metadata?.ownerReferences?.find((r) => r.controller);
      if (ref?.kind === 'CronJob' && ref.apiVersion === 'batch/v1') this.controller.enqueue(`${job.metadata?.namespace}/${ref.name}`);
    };
    this.jobs.onAdd(enqueueOwner).onUpdate((_o, j) => enqueueOwner(j)).onDelete(enqueueOwner);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One sync of one CronJob (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const cj = this.cronJobs.get(key);
    if (!cj) return;
    const ns = cj.metadata!.namespace!;
    const now = this.#clock.now();
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    const owned = this.jobs.list().filter((j) => j.metadata?.namespace === ns && j.metadata?.ownerReferences?.some((r) => r.controller && r.uid === cj.metadata?.uid));

    await this.#syncActive(cj, status, owned, signal);
    if (cj.metadata?.deletionTimestamp) return this.#finish(cj, status, owned, signal, undefined);

    const tz = cj.spec?.timeZone;
    if (tz !== undefined && !isValidTimeZone(tz)) {
      this.#recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tz}": unknown time zone ${tz}`);
      return this.#finish(cj, status, owned, signal, undefined);
    }
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(cj.spec!.schedule, tz);
    } catch (err) {
      if (!(err instanceof CronScheduleError)) throw err;
      this.#recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec!.schedule}" : ${err.message}`);
      return this.#finish(cj, status, owned, signal, undefined);
    }
    if (cj.spec?.suspend) return this.#finish(cj, status, owned, signal, undefined);
    const requeue = nextScheduleDelayMs(schedule, now);

    const { mostRecent } = mostRecentScheduleTime(cj, now, schedule, false);
    // Missed times are counted within startingDeadlineSeconds when it is set; only the latest is ever started.
    const { missed } = mostRecentScheduleTime(cj, now, schedule, true);
    if (missed > 100) {
      this.#recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    if (mostRecent === undefined) return this.#finish(cj, status, owned, signal, requeue);
    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && mostRecent + sds * 1000 < now) {
      this.#recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(mostRecent)}`);
      return this.#finish(cj, status, owned, signal, requeue);
    }
    const name = jobNameFor(cj, mostRecent);
    const lastScheduled = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : undefined;
    if (status.active?.some((a) => a.name === name) || lastScheduled === Math.floor(mostRecent / 1000) * 1000) {
      return this.#finish(cj, status, owned, signal, requeue);
    }
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active?.length ?? 0) > 0) {
      this.#recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return this.#finish(cj, status, owned, signal, requeue);
    }
    if (policy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        try {
          await this.#client.resource<Job>('jobs', ns).delete(ref.name!, { preconditions: { uid: ref.uid }, propagationPolicy: 'Background', signal });
          this.#recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
        } catch (err) {
          if (!isNotFound(err)) {
            this.#recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
            throw err;
          }
        }
        status.active = status.active!.filter((a) => a.uid !== ref.uid);
      }
    }

    let job: Job;
    try {
      job = await this.#client.resource<Job>('jobs', ns).create(this.#jobFor(cj, name, mostRecent), { signal });
      this.#recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.#recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      // Made before (a restart between create and status write): take it over if it is ours.
      job = await this.#client.resource<Job>('jobs', ns).get(name, { signal });
      if (!job.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata?.uid)) {
        this.#recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: jobs.batch "${name}" already exists`);
        return this.#finish(cj, status, owned, signal, requeue);
      }
    }
    if (!finishedCondition(job) && !status.active?.some((a) => a.uid === job.metadata?.uid)) (status.active ??= []).push(this.#ref(job));
    status.lastScheduleTime = rfc3339(mostRecent);
    return this.#finish(cj, status, owned, signal, requeue);
  }

  /** status.active follows the owned Jobs: finished ones leave (SawCompletedJob), unknown running ones join, missing ones go. */
  async #syncActive(cj: CronJob, status: CronJobStatus, owned: Job[], signal: AbortSignal): Promise<void> {
    const ownedUids = new Set(owned.map((j) => j.metadata?.uid));
    for (const job of owned) {
      const inActive = status.active?.some((a) => a.uid === job.metadata?.uid) ?? false;
      const done = finishedCondition(job);
      if (!done && !inActive) (status.active ??= []).push(this.#ref(job));
      if (done && inActive) {
        status.active = status.active!.filter((a) => a.uid !== job.metadata?.uid);
        this.#recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata?.name}, condition: ${done}`);
      }
      if (done === 'Complete' && job.status?.completionTime) {
        const t = Date.parse(job.status.completionTime);
        if (!status.lastSuccessfulTime || t > Date.parse(status.lastSuccessfulTime)) status.lastSuccessfulTime = job.status.completionTime;
      }
    }
    for (const ref of [...(status.active ?? [])]) {
      if (ownedUids.has(ref.uid)) continue;
      // Not in the cache: ask the API before forgetting it (the cache may lag behind a create).
      try {
        const job = await this.#client.resource<Job>('jobs', cj.metadata!.namespace).get(ref.name!, { signal });
        if (job.metadata?.uid === ref.uid) continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      status.active = status.active!.filter((a) => a.uid !== ref.uid);
    }
    if (status.active?.length === 0) delete status.active;
  }

  async #finish(cj: CronJob, status: CronJobStatus, owned: Job[], signal: AbortSignal, requeueAfterMs: number | undefined): Promise<{ requeueAfterMs?: number } | void> {
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(cj.status ?? {})), JSON.parse(JSON.stringify(status)))) {
      await this.#client.resource<CronJob>('cronjobs', cj.metadata!.namespace).updateStatus({ ...cj, status }, { signal });
    }
    if (!cj.metadata?.deletionTimestamp) await this.#cleanupFinishedJobs(cj, owned, signal);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit. */
  async #cleanupFinishedJobs(cj: CronJob, owned: Job[], signal: AbortSignal): Promise<void> {
    const byStart = (a: Job, b: Job) => (a.status?.startTime ?? a.metadata?.creationTimestamp ?? '').localeCompare(b.status?.startTime ?? b.metadata?.creationTimestamp ?? '');
    const limits: ['Complete' | 'Failed', number | undefined][] = [
      ['Complete', cj.spec?.successfulJobsHistoryLimit], ['Failed', cj.spec?.failedJobsHistoryLimit],
    ];
    for (const [kind, limit] of limits) {
      if (limit === undefined) continue;
      const finished = owned.filter((j) => finishedCondition(j) === kind && !j.metadata?.deletionTimestamp).sort(byStart);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        try {
          await this.#client.resource<Job>('jobs', job.metadata!.namespace).delete(job.metadata!.name!, { preconditions: { uid: job.metadata?.uid }, propagationPolicy: 'Background', signal });
          this.#recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata!.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }

  #jobFor(cj: CronJob, name: string, scheduledTime: number): Job {
    const template = structuredClone(cj.spec!.jobTemplate);
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata!.namespace,
        labels: template.metadata?.labels,
        annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduledTime, cj.spec?.timeZone) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name!, uid: cj.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec!,
    };
  }

  #ref(job: Job): ObjectReference {
    return { kind: 'Job', namespace: job.metadata?.namespace, name: job.metadata?.name, uid: job.metadata?.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata?.resourceVersion };
  }
}
