/**
 * `Preemptor`: DefaultPreemption's PostFilter for the scheduler. When a pod fits on no node, it looks for a node
 * where evicting pods of lower priority would make room (select-victims.ts decides which), and then acts as
 * upstream's prepareCandidate: each victim gets the `DisruptionTarget` condition (reason
 * `PreemptionByScheduler`), is deleted gracefully, and gets a `Preempted` event; pods of lower priority that
 * were nominated to the same node lose their nomination. The scheduler records `status.nominatedNodeName` on
 * the preemptor, which waits in the queue until the victims are gone.
 *
 * `findCandidate` is synchronous, on the scheduler's loop; `evict` runs in the background and never throws.
 */
import type { Pod, PodCondition, PodDisruptionBudget } from '../../api/index.ts';
import { isNotFound, type Client, type EventRecorder } from '../../client/index.ts';
import type { Clock, Logger } from '../../machinery/index.ts';
import { preemptionMessage, type Diagnosis, type NodeInfo } from '../framework/index.ts';
import type { Nominator } from '../nominator.ts';
import { notEligibleReason, pickOneNode, priorityOf, selectVictimsOnNode, type Candidate } from './select-victims.ts';

export interface PreemptorConfig {
  client: Client;
  recorder: EventRecorder;
  nominator: Nominator;
  clock: Clock;
  logger: Logger;
}

export type PreemptionResult = { candidate: Candidate; message?: undefined } | { candidate?: undefined; message: string };

export class Preemptor {
  readonly #config: PreemptorConfig;

  constructor(config: PreemptorConfig) {
    this.#config = config;
  }

  /**
   * The node to preempt on and its victims, or the `preemption: ...` text for the FailedScheduling message.
   * `fits` runs the filters for `pod` on a what-if node; only nodes the filters found `Unschedulable` (not
   * `UnschedulableAndUnresolvable`) are tried, in the order of `nodes`.
   */
  findCandidate(pod: Pod, nodes: readonly NodeInfo[], d: Diagnosis, fits: (ni: NodeInfo) => boolean, pdbs: readonly PodDisruptionBudget[]): PreemptionResult {
    const nominated = this.#config.nominator.nodeOf(pod) ?? pod.status?.nominatedNodeName;
    const why = notEligibleReason(pod, nodes.find((n) => n.name === nominated));
    if (why) return { message: `preemption: ${why}` };
    const candidates: Candidate[] = [];
    if (!d.preFilterMsg) {
      for (const n of nodes) {
        if (d.nodeStatuses.get(n.name)?.code !== 'Unschedulable') continue;
        const victims = selectVictimsOnNode(pod, n, fits, pdbs);
        if (victims && victims.pods.length > 0) candidates.push({ nodeName: n.name, victims });
      }
    }
    const best = pickOneNode(candidates);
    return best ? { candidate: best } : { message: preemptionMessage(pod, d) };
  }

  /** Evicts the candidate's victims for `pod` and drops lower-priority nominations to that node. */
  async evict(pod: Pod, candidate: Candidate, signal: AbortSignal): Promise<void> {
    const { nominator } = this.#config;
    const schedulerName = pod.spec?.schedulerName || 'default-scheduler';
    const lowerNominated = nominator.podsOn(candidate.nodeName).filter((p) => priorityOf(p) < priorityOf(pod));
    for (const p of lowerNominated) nominator.set(p, undefined);
    await Promise.all([
      ...candidate.victims.pods.map((victim) => this.#evictOne(pod, victim, candidate.nodeName, schedulerName, signal)),
      ...lowerNominated.map((p) => this.#clearNomination(p, signal)),
    ]);
  }

  async #evictOne(pod: Pod, victim: Pod, nodeName: string, schedulerName: string, signal: AbortSignal): Promise<void> {
    const { client, recorder, logger } = this.#config;
    const pods = client.resource<Pod>('pods', victim.metadata!.namespace);
    const name = victim.metadata!.name!;
    try {
      const conditions = victim.status?.conditions ?? [];
      const current = conditions.find((c) => c.type === 'DisruptionTarget');
      const message = `${schedulerName}: preempting to accommodate a higher priority pod`;
      if (!(current?.status === 'True' && current.reason === 'PreemptionByScheduler' && current.message === message)) {
        const cond: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message, lastTransitionTime: this.#now() };
        await pods.patchStatus(name, { status: { conditions: [...conditions.filter((c) => c.type !== 'DisruptionTarget'), cond] } }, 'strategic', { signal });
      }
      await pods.delete(name, { preconditions: { uid: victim.metadata!.uid! }, signal });
      recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata?.uid ?? ''} on node ${nodeName}`);
    } catch (err) {
      if (!isNotFound(err) && !signal.aborted) logger.warn({ pod: `${victim.metadata?.namespace}/${name}`, err: (err as Error).message }, 'preempting a victim failed');
    }
  }

  async #clearNomination(pod: Pod, signal: AbortSignal): Promise<void> {
    try {
      await this.#config.client.resource<Pod>('pods', pod.metadata!.namespace).patchStatus(pod.metadata!.name!, { status: { nominatedNodeName: null } }, 'merge', { signal });
    } catch (err) {
      if (!isNotFound(err) && !signal.aborted) this.#config.logger.warn({ pod: pod.metadata?.name, err: (err as Error).message }, 'clearing a nomination failed');
    }
  }

  #now(): string {
    return new Date(Math.floor(this.#config.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
}
