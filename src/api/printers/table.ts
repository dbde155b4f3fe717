/**
 * Server-side Table printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
 * and cell text of pkg/printers/internalversion for every resource kubeling serves. Like the real
 * apiserver the rows always carry the wide (priority 1) cells; kubectl hides them unless `-o wide`.
 * Each row carries PartialObjectMetadata by default so kubectl can print NAMESPACE and LABELS.
 */
import type {
  ConfigMap, Deployment, Event, IntOrString, KubeObject, Lease, PodDisruptionBudget, ListMeta, Namespace, Node, PartialObjectMetadata, Pod, ReplicaSet, Secret,
  ServiceAccount, Table, TableColumnDefinition, TableRow, PodTemplateSpec, StatefulSet,
} from '../types.ts';
import { toResourceInfo, type ResourceRef } from '../resources.ts';
import { translateTimestampSince } from './duration.ts';
import { podRestartsText, podSummary } from './pod-status.ts';
import { labelSelectorFromObject } from '../selectors/label-selector.ts';
import { servicePrinters } from './service.ts';
import { batchPrinters } from './batch.ts';
import { storagePrinters } from './storage.ts';
import { schedulingPrinters } from './scheduling.ts';
import { quotaPrinters } from './quota.ts';
import { rbacPrinters } from './rbac.ts';
import { admissionPrinters } from './admissionregistration.ts';
import { certificatePrinters } from './certificates.ts';
import { daemonSetPrinters } from './daemonset.ts';
import { autoscalingPrinters } from './autoscaling.ts';
import { customColumnCells, customColumnDefinitions } from './custom-columns.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface PrintOptions {
  /** Include priority-1 cells (default true, as the apiserver does). */
  wide?: boolean;
  /** "Now" for AGE columns, ms since epoch (default Date.now()). */
  now?: number;
  /** What each row's `object` holds (default Metadata → PartialObjectMetadata). */
  includeObject?: IncludeObject;
  /** TableOptions.noHeaders: leave columnDefinitions empty (watch events after the first). */
  noHeaders?: boolean;
  /** The list's metadata (resourceVersion, continue) to put on the Table. */
  listMeta?: ListMeta;
}

const NAME_DESC = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, description: string, opts: { type?: string; format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type: opts.type ?? 'string', format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}
const NAME = col('Name', NAME_DESC, { format: 'name' });
const AGE = col('Age', AGE_DESC);

interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
  conditions?(obj: KubeObject): TableRow['conditions'];
}

function age(obj: KubeObject, now: number): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, now);
}

function containerCells(t: PodTemplateSpec | undefined): [string, string] {
  const cs = t?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

function selectorText(sel: Parameters<typeof labelSelectorFromObject>[0]): string {
  try {
    const s = labelSelectorFromObject(sel).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { priority: 1 }),
    col('Node', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename', { priority: 1 }),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', { priority: 1 }),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', { priority: 1 }),
  ],
  cells(obj, now, wide) {
    const pod = obj as unknown as Pod;
    const s = podSummary(pod);
    const cells: unknown[] = [pod.metadata?.name ?? '', s.ready, s.status, podRestartsText(s, now), age(obj, now)];
    if (wide) {
      const gates = pod.spec?.readinessGates ?? [];
      let gatesText = '<none>';
      if (gates.length) {
        const conds = pod.status?.conditions ?? [];
        const trueCount = gates.filter((g) => conds.find((c) => c.type === g.conditionType)?.status === 'True').length;
        gatesText = `${trueCount}/${gates.length}`;
      }
      cells.push(pod.status?.podIPs?.[0]?.ip || '<none>', pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', gatesText);
    }
    return cells;
  },
  conditions(obj) {
    const phase = (obj as unknown as Pod).status?.phase;
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};

/** ROLES: node-role.kubernetes.io/<role> label keys and kubernetes.io/role values, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

/** STATUS of `kubectl get nodes`: Ready/NotReady/Unknown, plus SchedulingDisabled. */
export function nodeStatusText(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node\'s address in its own status or consumers of the downward API (status.hostIP).', { priority: 1 }),
    col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses', { priority: 1 }),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { priority: 1 }),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { priority: 1 }),
    col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { priority: 1 }),
  ],
  cells(obj, now, wide) {
    const node = obj as unknown as Node;
    const roles = nodeRoles(node).join(',') || '<none>';
    const info = node.status?.nodeInfo;
    const cells: unknown[] = [node.metadata?.name ?? '', nodeStatusText(node), roles, age(obj, now), info?.kubeletVersion ?? ''];
    if (wide) {
      const addr = (type: string) => (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
      cells.push(addr('InternalIP'), addr('ExternalIP'), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>');
    }
    return cells;
  },
};

const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'The object that this event is about.'),
    col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.', { priority: 1 }),
    col('Source', 'The component reporting this event. Should be a short machine understandable string.', { priority: 1 }),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { priority: 1 }),
    col('Count', 'The number of times this event has occurred.', { priority: 1 }),
    col('Name', NAME_DESC, { priority: 1, format: 'name' }),
  ],
  cells(obj, now, wide) {
    const e = obj as unknown as Event;
    const micro = (t: string | undefined) => translateTimestampSince(t, now);
    let first = translateTimestampSince(e.firstTimestamp, now);
    if (!e.firstTimestamp) first = micro(e.eventTime);
    let last = translateTimestampSince(e.lastTimestamp, now);
    if (!e.lastTimestamp) last = first;
    let count = e.count ?? 0;
    if (e.series) {
      last = micro(e.series.lastObservedTime);
      count = e.series.count ?? 0;
    } else if (count === 0) count = 1;
    const io = e.involvedObject ?? {};
    const target = io.name ? `${(io.kind ?? '').toLowerCase()}/${io.name}` : (io.kind ?? '').toLowerCase();
    const message = (e.message ?? '').trim();
    if (!wide) return [last, e.type ?? '', e.reason ?? '', target, message];
    const component = e.source?.component || e.reportingComponent || '';
    const instance = e.source?.host || e.reportingInstance || '';
    const source = instance ? `${component}, ${instance}` : component;
    return [last, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', source, message, first, count, e.metadata?.name ?? ''];
  },
};

const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  cells: (obj, now) => [obj.metadata?.name ?? '', (obj as unknown as Namespace).status?.phase ?? '', age(obj, now)],
};

const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'Data contains the configuration data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.'), AGE],
  cells(obj, now) {
    const cm = obj as unknown as ConfigMap;
    return [cm.metadata?.name ?? '', Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
  },
};

const secretPrinter: Printer = {
  columns: [NAME, col('Type', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'), col('Data', 'Data contains the secret data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4'), AGE],
  cells(obj, now) {
    const s = obj as unknown as Secret;
    return [s.metadata?.name ?? '', s.type ?? '', Object.keys(s.data ?? {}).length, age(obj, now)];
  },
};

const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret'), AGE],
  cells: (obj, now) => [obj.metadata?.name ?? '', (obj as unknown as ServiceAccount).secrets?.length ?? 0, age(obj, now)],
};

const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.'), AGE],
  cells: (obj, now) => [obj.metadata?.name ?? '', (obj as unknown as Lease).spec?.holderIdentity ?? '', age(obj, now)],
};

const CONTAINERS_COL = col('Containers', 'Names of each container in the template.', { priority: 1 });
const IMAGES_COL = col('Images', 'Images referenced by each container in the template.', { priority: 1 });

const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#what-is-a-replicaset', { type: 'integer' }),
    col('Current', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#what-is-a-replicaset', { type: 'integer' }),
    col('Ready', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', { type: 'integer' }),
    AGE, CONTAINERS_COL, IMAGES_COL,
    col('Selector', 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', { priority: 1 }),
  ],
  cells(obj, now, wide) {
    const rs = obj as unknown as ReplicaSet;
    const cells: unknown[] = [rs.metadata?.name ?? '', rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, age(obj, now)];
    if (wide) cells.push(...containerCells(rs.spec?.template), selectorText(rs.spec?.selector));
    return cells;
  },
};

const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE, CONTAINERS_COL, IMAGES_COL,
    col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.', { priority: 1 }),
  ],
  cells(obj, now, wide) {
    const d = obj as unknown as Deployment;
    const cells: unknown[] = [d.metadata?.name ?? '', `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0, age(obj, now)];
    if (wide) cells.push(...containerCells(d.spec?.template), selectorText(d.spec?.selector));
    return cells;
  },
};

const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    col('Min Available', 'The minimum number or percentage of available pods this budget requires.'),
    col('Max Unavailable', 'The maximum number or percentage of unavailable pods this budget requires.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }),
    AGE,
  ],
  cells(obj, now) {
    const pdb = obj as unknown as PodDisruptionBudget;
    const text = (v: IntOrString | undefined) => (v === undefined || v === null ? 'N/A' : String(v));
    return [pdb.metadata?.name ?? '', text(pdb.spec?.minAvailable), text(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, age(obj, now)];
  },
};

const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS_COL, IMAGES_COL],
  cells(obj, now, wide) {
    const sts = obj as unknown as StatefulSet;
    const cells: unknown[] = [sts.metadata?.name ?? '', `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, age(obj, now)];
    if (wide) cells.push(...containerCells(sts.spec?.template));
    return cells;
  },
};

/** rest.NewDefaultTableConvertor: Name and Created At. */
const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', { type: 'date' })],
  cells: (obj) => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''],
};

const PRINTERS: Record<string, Printer> = {
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/events': eventPrinter,
  'events.k8s.io/events': eventPrinter,
  '/namespaces': namespacePrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/deployments': deploymentPrinter,
  'policy/poddisruptionbudgets': podDisruptionBudgetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  ...storagePrinters(col, NAME, AGE, age),
  ...schedulingPrinters(col, NAME, AGE, age),
  ...quotaPrinters(col, NAME, AGE, age, AGE_DESC),
  ...rbacPrinters(col, NAME, AGE, age),
  ...admissionPrinters(col, NAME, AGE, age),
  ...certificatePrinters(col, NAME, AGE, age),
  ...servicePrinters(col, NAME, AGE, age),
  ...batchPrinters(col, NAME, AGE, age, selectorText),
  ...daemonSetPrinters(col, NAME, AGE, age, containerCells, selectorText),
  ...autoscalingPrinters(col, NAME, AGE, age),
};

function printerFor(resource: ResourceRef): Printer {
  const info = toResourceInfo(resource);
  const custom = info.custom;
  if (custom) {
    return { columns: customColumnDefinitions(custom.printerColumns), cells: (o, now) => customColumnCells(custom.printerColumns, o, now) };
  }
  return PRINTERS[`${info.group}/${info.plural}`] ?? defaultPrinter;
}

/** events.k8s.io/v1 objects printed with the core event printer: map the renamed fields. */
function eventsV1AsCore(obj: KubeObject): KubeObject {
  if (obj.apiVersion !== 'events.k8s.io/v1') return obj;
  const e = obj as Record<string, unknown> & KubeObject;
  return {
    ...e,
    involvedObject: e.regarding,
    message: e.note,
    count: e.deprecatedCount,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    source: e.deprecatedSource,
    reportingComponent: e.reportingController,
  };
}

/** The column definitions of a resource's table (wide ones included). */
export function tableColumns(resource: ResourceRef): TableColumnDefinition[] {
  return printerFor(resource).columns.map((c) => ({ ...c }));
}

/** One Table row for one object. */
export function tableRow(resource: ResourceRef, obj: object, opts: PrintOptions = {}): TableRow {
  const p = printerFor(resource);
  const o = eventsV1AsCore(obj as KubeObject);
  const now = opts.now ?? Date.now();
  const row: TableRow = { cells: p.cells(o, now, opts.wide ?? true) };
  const conditions = p.conditions?.(o);
  if (conditions) row.conditions = conditions;
  const include = opts.includeObject ?? 'Metadata';
  if (include === 'Object') row.object = obj as KubeObject;
  else if (include === 'Metadata') {
    const meta: PartialObjectMetadata = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: (obj as KubeObject).metadata ?? {} };
    row.object = meta;
  }
  return row;
}

/** A meta.k8s.io/v1 Table for the given objects, as `kubectl get` receives it. */
export function printTable(resource: ResourceRef, objects: readonly object[], opts: PrintOptions = {}): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...(opts.listMeta ?? {}) },
    columnDefinitions: opts.noHeaders ? [] : tableColumns(resource),
    rows: objects.map((o) => tableRow(resource, o, opts)),
  };
}
