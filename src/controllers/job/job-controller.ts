/**
 * The Job controller (upstream's pkg/controller/job): runs pods of a Job's template until `completions` of
 * them succeed (NonIndexed) or every index in [0, completions) has a succeeded pod (Indexed), at most
 * `parallelism` at a time, and fails the Job past `backoffLimit`, `activeDeadlineSeconds`, a FailJob rule of
 * its `podFailurePolicy`, or failed indexes (`backoffLimitPerIndex`). New pods after failures wait out the
 * exponential back-off of backoff.ts on the injected Clock.
 *
 * Counting is crash safe through pod finalizers, as upstream's: every pod is created with the
 * `batch.kubernetes.io/job-tracking` finalizer, and a terminated pod is counted in three steps, each a write
 * that survives a restart:
 *
 *   1. its uid goes into status.uncountedTerminatedPods (succeeded|failed)   ─ status write
 *   2. its finalizer is removed                                               ─ pod patch
 *   3. uids whose pods have no finalizer (or are gone) move to the counters   ─ status write
 *
 * A pod enters step 1 only while it carries the finalizer and is not already listed, and leaves the list only
 * once counted, so a restart between any two steps neither loses nor repeats a count. Status writes carry the
 * Job's resourceVersion, so a write from a stale cache is refused (Conflict) and retried on fresh state.
 *
 * Finishing is two-phased as in 1.32: FailureTarget / SuccessCriteriaMet first (remaining pods are deleted),
 * then Failed / Complete once no pod is left running, terminating or uncounted. An Indexed Job's
 * `successPolicy` (success-policy.ts) can meet the success criteria before all completions.
 *
 * `podReplacementPolicy`: with TerminatingOrFailed (the default) a pod being deleted counts as failed at once
 * and is replaced at once; with Failed (the only choice beside a podFailurePolicy) it counts only once its
 * phase is Failed, and no replacement (nor its index) starts while it is still terminating.
 *
 * A Job whose `managedBy` names another controller is left alone entirely, as upstream's is.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER, type Job, type JobCondition, type JobStatus, type OwnerReference, type Pod,
} from '../../api/index.ts';
import { EventRecorder, Informer, informerOf, isConflict, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';
import { nextBackoffRecord, remainingBackoffMs, type BackoffRecord } from './backoff.ts';
import { firstPendingIndexes, formatIndexes, parseIndexes } from './indexes.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { matchSuccessPolicy } from './success-policy.ts';

export interface JobControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Pod creations per sync at most (upstream's MaxPodCreateDeletePerSync). */
const MAX_PODS_PER_SYNC = 500;
/** The `spec.managedBy` of Jobs this controller manages (also when the field is unset). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
const EXPECTATIONS_TTL_MS = 5 * 60_000;
/** The per-index failure count an Indexed pod carries (backoffLimitPerIndex). */
export const JOB_INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const hasFinalizer = (p: Pod) => p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
export const isJobFinished = (job: Job) => !!(condition(job, 'Complete') ?? condition(job, 'Failed'));
/** Whether another controller manages the Job (`spec.managedBy` set to anything but ours). */
export const isManagedElsewhere = (job: Job) => job.spec?.managedBy !== undefined && job.spec.managedBy !== JOB_CONTROLLER_NAME;
/** Upstream's onlyReplaceFailedPods: replacements wait until the old pod's phase is Failed. */
const onlyReplaceFailed = (job: Job) => job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;

export function podIndex(pod: Pod): number | undefined {
  const text = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** When a pod finished: its last container's finishedAt, else now. */
function finishTime(pod: Pod, now: number): number {
  const times = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]
    .map((c) => Date.parse(c.state?.terminated?.finishedAt ?? ''))
    .filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : now;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

interface FinishTarget {
  type: 'FailureTarget' | 'SuccessCriteriaMet';
  reason: string;
  message: string;
}

export class JobController {
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #expectations = new Map<string, { adds: number; at: number }>();
  /** Pods whose finalizer this controller removed, until the pod informer shows it gone. */
  readonly #finalizerRemoved = new Set<string>();
  /** The Job as this controller last wrote it (newer than the informer's copy until the watch catches up). */
  readonly #written = new Map<string, Job>();
  readonly #backoff = new Map<string, BackoffRecord>();

  constructor(config: JobControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('job-controller');
    this.#recorder = new EventRecorder(config.client, { component: 'job-controller', clock: this.#clock, logger: this.#log });
    this.jobs = informerOf(config.informers, config.client.resource<Job>('jobs'), { clock: this.#clock, logger: this.#log });
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), { clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'job-controller',
      recorder: this.#recorder,
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.jobs, this.pods] as Informer<KubeObjectLike>[],
      workers: config.workers ?? 2,
      clock: this.#clock,
      logger: this.#log,
    });
    this.#wire();
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  #wire(): void {
    const enqueueJob = (job: Job) => {
      if (!isManagedElsewhere(job)) this.controller.enqueue(objectKey(job));
    };
    this.jobs.onAdd(enqueueJob).onUpdate((_o, j) => enqueueJob(j)).onDelete((j) => {
      const key = objectKey(j);
      this.#expectations.delete(key);
      this.#written.delete(key);
      this.#backoff.delete(key);
      enqueueJob(j);
    });
    const ownerKey = (pod: Pod) => {
      const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
      return ref?.kind === 'Job' && ref.apiVersion === 'batch/v1' ? `${pod.metadata?.namespace}/${ref.name}` : undefined;
    };
    this.pods
      .onAdd((pod) => {
        const key = ownerKey(pod);
        if (!key) return;
        const exp = this.#expectations.get(key);
        if (exp) exp.adds--;
        this.controller.enqueue(key);
      })
      .onUpdate((_old, pod) => {
        if (!hasFinalizer(pod)) this.#finalizerRemoved.delete(pod.metadata?.uid ?? '');
        const key = ownerKey(pod);
        if (key) this.controller.enqueue(key);
      })
      .onDelete((pod) => {
        this.#finalizerRemoved.delete(pod.metadata?.uid ?? '');
        const key = ownerKey(pod);
        if (key) this.controller.enqueue(key);
      });
  }

  /** The newest copy of a Job: the informer's, or the one this controller wrote if the watch lags behind. */
  #current(key: string): Job | undefined {
    const cached = this.jobs.get(key);
    const written = this.#written.get(key);
    if (!written || !cached || written.metadata?.uid !== cached.metadata?.uid) return cached;
    return Number(written.metadata?.resourceVersion) > Number(cached.metadata?.resourceVersion) ? written : cached;
  }

  /** One sync of one Job (public for tests). Safe at any time, any number of times. */
  async reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const [ns, name] = key.split('/') as [string, string];
    let job = this.#current(key);
    // Another controller's Job (checked here too: the queued key may now name a successor with the field).
    if (job && isManagedElsewhere(job)) return;
    const uid = job?.metadata?.uid;
    const ownedBy = (pod: Pod) => {
      const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
      return pod.metadata?.namespace === ns && ref?.kind === 'Job' && ref.name === name ? ref.uid : undefined;
    };
    // Pods of a Job that is gone (or going) are not counted any more: let them go.
    const strays = this.pods.list().filter((p) => {
      const owner = ownedBy(p);
      return owner !== undefined && (owner !== uid || !!job?.metadata?.deletionTimestamp) && hasFinalizer(p);
    });
    await this.#removeFinalizers(strays, signal);
    // The snapshot the steps below work on, taken after the last await before step 1.
    job = this.#current(key);
    const owned = this.pods.list().filter((p) => ownedBy(p) === uid && uid !== undefined);
    if (!job || job.metadata?.deletionTimestamp) return;

    const now = this.#clock.now();
    const spec = job.spec!;
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions;
    const status: JobStatus = structuredClone(job.status ?? {});
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const listed = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const completed = parseIndexes(status.completedIndexes, completions ?? 0);
    const failedIndexes = parseIndexes(status.failedIndexes, completions ?? 0);
    const finished = isJobFinished(job);
    let target: FinishTarget | undefined = this.#existingTarget(job);

    // Step 1: newly terminated pods (still holding the finalizer, not yet listed) go into uncountedTerminatedPods.
    const ignored: Pod[] = [];
    const newSucceeded: number[] = [];
    const newFailed: number[] = [];
    const byIndexFailures = new Map<number, number>();
    for (const pod of owned) {
      const podUid = pod.metadata!.uid!;
      if (!hasFinalizer(pod) || listed.has(podUid) || this.#finalizerRemoved.has(podUid)) continue;
      const phase = pod.status?.phase;
      const ix = indexed ? podIndex(pod) : undefined;
      if (phase === 'Succeeded') {
        if (indexed && (ix === undefined || ix >= completions! || completed.has(ix))) {
          ignored.push(pod);
          continue;
        }
        uncounted.succeeded.push(podUid);
        if (ix !== undefined) completed.add(ix);
        newSucceeded.push(finishTime(pod, now));
      } else if (phase === 'Failed' || (pod.metadata?.deletionTimestamp && !target && !finished && !spec.suspend && !onlyReplaceFailed(job))) {
        const match = phase === 'Failed' ? matchPodFailurePolicy(spec.podFailurePolicy, pod) : undefined;
        if (match?.action === 'Ignore') {
          ignored.push(pod);
          continue;
        }
        uncounted.failed.push(podUid);
        newFailed.push(finishTime(pod, now));
        if (match?.action === 'FailJob' && !target) target = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: match.message };
        if (ix !== undefined && spec.backoffLimitPerIndex !== undefined) {
          const failures = Number(pod.metadata?.annotations?.[JOB_INDEX_FAILURE_COUNT_ANNOTATION] ?? 0) + 1;
          byIndexFailures.set(ix, failures);
          if (match?.action === 'FailIndex' || failures > spec.backoffLimitPerIndex) failedIndexes.add(ix);
        }
      } else if (pod.metadata?.deletionTimestamp && (target || finished || spec.suspend)) {
        // Deleted by this controller (finished, suspended): not a failure of the workload.
        ignored.push(pod);
      }
    }
    if (newSucceeded.length || newFailed.length) {
      this.#backoff.set(key, nextBackoffRecord(this.#backoff.get(key) ?? { failuresAfterLastSuccess: 0 }, newSucceeded, newFailed));
      status.uncountedTerminatedPods = uncounted;
      if (indexed) status.completedIndexes = formatIndexes(completed);
      if (indexed && spec.backoffLimitPerIndex !== undefined) status.failedIndexes = formatIndexes(failedIndexes);
      job = await this.#writeStatus(job, status, signal);
    }

    // Step 2: listed pods (and ignored ones) give up their finalizer.
    const inList = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const removed = await this.#removeFinalizers(owned.filter((p) => hasFinalizer(p) && inList.has(p.metadata!.uid!)).concat(ignored), signal);

    // Step 3: listed pods without a finalizer (or gone) are counted.
    // The informer's copy now (not the snapshot above): the watch may already show a finalizer removed in step 2.
    const podsByUid = new Map(owned.map((p) => [p.metadata!.uid!, p]));
    const countable = (u: string) => {
      if (removed.has(u) || this.#finalizerRemoved.has(u)) return true;
      const snap = podsByUid.get(u);
      const p = snap && this.pods.get(objectKey(snap));
      return !p || p.metadata?.uid !== u || !hasFinalizer(p);
    };
    const stillSucceeded = uncounted.succeeded.filter((u) => !countable(u));
    const stillFailed = uncounted.failed.filter((u) => !countable(u));
    status.succeeded = (status.succeeded ?? 0) + uncounted.succeeded.length - stillSucceeded.length;
    status.failed = (status.failed ?? 0) + uncounted.failed.length - stillFailed.length;
    status.uncountedTerminatedPods = { succeeded: stillSucceeded, failed: stillFailed };
    if (!stillSucceeded.length && !stillFailed.length) status.uncountedTerminatedPods = {};

    const active = owned.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp);
    const terminating = owned.filter((p) => !isTerminal(p) && p.metadata?.deletionTimestamp);
    const succeeded = status.succeeded + stillSucceeded.length;
    const failed = status.failed + stillFailed.length;
    status.active = active.length;
    status.ready = active.filter(isReady).length;
    status.terminating = terminating.length;
    if (indexed) status.completedIndexes = formatIndexes(completed);
    if (indexed && spec.backoffLimitPerIndex !== undefined) status.failedIndexes = formatIndexes(failedIndexes);

    let requeueAfterMs: number | undefined;
    // A finished Job runs nothing: pods seen only now (created just before it finished) are deleted too.
    if (finished) await this.#deletePods(job, active, signal);
    else {
      target ??= this.#failureTarget(job, status, active, failed, failedIndexes, now);
      if (!target && indexed) {
        const matched = matchSuccessPolicy(spec.successPolicy, completions!, completed);
        if (matched) target = { type: 'SuccessCriteriaMet', reason: 'SuccessPolicy', message: matched };
      }
      if (!target) {
        const done = indexed ? completed.size >= completions! : completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
        if (done) target = { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
        else if (indexed && failedIndexes.size && completed.size + failedIndexes.size >= completions!) {
          target = { type: 'FailureTarget', reason: 'FailedIndexes', message: 'Job has failed indexes' };
        }
      }
      if (target) {
        this.#setCondition(status, target.type, target.reason, target.message, now);
        await this.#deletePods(job, active, signal);
        // Settled: every pod this controller created has been seen, none is left running, all are counted.
        const settled = this.#expectationsMet(key) && terminating.length === 0 && !stillSucceeded.length && !stillFailed.length;
        if (active.length === 0 && settled) {
          if (target.type === 'SuccessCriteriaMet') {
            this.#setCondition(status, 'Complete', target.reason, target.message, now);
            status.completionTime = rfc3339(now);
            this.#recorder.event(job, 'Normal', 'Completed', 'Job completed');
          } else {
            this.#setCondition(status, 'Failed', target.reason, target.message, now);
            this.#recorder.event(job, 'Warning', target.reason, target.message);
          }
        }
        status.active = 0;
        status.ready = 0;
        status.terminating = terminating.length + active.length;
      } else {
        requeueAfterMs = await this.#manageActive(key, job, status, active, terminating, owned, completed, failedIndexes, byIndexFailures, succeeded, now, signal);
      }
    }
    await this.#writeStatus(job, status, signal);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  #existingTarget(job: Job): FinishTarget | undefined {
    for (const type of ['FailureTarget', 'SuccessCriteriaMet'] as const) {
      const c = condition(job, type);
      if (c) return { type, reason: c.reason ?? '', message: c.message ?? '' };
    }
    return undefined;
  }

  #failureTarget(job: Job, status: JobStatus, active: Pod[], failed: number, failedIndexes: Set<number>, now: number): FinishTarget | undefined {
    const spec = job.spec!;
    const limit = spec.backoffLimit ?? 6;
    let exceeded = failed > limit;
    if (spec.template.spec?.restartPolicy === 'OnFailure' && limit >= 0) {
      // Container restarts count as failures too (upstream's pastBackoffLimitOnFailure).
      const restarts = active.reduce((n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m, c) => m + (c.restartCount ?? 0), 0), 0);
      if (restarts > 0 && restarts + failed >= limit) exceeded = true;
    }
    if (exceeded) return { type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    if (spec.maxFailedIndexes !== undefined && failedIndexes.size > spec.maxFailedIndexes) {
      return { type: 'FailureTarget', reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
    }
    const start = status.startTime ? Date.parse(status.startTime) : undefined;
    if (spec.activeDeadlineSeconds !== undefined && start !== undefined && !spec.suspend && now - start >= spec.activeDeadlineSeconds * 1000) {
      return { type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    return undefined;
  }

  /** Suspension, start time, and creating or deleting pods toward the wanted number of active ones. */
  async #manageActive(
    key: string, job: Job, status: JobStatus, active: Pod[], terminating: Pod[], owned: Pod[], completed: Set<number>, failedIndexes: Set<number>,
    byIndexFailures: Map<number, number>, succeeded: number, now: number, signal: AbortSignal,
  ): Promise<number | undefined> {
    const spec = job.spec!;
    const suspendedCond = status.conditions?.find((c) => c.type === 'Suspended');
    if (spec.suspend) {
      if (suspendedCond?.status !== 'True') {
        this.#setCondition(status, 'Suspended', 'JobSuspended', 'Job suspended', now);
        this.#recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      delete status.startTime;
      await this.#deletePods(job, active, signal);
      status.active = 0;
      status.ready = 0;
      return undefined;
    }
    if (suspendedCond?.status === 'True') {
      this.#setCondition(status, 'Suspended', 'JobResumed', 'Job resumed', now, 'False');
      this.#recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = rfc3339(now);
    }
    status.startTime ??= rfc3339(now);
    let requeue: number | undefined;
    if (spec.activeDeadlineSeconds !== undefined) {
      requeue = Math.max(0, Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now);
    }

    const parallelism = spec.parallelism ?? 1;
    const indexed = spec.completionMode === 'Indexed';
    let want: number;
    if (indexed) want = Math.min(parallelism, spec.completions! - completed.size - failedIndexes.size);
    else if (spec.completions !== undefined) want = Math.min(parallelism, spec.completions - succeeded);
    else want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
    want = Math.max(0, want);

    if (active.length > want) {
      const excess = [...active].sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '')).slice(0, active.length - want);
      await this.#deletePods(job, excess, signal);
      status.active = active.length - excess.length;
      return requeue;
    }
    // With podReplacementPolicy Failed, pods still terminating hold their place until they have failed.
    const holding = onlyReplaceFailed(job) ? terminating : [];
    if (active.length + holding.length >= want || !this.#expectationsMet(key)) return requeue;
    const wait = remainingBackoffMs(this.#backoff.get(key) ?? { failuresAfterLastSuccess: 0 }, now);
    if (wait > 0) return requeue === undefined ? wait : Math.min(requeue, wait);

    const n = Math.min(want - active.length - holding.length, MAX_PODS_PER_SYNC);
    let indexes: (number | undefined)[] = Array.from({ length: n }, () => undefined);
    if (indexed) {
      const activeIx = new Set([...active, ...holding].map(podIndex).filter((i): i is number => i !== undefined));
      indexes = firstPendingIndexes(spec.completions!, n, completed, failedIndexes, activeIx);
    }
    if (indexes.length === 0) return requeue;
    // Failures so far per index (from the failed pods still around), for backoffLimitPerIndex.
    const failuresOf = (ix: number) => {
      let n = byIndexFailures.get(ix) ?? 0;
      for (const p of owned) {
        if (p.status?.phase === 'Failed' && podIndex(p) === ix) n = Math.max(n, Number(p.metadata?.annotations?.[JOB_INDEX_FAILURE_COUNT_ANNOTATION] ?? 0) + 1);
      }
      return n;
    };
    this.#expectations.set(key, { adds: indexes.length, at: now });
    const client = this.#client.resource<Pod>('pods', job.metadata!.namespace);
    const results = await Promise.allSettled(indexes.map((ix) => client.create(this.#podFor(job, ix, ix === undefined ? 0 : failuresOf(ix)), { signal })));
    let failure: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') this.#recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      else {
        const exp = this.#expectations.get(key);
        if (exp) exp.adds--;
        failure ??= r.reason;
        this.#recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    status.active = (status.active ?? 0) + results.filter((r) => r.status === 'fulfilled').length;
    if (failure) throw failure;
    return requeue;
  }

  #podFor(job: Job, index: number | undefined, indexFailures: number): Pod {
    const template = structuredClone(job.spec!.template);
    const name = job.metadata!.name!;
    const labels = { ...(template.metadata?.labels ?? {}) };
    const annotations = { ...(template.metadata?.annotations ?? {}) };
    const spec = template.spec!;
    let generateName = `${name}-`;
    if (index !== undefined) {
      generateName = `${name}-${index}-`;
      labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
      annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
      if (job.spec!.backoffLimitPerIndex !== undefined) annotations[JOB_INDEX_FAILURE_COUNT_ANNOTATION] = String(indexFailures);
      spec.hostname ??= `${name}-${index}`;
      const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } };
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        if (!c.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) (c.env ??= []).push(structuredClone(env));
      }
    }
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata!.uid!, controller: true, blockOwnerDeletion: true };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName, namespace: job.metadata!.namespace, labels, annotations,
        finalizers: [JOB_TRACKING_FINALIZER], ownerReferences: [owner],
      },
      spec,
    };
  }

  #expectationsMet(key: string): boolean {
    const exp = this.#expectations.get(key);
    if (!exp || exp.adds <= 0) return true;
    return this.#clock.now() - exp.at > EXPECTATIONS_TTL_MS;
  }

  #setCondition(status: JobStatus, type: string, reason: string, message: string, now: number, value: 'True' | 'False' = 'True'): void {
    const conditions = (status.conditions ??= []);
    const existing = conditions.find((c) => c.type === type);
    const at = rfc3339(now);
    if (existing) {
      if (existing.status === value && existing.reason === reason) return;
      Object.assign(existing, { status: value, reason, message, lastProbeTime: at, lastTransitionTime: at });
      return;
    }
    const c: JobCondition = { type, status: value, reason, message, lastProbeTime: at, lastTransitionTime: at };
    conditions.push(c);
  }

  async #deletePods(job: Job, pods: Pod[], signal: AbortSignal): Promise<void> {
    const client = this.#client.resource<Pod>('pods', job.metadata!.namespace);
    await Promise.all(pods.map(async (p) => {
      try {
        await client.delete(p.metadata!.name!, { preconditions: { uid: p.metadata!.uid! }, signal });
        this.#recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }));
  }

  /** Removes the tracking finalizer; returns the uids it was removed from (or whose pods are gone). */
  async #removeFinalizers(pods: Pod[], signal: AbortSignal): Promise<Set<string>> {
    const removed = new Set<string>();
    await Promise.all(pods.map(async (p) => {
      const uid = p.metadata!.uid!;
      if (this.#finalizerRemoved.has(uid)) return;
      if (!hasFinalizer(p)) return;
      try {
        // Upstream's removeTrackingFinalizerPatch; the uid makes it a precondition (a new pod of the same name is left alone).
        await this.#client.resource<Pod>('pods', p.metadata!.namespace).patch(
          p.metadata!.name!,
          { metadata: { uid, '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } },
          'strategic',
          { signal },
        );
        this.#finalizerRemoved.add(uid);
        removed.add(uid);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        removed.add(uid);
      }
    }));
    return removed;
  }

  /** Writes status if it changed, with the Job's resourceVersion (a stale Job gets Conflict and a retry). */
  async #writeStatus(job: Job, status: JobStatus, signal: AbortSignal): Promise<Job> {
    // int32 counters are omitempty in the API; ready and terminating are pointers and stay at 0.
    for (const f of ['active', 'succeeded', 'failed'] as const) if (status[f] === 0) delete status[f];
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(job.status ?? {})), JSON.parse(JSON.stringify(status)))) return job;
    const updated = await this.#client.resource<Job>('jobs', job.metadata!.namespace).updateStatus({ ...job, status }, { signal });
    this.#written.set(objectKey(updated), updated);
    return updated;
  }
}
