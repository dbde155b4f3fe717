/**
 * Zero timestamps as upstream serializes them: `null`, not absent.
 *
 * Many of Kubernetes' timestamps are non-pointer `metav1.Time` / `metav1.MicroTime` fields tagged
 * `json:",omitempty"`. Go's omitempty never omits a struct, and a zero Time marshals as `null`, so what the
 * real API server stores and serves carries explicit nulls (`lastProbeTime: null` on a pod's conditions,
 * `eventTime: null` on a core/v1 Event, `creationTimestamp: null` in a Deployment's pod template) that users
 * see in `kubectl get -o yaml`. A JSON null in a request (a strategic merge patch's `lastProbeTime: null`,
 * which deletes the field) ends up the same way: decoded to the zero Time and written back as null.
 *
 * `setZeroTimes` gives a built-in object that shape: every such field that is absent becomes null. Pointer
 * times (`*metav1.Time`: deletionTimestamp, status.startTime, a taint's timeAdded, a lease's renewTime, ...)
 * are omitted when nil and stay absent. The fields are listed below by Go type, as Kubernetes 1.32's
 * k8s.io/api, apimachinery and apiextensions-apiserver declare them; where they sit in each kind comes from
 * the generated schema, so a field is found wherever its type is used (a PersistentVolumeClaim's conditions
 * in a StatefulSet's volumeClaimTemplates too). Custom resources are unstructured upstream and keep what
 * they were given.
 */
import { SCHEMA_ROOTS, SCHEMA_TYPES } from './schema/schema.generated.ts';
import { toResourceInfo, type ResourceRef } from './resources.ts';

const OBJECT_META = 'meta:apis.meta.v1.ObjectMeta';

/** Non-pointer metav1.Time and metav1.MicroTime fields, by schema type (Go struct). */
const ZERO_TIME_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // An embedded ObjectMeta is set by the server at the top of an object; in a template (a Deployment's
  // spec.template, a CronJob's jobTemplate, a StatefulSet's volumeClaimTemplates) it is zero.
  [OBJECT_META]: ['creationTimestamp'],
  'meta:apis.meta.v1.Condition': ['lastTransitionTime'],
  'v1.PodCondition': ['lastProbeTime', 'lastTransitionTime'],
  'v1.ContainerStateRunning': ['startedAt'],
  'v1.ContainerStateTerminated': ['startedAt', 'finishedAt'],
  'v1.NodeCondition': ['lastHeartbeatTime', 'lastTransitionTime'],
  'v1.NamespaceCondition': ['lastTransitionTime'],
  'v1.PersistentVolumeClaimCondition': ['lastProbeTime', 'lastTransitionTime'],
  'v1.ReplicationControllerCondition': ['lastTransitionTime'],
  'v1.Event': ['firstTimestamp', 'lastTimestamp', 'eventTime'],
  'v1.EventSeries': ['lastObservedTime'],
  'events.k8s.io.v1.Event': ['eventTime', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp'],
  'events.k8s.io.v1.EventSeries': ['lastObservedTime'],
  'apps.v1.DeploymentCondition': ['lastUpdateTime', 'lastTransitionTime'],
  'apps.v1.ReplicaSetCondition': ['lastTransitionTime'],
  'apps.v1.StatefulSetCondition': ['lastTransitionTime'],
  'apps.v1.DaemonSetCondition': ['lastTransitionTime'],
  'batch.v1.JobCondition': ['lastProbeTime', 'lastTransitionTime'],
  'autoscaling.v2.HorizontalPodAutoscalerCondition': ['lastTransitionTime'],
  'certificates.k8s.io.v1.CertificateSigningRequestCondition': ['lastUpdateTime', 'lastTransitionTime'],
  'apiextensions.k8s.io.v1.CustomResourceDefinitionCondition': ['lastTransitionTime'],
};

/**
 * Struct fields that are values, not pointers, in Go, so present whenever their parent is: an embedded
 * ObjectMeta (a template without metadata is served as `metadata: {creationTimestamp: null}`). Other struct
 * fields on the way to a zero time (a container's `state.running`, an Event's `series`) are pointers.
 */
const VALUE_STRUCTS = new Set([OBJECT_META]);

/** What to do at one type: its zero times, and the fields (with their schema refs) that lead to more. */
interface Plan {
  times: readonly string[];
  children: [field: string, ref: string][];
}

/** The schema type a field ref names (`[]v1.PodCondition` → `v1.PodCondition`), or undefined for scalars. */
function typeOf(ref: string): string | undefined {
  const t = ref.replace(/^(\[\]|\{\})+/, '');
  return SCHEMA_TYPES[t] ? t : undefined;
}

let plans: Map<string, Plan> | undefined;

/**
 * One plan per type that holds a zero time or leads to one, built once: the walk then visits only the
 * branches where such a field can be (a pod's conditions and container states, not its whole spec).
 */
function buildPlans(): Map<string, Plan> {
  const reaches = new Set(Object.keys(ZERO_TIME_FIELDS));
  // Fixed point over the schema graph (it has cycles: JSONSchemaProps).
  for (let changed = true; changed; ) {
    changed = false;
    for (const [type, fields] of Object.entries(SCHEMA_TYPES)) {
      if (reaches.has(type)) continue;
      if (Object.values(fields).some((ref) => reaches.has(typeOf(ref) ?? ''))) {
        reaches.add(type);
        changed = true;
      }
    }
  }
  const out = new Map<string, Plan>();
  for (const type of reaches) {
    const fields = SCHEMA_TYPES[type] ?? {};
    const children = Object.entries(fields).filter(([, ref]) => reaches.has(typeOf(ref) ?? ''));
    out.set(type, { times: ZERO_TIME_FIELDS[type] ?? [], children });
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fill(value: unknown, ref: string, plans: Map<string, Plan>): void {
  if (ref.startsWith('[]')) {
    if (Array.isArray(value)) for (const v of value) fill(v, ref.slice(2), plans);
    return;
  }
  if (ref.startsWith('{}')) {
    if (isMap(value)) for (const v of Object.values(value)) fill(v, ref.slice(2), plans);
    return;
  }
  const plan = plans.get(ref);
  if (!plan || !isMap(value)) return;
  for (const f of plan.times) if (value[f] === undefined) value[f] = null;
  for (const [f, childRef] of plan.children) {
    if (value[f] == null && VALUE_STRUCTS.has(childRef)) value[f] = {};
    fill(value[f], childRef, plans);
  }
}

/**
 * Sets each absent non-pointer timestamp of a built-in object to null, as the real API server stores and
 * serves it (mutates `obj`). Idempotent; a no-op for custom resources and kinds without a schema.
 */
export function setZeroTimes(resource: ResourceRef, obj: object): void {
  const info = toResourceInfo(resource);
  if (info.custom) return;
  const root = SCHEMA_ROOTS[`${info.groupVersion}/${info.kind}`];
  if (!root) return;
  plans ??= buildPlans();
  fill(obj, root, plans);
}
