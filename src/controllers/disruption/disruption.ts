/**
 * The disruption controller: keeps each PodDisruptionBudget's status (currentHealthy, desiredHealthy,
 * expectedPods, disruptionsAllowed, disruptedPods, the DisruptionAllowed condition) up to date from the pods
 * it selects and their controllers' scale, as kube-controller-manager's `disruption` controller does. The
 * eviction API (src/apiserver/eviction.ts) reads that status to allow or refuse an eviction.
 *
 *   pdb / pod / replicaset / deployment / replicationcontroller / statefulset events ─▶ enqueue the budgets concerned ─▶ reconcile: budgetStatus, write if changed
 */
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet, ReplicationController, StatefulSet } from '../../api/index.ts';
import { labelSelectorFromObject } from '../../api/index.ts';
import { Informer, informerOf, isNotFound, objectKey, type Client, type KubeObjectLike, type SharedInformers } from '../../client/index.ts';
import { createLogger, realClock, type Clock, type Logger } from '../../machinery/index.ts';
import { Controller, type ReconcileResult } from '../controller.ts';
import { budgetStatus } from './budget.ts';

export interface DisruptionControllerConfig {
  /** The process's shared informers (SharedInformers); without them the controller makes its own. */
  informers?: SharedInformers;
  client: Client;
  clock?: Clock;
  logger?: Logger;
}

/** Whether a budget's selector picks the pod (nil selects nothing, empty everything; invalid nothing). */
function selects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pdb.metadata?.namespace !== pod.metadata?.namespace) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

export class DisruptionController {
  readonly budgets: Informer<PodDisruptionBudget>;
  readonly pods: Informer<Pod>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly deployments: Informer<Deployment>;
  readonly replicationControllers: Informer<ReplicationController>;
  readonly statefulSets: Informer<StatefulSet>;
  readonly controller: Controller;
  readonly #client: Client;
  readonly #clock: Clock;

  constructor(config: DisruptionControllerConfig) {
    this.#client = config.client;
    this.#clock = config.clock ?? realClock;
    const log = config.logger ?? createLogger('disruption-controller');
    const opts = { clock: this.#clock, logger: log };
    this.budgets = informerOf(config.informers, config.client.resource<PodDisruptionBudget>('poddisruptionbudgets'), opts);
    this.pods = informerOf(config.informers, config.client.resource<Pod>('pods'), opts);
    this.replicaSets = informerOf(config.informers, config.client.resource<ReplicaSet>('replicasets'), opts);
    this.deployments = informerOf(config.informers, config.client.resource<Deployment>('deployments'), opts);
    this.replicationControllers = informerOf(config.informers, config.client.resource<ReplicationController>('replicationcontrollers'), opts);
    this.statefulSets = informerOf(config.informers, config.client.resource<StatefulSet>('statefulsets'), opts);
    this.controller = new Controller({
      name: 'disruption-controller',
      informers: [this.budgets, this.pods, this.replicaSets, this.deployments, this.replicationControllers, this.statefulSets] as Informer<KubeObjectLike>[],
      reconcile: (key, signal) => this.reconcile(key, signal),
      clock: this.#clock,
      logger: log,
    });
    const enqueue = (b: PodDisruptionBudget) => this.controller.enqueue(objectKey(b));
    this.budgets.onAdd(enqueue).onUpdate((_o, b) => enqueue(b)).onDelete(enqueue);
    const forPod = (p: Pod) => {
      for (const b of this.budgets.list()) if (selects(b, p)) enqueue(b);
    };
    this.pods.onAdd(forPod).onUpdate((o, p) => {
      forPod(o);
      forPod(p);
    }).onDelete(forPod);
    // A controller's scale changes expectedPods of the budgets over its namespace's pods.
    const forNamespace = (o: { metadata?: { namespace?: string } }) => {
      for (const b of this.budgets.list()) if (b.metadata?.namespace === o.metadata?.namespace) enqueue(b);
    };
    this.replicaSets.onAdd(forNamespace).onUpdate((_o, rs) => forNamespace(rs)).onDelete(forNamespace);
    this.deployments.onAdd(forNamespace).onUpdate((_o, d) => forNamespace(d)).onDelete(forNamespace);
    this.replicationControllers.onAdd(forNamespace).onUpdate((_o, rc) => forNamespace(rc)).onDelete(forNamespace);
    this.statefulSets.onAdd(forNamespace).onUpdate((_o, sts) => forNamespace(sts)).onDelete(forNamespace);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.controller.run(signal);
  }

  /** One pass for one budget (public for tests). */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const pdb = this.budgets.get(key);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    const ns = pdb.metadata!.namespace!;
    const pods = this.pods.list().filter((p) => selects(pdb, p));
    const owners = {
      replicaSet: (n: string, name: string) => this.replicaSets.get(`${n}/${name}`),
      deployment: (n: string, name: string) => this.deployments.get(`${n}/${name}`),
      replicationController: (n: string, name: string) => this.replicationControllers.get(`${n}/${name}`),
      statefulSet: (n: string, name: string) => this.statefulSets.get(`${n}/${name}`),
    };
    const { status, requeueAfterMs } = budgetStatus(pdb, pods, owners, this.#clock.now());
    if (JSON.stringify(status) !== JSON.stringify(pdb.status ?? {})) {
      try {
        // The budget's resourceVersion guards against overwriting an eviction's decrement made meanwhile.
        await this.#client.resource<PodDisruptionBudget>('poddisruptionbudgets', ns).updateStatus(
          { ...pdb, status }, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (requeueAfterMs !== undefined) return { requeueAfterMs };
  }
}
