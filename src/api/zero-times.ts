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
 * Value (non-pointer) structs on the way to a zero time, created when absent: Go always has them, so their
 * zero times are always served. Only an embedded ObjectMeta can be missing from a valid object (a template
 * written without metadata is served as `metadata: {creationTimestamp: null}`); the other value structs on
 * such paths are required (a Deployment's template) or hold only pointers to the structs with times (a
 * container's `state` to `running`), and an Event's `series` is a pointer.
 */
const VALUE_STRUCTS = new Set([OBJECT_META]);

/** What to do at one type: its zero times, and the fields that lead to more. */
interface Plan {
  times: readonly string[];
  children: Child[];
}

interface Child {
  field: string;
  /** The field holds one value of the type, a list of them, or a string-keyed map of them. */
  shape: 'one' | 'list' | 'map';
  /** A Go value struct, so present whenever its parent is (created when absent). */
  value: boolean;
  plan: Plan;
}

/** The schema type a field ref names (`[]v1.PodCondition` → `v1.PodCondition`), or undefined for scalars. */
function typeOf(ref: string): string | undefined {
  const t = ref.replace(/^(\[\]|\{\})+/, '');
  return SCHEMA_TYPES[t] ? t : undefined;
}

/**
 * One plan per type that holds a zero time or leads to one, built once and linked: the walk then visits
 * only the branches where such a field can be (a pod's conditions and container states, not its whole spec).
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
  for (const type of reaches) out.set(type, { times: ZERO_TIME_FIELDS[type] ?? [], children: [] });
  for (const [type, plan] of out) {
    for (const [field, ref] of Object.entries(SCHEMA_TYPES[type] ?? {})) {
      const child = out.get(typeOf(ref) ?? '');
      if (!child) continue;
      // Nested lists or maps (`[][]T`) do not occur on the way to a time.
      const shape = ref.startsWith('[]') ? 'list' : ref.startsWith('{}') ? 'map' : 'one';
      plan.children.push({ field, shape, value: shape === 'one' && VALUE_STRUCTS.has(ref), plan: child });
    }
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fill(value: Record<string, unknown>, plan: Plan): void {
  for (const f of plan.times) if (value[f] === undefined) value[f] = null;
  for (const c of plan.children) {
    let v = value[c.field];
    if (v == null) {
      if (!c.value) continue;
      v = value[c.field] = {};
    }
    if (c.shape === 'one') {
      if (isMap(v)) fill(v, c.plan);
    } else if (c.shape === 'list') {
      if (Array.isArray(v)) for (const item of v) if (isMap(item)) fill(item, c.plan);
    } else if (isMap(v)) {
      for (const item of Object.values(v)) if (isMap(item)) fill(item, c.plan);
    }
  }
}

let plans: Map<string, Plan> | undefined;
/** Each resource's root plan (null: nothing to do), looked up once: this runs on every write. */
const roots = new WeakMap<object, Plan | null>();

function rootPlan(info: ReturnType<typeof toResourceInfo>): Plan | null {
  let root = roots.get(info);
  if (root === undefined) {
    plans ??= buildPlans();
    root = info.custom ? null : (plans.get(SCHEMA_ROOTS[`${info.groupVersion}/${info.kind}`] ?? '') ?? null);
    roots.set(info, root);
  }
  return root;
}

/**
 * Sets each absent non-pointer timestamp of a built-in object to null, as the real API server stores and
 * serves it (mutates `obj`). Idempotent; a no-op for custom resources and kinds without a schema.
 */
export function setZeroTimes(resource: ResourceRef, obj: object): void {
  const root = rootPlan(toResourceInfo(resource));
  if (root && isMap(obj)) fill(obj, root);
}
