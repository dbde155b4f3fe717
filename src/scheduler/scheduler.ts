/**
 * `Scheduler`: binds pending pods to nodes, as kube-scheduler's default profile does. It watches pods and
 * nodes through informers, keeps a cache of what each node carries, and runs one scheduling cycle at a time:
 *
 *   queue.pop ─▶ preFilter ─▶ filter every node ─▶ score the feasible ones ─▶ assume on the best
 *   ─▶ (async) bind: POST pods/binding ─▶ event Scheduled
 *
 * A pod that fits nowhere gets `PodScheduled=False` reason `Unschedulable` with Kubernetes' message and a
 * `FailedScheduling` Warning event, and waits in the queue until a node is added or changes or a pod goes
 * away. Before that, preemption (preemption/) may pick a node where evicting lower-priority pods makes room:
 * the victims are evicted, the pod gets `status.nominatedNodeName`, and the Nominator holds that room for it
 * against pods of lower priority until it binds. Errors (no nodes at all, failed binding) are reported the same way with reason `SchedulerError` and
 * retried after back-off. Cycles are synchronous on one loop; only binding runs in the background, so the
 * next cycle can start at once and sees the previous pod through the cache's assumed pods.
 *
 * PodScheduled=False writes go through a small writer of their own: at most `maxConditionWrites` patches in
 * flight, the latest wanted condition per pod (a pod that fails again before its write went out is written
 * once), and no write at all when the pod already says the same (reason and message). With the client's rate
 * limit (kube-scheduler's QPS 50, burst 100) a flood of unschedulable pods cannot flood the API server.
 * Bindings are bounded the same way (`maxBindings` in flight, the rest wait in order without holding a
 * request, a timer or an abort listener). Everything stops with the run's signal: informers, cycles,
 * bindings, condition writes and events.
 */
import { setMaxListeners } from 'node:events';
import type { Node, Pod, PodCondition, PodDisruptionBudget } from '../api/index.ts';
import { EventRecorder, Informer, isNotFound, type Client } from '../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../machinery/index.ts';
import { SchedulerCache } from './cache.ts';
import {
  CycleState, Framework, fitErrorMessage, isRejected, NO_NODES_AVAILABLE, preemptionMessage, statusMessage,
  type Diagnosis, type FrameworkConfig, type NodeInfo, type Status,
} from './framework/index.ts';
import { defaultProfile } from './plugins/index.ts';
import { Nominator } from './nominator.ts';
import { Preemptor } from './preemption/preemptor.ts';
import { SchedulingQueue, type QueuedPodInfo, type SchedulingQueueConfig } from './queue.ts';
import { SchedulerMetrics, type SchedulerMetricsRecorder } from './metrics.ts';
import type { Registry } from 'prom-client';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerConfig {
  client: Client;
  /** Pods whose `spec.schedulerName` is this are ours (default `default-scheduler`). */
  schedulerName?: string;
  /** Plugins and weights (default: the default profile). */
  profile?: FrameworkConfig;
  queue?: SchedulingQueueConfig;
  clock?: Clock;
  logger?: Logger;
  /** Picks among equally scored nodes (default Math.random). */
  random?: () => number;
  /** PodScheduled=False patches in flight at once (default 8). */
  maxConditionWrites?: number;
  /** Bindings in flight at once (default 16). */
  maxBindings?: number;
  /** The Prometheus registry for scheduler_schedule_attempts_total and the scheduling SLI (none when absent). */
  metrics?: Registry;
  /** Where the metrics go instead of `metrics` (a worker thread forwards them to the process's registry). */
  metricsRecorder?: SchedulerMetricsRecorder;
}

/** Upstream's minFeasibleNodesToFind and adaptive percentageOfNodesToScore (50% less 1% per 125 nodes, at least 5%). */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
export function numFeasibleNodesToFind(allNodes: number): number {
  if (allNodes < MIN_FEASIBLE_NODES_TO_FIND) return allNodes;
  const percentage = Math.max(5, 50 - Math.floor(allNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((allNodes * percentage) / 100));
}

const uidOf = (pod: Pod) => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const keyOf = (pod: Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Whether an update to a pending pod could change where it fits (status and bookkeeping changes cannot). */
export function podSchedulingChanged(oldPod: Pod, newPod: Pod): boolean {
  const view = (p: Pod) => JSON.stringify([p.spec, p.metadata?.labels, p.metadata?.annotations]);
  return view(oldPod) !== view(newPod);
}

/** Whether a node update could make pending pods fit (upstream's nodeSchedulingPropertiesChange). */
export function nodeSchedulingChanged(oldNode: Node, newNode: Node): boolean {
  const view = (n: Node) =>
    JSON.stringify([
      n.spec?.unschedulable ?? false,
      n.spec?.taints ?? [],
      n.metadata?.labels ?? {},
      n.status?.allocatable ?? {},
      (n.status?.conditions ?? []).map((c) => [c.type, c.status]),
    ]);
  return view(oldNode) !== view(newNode);
}

/** A PodScheduled=False write waiting to go out; `nominatedNodeName` '' clears the nomination, undefined leaves it. */
interface Wanted {
  reason: string;
  message: string;
  nominatedNodeName?: string | undefined;
  pod: Pod;
}

export class Scheduler {
  readonly schedulerName: string;
  readonly queue: SchedulingQueue;
  readonly cache = new SchedulerCache();
  readonly framework: Framework;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  /** PodDisruptionBudgets, which preemption tries not to break. */
  readonly budgets: Informer<PodDisruptionBudget>;
  readonly nominator = new Nominator();
  readonly #preemptor: Preemptor;
  readonly #client: Client;
  readonly #recorder: EventRecorder;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #metrics: SchedulerMetricsRecorder | undefined;
  readonly #background = new Set<Promise<void>>();
  readonly #maxConditionWrites: number;
  /** Conditions waiting to be written, by pod key: the latest wins. */
  readonly #conditionsWanted = new Map<string, Wanted>();
  #conditionWriters = 0;
  readonly #maxBindings: number;
  #bindings = 0;
  /** Where the next cycle starts filtering (upstream nextStartNodeIndex). */
  #nextStartNodeIndex = 0;
  readonly #bindWaiting: (() => void)[] = [];
  /** The run's signal: stops condition writes that were queued by a cycle. */
  #signal: AbortSignal = new AbortController().signal;

  constructor(config: SchedulerConfig) {
    this.#client = config.client;
    this.schedulerName = config.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.#clock = config.clock ?? realClock;
    this.#log = config.logger ?? createLogger('scheduler');
    this.#random = config.random ?? Math.random;
    this.#metrics = config.metricsRecorder ?? (config.metrics ? new SchedulerMetrics(config.metrics) : undefined);
    this.#maxConditionWrites = config.maxConditionWrites ?? 8;
    this.#maxBindings = config.maxBindings ?? 16;
    for (const [name, v] of [['maxConditionWrites', this.#maxConditionWrites], ['maxBindings', this.#maxBindings]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`scheduler: ${name} must be an integer >= 1, got ${v}`);
    }
    this.framework = new Framework(config.profile ?? defaultProfile(config.client));
    this.queue = new SchedulingQueue({ clock: this.#clock, ...config.queue });
    // Upstream's scheduler hands each event to a goroutine of its own, so its queue of 1000 never fills behind
    // slow writes; here writes are bounded (16 at once) and the queue is long enough for a burst of bindings
    // on a busy server to keep its Scheduled events.
    this.#recorder = new EventRecorder(config.client, { component: this.schedulerName, clock: this.#clock, logger: this.#log, maxConcurrentWrites: 16, maxQueuedEvents: 10_000 });
    this.pods = new Informer<Pod>(config.client.resource<Pod>('pods'), { clock: this.#clock, logger: this.#log });
    this.nodes = new Informer<Node>(config.client.resource<Node>('nodes'), { clock: this.#clock, logger: this.#log });
    this.budgets = new Informer<PodDisruptionBudget>(config.client.resource<PodDisruptionBudget>('poddisruptionbudgets'), { clock: this.#clock, logger: this.#log });
    this.#preemptor = new Preemptor({ client: config.client, recorder: this.#recorder, nominator: this.nominator, clock: this.#clock, logger: this.#log, random: this.#random });
    this.#wireInformers();
  }

  /** Runs until `signal` aborts: informers, then one cycle after another. Resolves once everything stopped. */
  async run(outer: AbortSignal): Promise<void> {
    // Our own signal, linked to the caller's by one listener: every request in flight listens to it, and
    // their number is bounded (bindings + condition writes + informers + one event), not by the pods.
    const stop = new AbortController();
    setMaxListeners(this.#maxBindings + this.#maxConditionWrites + 16, stop.signal);
    const signal = stop.signal;
    const onOuterAbort = () => stop.abort(outer.reason);
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener('abort', onOuterAbort, { once: true });
    this.#signal = signal;
    // A waiting pop wakes with undefined; the recorder drops what it has not written yet; waiting bindings
    // wake to find the signal aborted.
    const onAbort = () => {
      this.queue.close();
      this.#recorder.close();
      this.#conditionsWanted.clear();
      for (const wake of this.#bindWaiting.splice(0)) {
        this.#bindings++; // each woken binding releases a slot when it ends
        wake();
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const watching = this.framework.watchers.map((p) => p.start(signal, () => this.queue.moveAllToActiveOrBackoff()));
    const informers = [this.pods.run(signal), this.nodes.run(signal), this.budgets.run(signal), ...watching.map((w) => w.done)];
    try {
      await Promise.all([this.pods.synced, this.nodes.synced, this.budgets.synced, ...watching.map((w) => w.synced)]);
      this.#log.info({ nodes: this.nodes.list().length, pending: this.queue.stats.active }, 'scheduler started');
      for (;;) {
        const info = await this.queue.pop(signal);
        if (!info) break;
        this.scheduleOne(info, signal);
        // Let I/O (informer events, bindings, status writes) in between cycles.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      outer.removeEventListener('abort', onOuterAbort);
      stop.abort();
      signal.removeEventListener('abort', onAbort);
      onAbort();
      await Promise.allSettled([...informers, ...this.#background]);
      await this.#recorder.flush();
    }
  }

  #responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  #wireInformers(): void {
    // A pod with scheduling gates waits outside the queue (PreEnqueue SchedulingGates) until they are removed;
    // the API server marks it PodScheduled=False/SchedulingGated.
    const gated = (pod: Pod) => (pod.spec?.schedulingGates?.length ?? 0) > 0;
    const pending = (pod: Pod) => !pod.spec?.nodeName && !isTerminal(pod) && !pod.metadata?.deletionTimestamp && !gated(pod) && this.#responsible(pod);
    this.pods
      .onAdd((pod) => {
        this.nominator.observe(pod);
        if (pod.spec?.nodeName) this.cache.addOrUpdatePod(pod);
        else if (pending(pod)) this.queue.add(pod);
      })
      .onUpdate((oldPod, pod) => {
        this.nominator.observe(pod);
        if (pod.spec?.nodeName) {
          if (!oldPod.spec?.nodeName) this.queue.delete(pod);
          const freed = isTerminal(pod) && !isTerminal(oldPod);
          this.cache.addOrUpdatePod(pod);
          if (freed) this.queue.moveAllToActiveOrBackoff();
        } else if (pending(pod)) {
          if (podSchedulingChanged(oldPod, pod)) this.queue.update(pod);
        } else {
          this.queue.delete(pod);
        }
      })
      .onDelete((pod) => {
        this.nominator.delete(pod);
        if (pod.spec?.nodeName || this.cache.hasPod(pod)) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff();
        }
        this.queue.delete(pod);
      });
    this.nodes
      .onAdd((node) => {
        this.cache.addNode(node);
        this.queue.moveAllToActiveOrBackoff();
      })
      .onUpdate((oldNode, node) => {
        this.cache.updateNode(node);
        if (nodeSchedulingChanged(oldNode, node)) this.queue.moveAllToActiveOrBackoff();
      })
      .onDelete((node) => this.cache.removeNode(node));
  }

  /**
   * One scheduling cycle for one pod: everything up to assuming it on a node happens now; binding is
   * started in the background. Public for tests.
   */
  scheduleOne(info: QueuedPodInfo, signal: AbortSignal): void {
    const pod = info.pod;
    const uid = uidOf(pod);
    if (pod.metadata?.deletionTimestamp || pod.spec?.nodeName || this.cache.hasPod(pod)) {
      this.queue.done(uid);
      return;
    }
    const nodes = this.cache.nodeInfos();
    if (nodes.length === 0) {
      this.#fail(info, { code: 'Error', reasons: [NO_NODES_AVAILABLE] }, NO_NODES_AVAILABLE);
      return;
    }
    const state = new CycleState();
    const pre = this.framework.runPreFilter(state, pod, nodes, this.cache.nodeLists());
    if (pre) {
      if (!isRejected(pre)) return this.#fail(info, pre, statusMessage(pre));
      const d: Diagnosis = { numAllNodes: nodes.length, nodeStatuses: new Map(nodes.map((n) => [n.name, pre])), preFilterMsg: statusMessage(pre) };
      return this.#fail(info, pre, this.#fitError(pod, d));
    }
    const feasible: NodeInfo[] = [];
    const statuses = new Map<string, Status>();
    // Room held for pods nominated by preemption counts as taken for pods that are not more important.
    const fits = (n: NodeInfo) => this.framework.runFilter(state, pod, this.nominator.withNominated(pod, n));
    // Upstream's percentageOfNodesToScore: filtering stops once enough feasible nodes are found, starting
    // where the previous cycle stopped so every node gets its turn.
    const want = numFeasibleNodesToFind(nodes.length);
    const start = this.#nextStartNodeIndex % nodes.length;
    let processed = 0;
    for (; processed < nodes.length && feasible.length < want; processed++) {
      const n = nodes[(start + processed) % nodes.length]!;
      const s = fits(n);
      if (!s) feasible.push(n);
      else if (s.code === 'Error') return this.#fail(info, s, statusMessage(s));
      else statuses.set(n.name, s);
    }
    this.#nextStartNodeIndex = (start + processed) % nodes.length;
    if (feasible.length === 0) {
      const code = [...statuses.values()].some((s) => s.code === 'Unschedulable') ? 'Unschedulable' : 'UnschedulableAndUnresolvable';
      const d: Diagnosis = { numAllNodes: nodes.length, nodeStatuses: statuses };
      // PostFilter (DefaultPreemption): on success the pod is nominated and waits for its victims to go.
      const pdbs = this.budgets.list();
      const preemption = this.#preemptor.findCandidate(pod, nodes, d, (n) => !fits(n), pdbs);
      if (preemption.candidate) {
        const { candidate } = preemption;
        this.#log.info({ pod: keyOf(pod), node: candidate.nodeName, victims: candidate.victims.pods.map(keyOf) }, 'preempting');
        this.nominator.set(pod, candidate.nodeName);
        this.#track(this.#preemptor.evict(pod, candidate, signal));
        return this.#fail(info, { code, reasons: [] }, fitErrorMessage(d), candidate.nodeName);
      }
      // A pod that cannot preempt any more loses its nomination (upstream's clearNominatedNode).
      const clear = this.nominator.nodeOf(pod) || pod.status?.nominatedNodeName ? '' : undefined;
      if (clear !== undefined && pod.spec?.preemptionPolicy !== 'Never') this.nominator.set(pod, undefined);
      return this.#fail(info, { code, reasons: [] }, fitErrorMessage({ ...d, postFilterMsg: preemption.message }), pod.spec?.preemptionPolicy === 'Never' ? undefined : clear);
    }
    let chosen: string;
    try {
      chosen = feasible.length === 1 ? feasible[0]!.name : this.#selectHost(this.framework.runScore(state, pod, feasible));
    } catch (err) {
      return this.#fail(info, { code: 'Error', reasons: [(err as Error).message], cause: err }, (err as Error).message);
    }
    this.cache.assumePod(pod, chosen);
    const reserved = this.framework.runReserve(state, pod, chosen);
    if (reserved) {
      this.cache.forgetPod(pod);
      return this.#fail(info, reserved, statusMessage(reserved));
    }
    this.#track(this.#bind(info, state, chosen, signal));
  }

  async #bind(info: QueuedPodInfo, state: CycleState, nodeName: string, signal: AbortSignal): Promise<void> {
    // A finished binding hands its slot straight to the next waiter, so the count never goes over the limit.
    if (this.#bindings >= this.#maxBindings && !signal.aborted) await new Promise<void>((resolve) => this.#bindWaiting.push(resolve));
    else this.#bindings++;
    try {
      await this.#bindNow(info, state, nodeName, signal);
    } finally {
      const next = this.#bindWaiting.shift();
      if (next) next();
      else this.#bindings--;
    }
  }

  async #bindNow(info: QueuedPodInfo, state: CycleState, nodeName: string, signal: AbortSignal): Promise<void> {
    const pod = info.pod;
    const status = await this.framework.runBind(state, pod, nodeName, signal);
    if (!status) {
      this.#recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${keyOf(pod)} to ${nodeName}`);
      this.#metrics?.attempt('scheduled', this.schedulerName);
      this.#metrics?.scheduled(info.attempts, (this.#clock.now() - info.initialAttemptTimestamp) / 1000);
      this.queue.done(uidOf(pod));
      return;
    }
    this.cache.forgetPod(pod);
    this.framework.runUnreserve(state, pod, nodeName);
    if (signal.aborted) return this.queue.done(uidOf(pod));
    if (isNotFound(status.cause)) {
      // Deleted while we were binding it: nothing left to do.
      this.queue.done(uidOf(pod));
      return;
    }
    this.#log.warn({ pod: keyOf(pod), node: nodeName, err: statusMessage(status) }, 'binding failed');
    this.#fail(info, status, `Binding rejected: ${statusMessage(status)}`);
  }

  #fitError(pod: Pod, d: Diagnosis): string {
    return fitErrorMessage({ ...d, postFilterMsg: preemptionMessage(pod, d) });
  }

  /** Picks the highest total score; ties are broken at random (reservoir sampling), as upstream. */
  #selectHost(scores: { name: string; score: number }[]): string {
    let best = scores[0]!;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      const s = scores[i]!;
      if (s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (this.#random() * ties < 1) best = s;
      }
    }
    return best.name;
  }

  /** Reports a failed attempt (event + PodScheduled condition) and puts the pod back in the queue. */
  #fail(info: QueuedPodInfo, status: Status, message: string, nominatedNodeName?: string): void {
    const rejected = isRejected(status);
    const reason = rejected ? 'Unschedulable' : 'SchedulerError';
    // Upstream counts "no nodes available" as unschedulable (it is UnschedulableAndUnresolvable there).
    this.#metrics?.attempt(rejected || message === NO_NODES_AVAILABLE ? 'unschedulable' : 'error', this.schedulerName);
    const pod = this.pods.get(keyOf(info.pod)) ?? info.pod;
    this.#log.debug({ pod: keyOf(pod), reason, message }, 'pod not scheduled');
    this.#recorder.event(pod, 'Warning', 'FailedScheduling', message);
    if (rejected) this.queue.addUnschedulable(info);
    else this.queue.addBackoff(info);
    this.#wantCondition(pod, { reason, message, nominatedNodeName, pod });
  }

  /**
   * Whether the pod already says what `w` wants: PodScheduled=False with its reason and message, and its
   * nominatedNodeName (when `w` sets or clears one).
   */
  #conditionSays(pod: Pod, w: Wanted): boolean {
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominated = w.nominatedNodeName === undefined || (pod.status?.nominatedNodeName ?? '') === w.nominatedNodeName;
    return nominated && current?.status === 'False' && current.reason === w.reason && current.message === w.message;
  }

  /** Queues a PodScheduled=False write for the pod (replacing one not yet sent) and starts a writer if one is free. */
  #wantCondition(pod: Pod, w: Wanted): void {
    if (this.#signal.aborted || this.#conditionSays(pod, w)) return;
    const key = keyOf(pod);
    const earlier = this.#conditionsWanted.get(key);
    this.#conditionsWanted.delete(key);
    // A nomination not written yet is kept unless this write changes it.
    this.#conditionsWanted.set(key, { ...w, nominatedNodeName: w.nominatedNodeName ?? earlier?.nominatedNodeName });
    if (this.#conditionWriters < this.#maxConditionWrites) {
      this.#conditionWriters++;
      this.#track(this.#writeConditions().finally(() => this.#conditionWriters--));
    }
  }

  /** One writer: takes the oldest wanted condition until none is left (or the run stops). */
  async #writeConditions(): Promise<void> {
    for (;;) {
      if (this.#signal.aborted) return;
      const next = this.#conditionsWanted.entries().next();
      if (next.done) return;
      const [key, wanted] = next.value;
      this.#conditionsWanted.delete(key);
      // The informer's copy is the freshest: skip pods that are gone, bound, or already say this.
      const pod = this.pods.get(key) ?? wanted.pod;
      if (pod.spec?.nodeName || pod.metadata?.uid !== wanted.pod.metadata?.uid || this.#conditionSays(pod, wanted)) continue;
      await this.#setCondition(pod, wanted);
    }
  }

  /** Writes PodScheduled=False with reason and message, and the nomination in the same patch (as upstream's updatePod). */
  async #setCondition(pod: Pod, w: Wanted): Promise<void> {
    const conditions = pod.status?.conditions ?? [];
    const current = conditions.find((c) => c.type === 'PodScheduled');
    const now = new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: w.reason,
      message: w.message,
      lastProbeTime: null as unknown as undefined,
      lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : now,
    };
    const next = [...conditions.filter((c) => c.type !== 'PodScheduled'), cond];
    const status: Record<string, unknown> = { conditions: next };
    if (w.nominatedNodeName !== undefined) status.nominatedNodeName = w.nominatedNodeName || null;
    try {
      await this.#client
        .resource<Pod>('pods', pod.metadata!.namespace)
        .patchStatus(pod.metadata!.name!, { status }, 'strategic', { signal: this.#signal });
    } catch (err) {
      if (!isNotFound(err) && !this.#signal.aborted) this.#log.warn({ pod: keyOf(pod), err: (err as Error).message }, 'could not update PodScheduled condition');
    }
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((err) => this.#log.error({ err }, 'scheduler background task failed')).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }
}
