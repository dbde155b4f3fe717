/**
 * `Preemptor`: DefaultPreemption's PostFilter for the scheduler. When a pod fits on no node, it looks for a node
 * where evicting pods of lower priority would make room (select-victims.ts decides which), and then acts as
 * upstream's prepareCandidate: each victim gets the `DisruptionTarget` condition (reason
 * `PreemptionByScheduler`), is deleted gracefully, and gets a `Preempted` event; pods of lower priority that
 * were nominated to the same node lose their nomination. The scheduler records `status.nominatedNodeName` on
 * the preemptor, which waits in the queue until the victims are gone.
 *
 * Candidates are searched as upstream's dryRunPreemption does: from a random node onwards, stopping once
 * `numCandidates` nodes (10% of the potential ones, at least 100) can take the pod and one of them breaks no
 * budget. `findCandidate` is synchronous, on the scheduler's loop; `evict` runs in the background and never throws.
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
  /** Where the search for candidates starts among the nodes (default Math.random). */
  random?: () => number;
}

/** Upstream's defaults: minCandidateNodesPercentage 10, minCandidateNodesAbsolute 100. */
const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/** How many candidate nodes preemption looks for among `potential` nodes (calculateNumCandidates). */
export function numCandidates(potential: number): number {
  const n = Math.floor((potential * MIN_CANDIDATE_NODES_PERCENTAGE) / 100);
  return Math.min(Math.max(n, MIN_CANDIDATE_NODES_ABSOLUTE), potential);
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
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    if (!d.preFilterMsg) {
      const potential = nodes.filter((n) => d.nodeStatuses.get(n.name)?.code === 'Unschedulable');
      // Upstream's dryRunPreemption: start at a random node and stop once enough candidates are found (one
      // of them without budget violations), rather than trying every node.
      const want = numCandidates(potential.length);
      const offset = Math.floor((this.#config.random ?? Math.random)() * potential.length);
      for (let i = 0; i < potential.length; i++) {
        const n = potential[(offset + i) % potential.length]!;
        const victims = selectVictimsOnNode(pod, n, fits, pdbs);
        if (!victims || victims.pods.length === 0) continue;
        (victims.numPDBViolations === 0 ? nonViolating : violating).push({ nodeName: n.name, victims });
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
      }
    }
    const best = pickOneNode([...nonViolating, ...violating]);
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
