/**
 * Table printers for DaemonSets, ReplicationControllers and ControllerRevisions, with the columns of
 * kubectl 1.32's server-side printers (pkg/printers/internalversion): `get ds` shows DESIRED CURRENT
 * READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE, `get rc` DESIRED CURRENT READY AGE, `get controllerrevision`
 * CONTROLLER REVISION AGE.
 */
import type { ControllerRevision, DaemonSet, KubeObject, PodTemplateSpec, ReplicationController, TableColumnDefinition } from '../types.ts';

type Col = (name: string, description: string, opts?: { type?: string; format?: string; priority?: number }) => TableColumnDefinition;
type Age = (obj: KubeObject, now: number) => string;
type Cells = (t: PodTemplateSpec | undefined) => [string, string];
interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${m![k]}`).join(',');
}

export function daemonSetPrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition, age: Age, containerCells: Cells, selectorText: (s: NonNullable<DaemonSet['spec']>['selector']) => string): Record<string, Printer> {
  const containers = col('Containers', 'Names of each container in the template.', { priority: 1 });
  const images = col('Images', 'Images referenced by each container in the template.', { priority: 1 });
  const daemonSet: Printer = {
    columns: [
      NAME,
      col('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/', { type: 'integer' }),
      col('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/', { type: 'integer' }),
      col('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.', { type: 'integer' }),
      col('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
      col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', { type: 'integer' }),
      col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node\'s labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/'),
      AGE, containers, images,
      col('Selector', 'A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const ds = obj as unknown as DaemonSet;
      const st = ds.status;
      const cells: unknown[] = [
        ds.metadata?.name ?? '', st?.desiredNumberScheduled ?? 0, st?.currentNumberScheduled ?? 0, st?.numberReady ?? 0,
        st?.updatedNumberScheduled ?? 0, st?.numberAvailable ?? 0, formatLabels(ds.spec?.template?.spec?.nodeSelector), age(obj, now),
      ];
      if (wide) cells.push(...containerCells(ds.spec?.template), selectorText(ds.spec!.selector));
      return cells;
    },
  };
  const replicationController: Printer = {
    columns: [
      NAME,
      col('Desired', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller', { type: 'integer' }),
      col('Current', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller', { type: 'integer' }),
      col('Ready', 'The number of ready replicas for this replication controller.', { type: 'integer' }),
      AGE, containers, images,
      col('Selector', 'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const rc = obj as unknown as ReplicationController;
      const cells: unknown[] = [rc.metadata?.name ?? '', rc.spec?.replicas ?? 0, rc.status?.replicas ?? 0, rc.status?.readyReplicas ?? 0, age(obj, now)];
      if (wide) cells.push(...containerCells(rc.spec?.template), formatLabels(rc.spec?.selector));
      return cells;
    },
  };
  const controllerRevision: Printer = {
    columns: [
      NAME,
      col('Controller', 'Controller of the object'),
      col('Revision', 'Revision indicates the revision of the state represented by Data.', { type: 'integer' }),
      AGE,
    ],
    cells(obj, now) {
      const cr = obj as unknown as ControllerRevision;
      const ref = cr.metadata?.ownerReferences?.find((r) => r.controller);
      const group = ref ? ref.apiVersion.split('/').slice(0, -1).join('/') : '';
      const controller = ref ? `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}` : '<none>';
      return [cr.metadata?.name ?? '', controller, cr.revision, age(obj, now)];
    },
  };
  return { 'apps/daemonsets': daemonSet, '/replicationcontrollers': replicationController, 'apps/controllerrevisions': controllerRevision };
}
