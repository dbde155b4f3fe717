/**
 * The TTL-after-finished controller (upstream's pkg/controller/ttlafterfinished): deletes a Job
 * `ttlSecondsAfterFinished` seconds after it finished (the lastTransitionTime of its Complete or Failed
 * condition), with background propagation so the garbage collector takes its pods. Before deleting it reads the
 * Job fresh from the API (the TTL may have been changed), as upstream does, and deletes with a uid precondition.
 */
import type { Job } from '../../api/index.ts';
import { Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller } from '../controller.ts';

export interface TTLAfterFinishedControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

/** When a finished Job with a TTL expires (ms since epoch), or undefined when it does not (yet). */
export function jobExpiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata?.deletionTimestamp) return undefined;
  const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!done?.lastTransitionTime) return undefined;
  return Date.parse(done.lastTransitionTime) + ttl * 1000;
}

export class TTLAfterFinishedController {
  readonly jobs: Informer<Job>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(config: TTLAfterFinishedControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('ttl-after-finished-controller');
    this.jobs = informerOf(config.informers, config.client.resource<Job>('jobs'), { clock: this.#clock, logger: this.#log });
    this.controller = new Controller({
      name: 'ttl-after-finished-controller',
      reconcile: (key, signal) => this.reconcile(key, signal),
      informers: [this.jobs] as Informer<KubeObjectLike>[],
      clock: this.#clock,
      logger: this.#log,
    });
    const enqueue = (job: Job) => {
      if (jobExpiresAt(job) !== undefined) this.controller.enqueue(objectKey(job));
    };
    this.jobs.onAdd(enqueue).onUpdate((_o, j) => enqueue(j));
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  async reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const cached = this.jobs.get(key);
    if (!cached || jobExpiresAt(cached) === undefined) return;
    const [ns, name] = key.split('/') as [string, string];
    const client = this.#client.resource<Job>('jobs', ns);
    let job: Job;
    try {
      job = await client.get(name, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const at = jobExpiresAt(job);
    if (at === undefined) return;
    const wait = at - this.#clock.now();
    if (wait > 0) return { requeueAfterMs: wait };
    try {
      await client.delete(name, { preconditions: { uid: job.metadata?.uid }, propagationPolicy: 'Background', signal });
      this.#log.info({ job: key }, 'deleted a finished Job past its ttlSecondsAfterFinished');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
