/**
 * `kubeling why`: fetches what the cluster knows about one object (the object, its events, its node, the
 * nodes and pods a Pending pod competes for, a Deployment's ReplicaSets and pods) and prints the answer
 * the explain-* modules build: the sentence first, the evidence beneath, or the pod's timeline.
 */
import type { CronJob, DaemonSet, Deployment, EndpointSlice, Event, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet, Service, StatefulSet } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import { isNotFound } from '../../client/index.ts';
import type { Answer } from './answer.ts';
import { explainCronJob, lastJob } from './explain-cronjob.ts';
import { daemonSetPodToExplain, explainDaemonSet } from './explain-daemonset.ts';
import { explainDeployment, podToExplain } from './explain-deployment.ts';
import { explainJob, jobPodToExplain } from './explain-job.ts';
import { explainNode } from './explain-node.ts';
import { explainPod } from './explain-pod.ts';
import { explainReplicaSet, replicaSetPodToExplain } from './explain-replicaset.ts';
import { explainService, servicePodToExplain } from './explain-service.ts';
import { explainStatefulSet, statefulSetPodToExplain } from './explain-statefulset.ts';
import { ownedBy } from './owned.ts';
import { buildTimeline, formatTimeline, type TimelineStep } from './timeline.ts';
import { fetchKubeletTimeline, mergeTimeline } from './kubelet-timeline.ts';

export type WhyKind = 'pod' | 'deployment' | 'node' | 'statefulset' | 'daemonset' | 'replicaset' | 'job' | 'cronjob' | 'service';

/** The kinds, as `why` names them in its usage and errors. */
export const WHY_KINDS: readonly WhyKind[] = ['pod', 'deployment', 'statefulset', 'daemonset', 'replicaset', 'job', 'cronjob', 'service', 'node'];

export interface WhyRequest {
  kind: WhyKind;
  name: string;
  namespace: string;
  timeline: boolean;
}

/** kubectl's names for each kind: singular, plural, short names, and `plural.group` / `singular.group`. */
const NAMES: Record<WhyKind, { group: string; plural: string; short: string[] }> = {
  pod: { group: '', plural: 'pods', short: ['po'] },
  node: { group: '', plural: 'nodes', short: ['no'] },
  service: { group: '', plural: 'services', short: ['svc'] },
  deployment: { group: 'apps', plural: 'deployments', short: ['deploy'] },
  statefulset: { group: 'apps', plural: 'statefulsets', short: ['sts'] },
  daemonset: { group: 'apps', plural: 'daemonsets', short: ['ds'] },
  replicaset: { group: 'apps', plural: 'replicasets', short: ['rs'] },
  job: { group: 'batch', plural: 'jobs', short: [] },
  cronjob: { group: 'batch', plural: 'cronjobs', short: ['cj'] },
};

const KINDS: Record<string, WhyKind> = Object.fromEntries(
  Object.entries(NAMES).flatMap(([kind, n]) => {
    const names = [kind, n.plural, ...n.short, ...(n.group ? [`${kind}.${n.group}`, `${n.plural}.${n.group}`] : [])];
    return names.map((w) => [w, kind as WhyKind]);
  }),
);

/** `pod/x`, `deploy/x`, `node x`...: the kind and name, or an error message. */
export function parseTarget(words: readonly string[]): { kind: WhyKind; name: string } | string {
  const [first, second, ...rest] = words;
  if (!first) return `which object? (want KIND/NAME, KIND one of ${WHY_KINDS.join(', ')})`;
  const [kindWord, name] = first.includes('/') ? [first.slice(0, first.indexOf('/')), first.slice(first.indexOf('/') + 1)] : [first, second];
  const extra = first.includes('/') ? [second, ...rest].filter((w) => w !== undefined) : rest;
  const kind = KINDS[kindWord!.toLowerCase()];
  if (!kind) return `cannot explain ${JSON.stringify(kindWord)} (want ${WHY_KINDS.slice(0, -1).join(', ')} or ${WHY_KINDS.at(-1)})`;
  if (!name) return `which ${kind}? (want ${kind}/NAME)`;
  if (extra.length) return `one object at a time (got ${JSON.stringify(extra.join(' '))} as well)`;
  return { kind, name };
}

/** Events about one object (of this incarnation when `uid` is given); the dashboard asks the same. */
export async function eventsAbout(client: Client, namespace: string | undefined, kind: string, name: string, uid?: string): Promise<Event[]> {
  const list = await client.resource<Event>('events', namespace).list({ fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
  // A deleted object's successor of the same name must not inherit its events.
  return list.items.filter((e) => !uid || !e.involvedObject?.uid || e.involvedObject.uid === uid);
}

async function getOrUndefined<T>(get: Promise<T>): Promise<T | undefined> {
  try {
    return await get;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The answer for one pod, with what it needs fetched (its node, or every node for a Pending pod). */
export async function podAnswer(client: Client, pod: Pod, now: () => number): Promise<Answer> {
  const ns = pod.metadata?.namespace ?? 'default';
  const events = await eventsAbout(client, ns, 'Pod', pod.metadata?.name ?? '', pod.metadata?.uid);
  if (pod.spec?.nodeName) {
    const node = await getOrUndefined(client.resource<Node>('nodes').get(pod.spec.nodeName));
    return explainPod({ pod, events, node, now: now() });
  }
  const [nodes, pods] = await Promise.all([client.resource<Node>('nodes').list(), client.resource<Pod>('pods').list()]);
  return explainPod({ pod, events, nodes: nodes.items, pods: pods.items.filter((p) => p.spec?.nodeName), now: now() });
}

/** Answers `req`: the lines to print (throws the client's ApiError, e.g. NotFound, for the caller to report). */
export async function why(client: Client, req: WhyRequest, now: () => number = Date.now): Promise<string[]> {
  if (req.timeline) {
    if (req.kind !== 'pod') throw new WhyUsageError('--timeline is for pods (want pod/NAME)');
    const pod = await client.resource<Pod>('pods', req.namespace).get(req.name);
    const { steps, recordedBy } = await podTimeline(client, pod);
    const header = recordedBy !== undefined
      ? `pod/${req.name} timeline (kubelet record from node ${recordedBy}, ms times):`
      : `pod/${req.name} timeline (${pod.spec?.nodeName ? 'node unreachable or no record: ' : ''}rebuilt from events and conditions, whole seconds):`;
    return [header, ...formatTimeline(pod, steps).map((l) => `  ${l}`)];
  }
  return render(await explain(client, req, now));
}

/**
 * A pod's timeline: the kubelet's record (ms times) merged with what the API keeps while the pod's node answers
 * and still has it (`recordedBy` names that node); otherwise rebuilt from events and conditions (whole seconds).
 */
export async function podTimeline(client: Client, pod: Pod): Promise<{ steps: TimelineStep[]; recordedBy?: string }> {
  const [events, record] = await Promise.all([
    eventsAbout(client, pod.metadata?.namespace ?? 'default', 'Pod', pod.metadata?.name ?? '', pod.metadata?.uid),
    fetchKubeletTimeline(client, pod),
  ]);
  if (!record) return { steps: buildTimeline(pod, events) };
  return { steps: mergeTimeline(pod, events, record), recordedBy: record.node ?? pod.spec?.nodeName ?? '' };
}

/** The answer for one object, as a value (the dashboard shows it beside the object; `why` prints it). */
export async function explain(client: Client, req: Omit<WhyRequest, 'timeline'>, now: () => number = Date.now): Promise<Answer> {
  if (req.kind === 'pod') return podAnswer(client, await client.resource<Pod>('pods', req.namespace).get(req.name), now);
  if (req.kind === 'node') {
    const node = await client.resource<Node>('nodes').get(req.name);
    const [events, pods] = await Promise.all([
      eventsAbout(client, undefined, 'Node', req.name),
      client.resource<Pod>('pods').list({ fieldSelector: `spec.nodeName=${req.name}` }),
    ]);
    return explainNode({ node, events, podCount: pods.items.length, now: now() });
  }
  return explainWorkload(client, req, now);
}

/** The pod answer for `pod`, or undefined when there is no pod to explain. */
async function maybePodAnswer(client: Client, pod: Pod | undefined, now: () => number): Promise<Answer | undefined> {
  return pod ? podAnswer(client, pod, now) : undefined;
}

/** The namespaced kinds: the object, its events, what it owns, and the answer for the pod that holds it. */
async function explainWorkload(client: Client, req: Omit<WhyRequest, 'timeline'>, now: () => number): Promise<Answer> {
  const ns = req.namespace;
  const pods = () => client.resource<Pod>('pods', ns).list().then((l) => l.items);
  const events = (kind: string, uid: string | undefined) => eventsAbout(client, ns, kind, req.name, uid);
  switch (req.kind) {
    case 'deployment': {
      const deployment = await client.resource<Deployment>('deployments', ns).get(req.name);
      const [evs, replicaSets, all] = await Promise.all([events('Deployment', deployment.metadata?.uid), client.resource<ReplicaSet>('replicasets', ns).list(), pods()]);
      const answer = await maybePodAnswer(client, podToExplain(deployment, replicaSets.items, all), now);
      return explainDeployment({ deployment, events: evs, podAnswer: answer, now: now() });
    }
    case 'replicaset': {
      const replicaSet = await client.resource<ReplicaSet>('replicasets', ns).get(req.name);
      const [evs, all] = await Promise.all([events('ReplicaSet', replicaSet.metadata?.uid), pods()]);
      const answer = await maybePodAnswer(client, replicaSetPodToExplain(replicaSet, all), now);
      return explainReplicaSet({ replicaSet, events: evs, podAnswer: answer, now: now() });
    }
    case 'statefulset': {
      const statefulSet = await client.resource<StatefulSet>('statefulsets', ns).get(req.name);
      const [evs, all, claims] = await Promise.all([
        events('StatefulSet', statefulSet.metadata?.uid),
        pods(),
        client.resource<PersistentVolumeClaim>('persistentvolumeclaims', ns).list().then((l) => l.items),
      ]);
      const answer = await maybePodAnswer(client, statefulSetPodToExplain(statefulSet, all), now);
      return explainStatefulSet({ statefulSet, events: evs, pods: all, claims, podAnswer: answer, now: now() });
    }
    case 'daemonset': {
      const daemonSet = await client.resource<DaemonSet>('daemonsets', ns).get(req.name);
      const [evs, all, nodes] = await Promise.all([events('DaemonSet', daemonSet.metadata?.uid), pods(), client.resource<Node>('nodes').list()]);
      const answer = await maybePodAnswer(client, daemonSetPodToExplain(daemonSet, all), now);
      return explainDaemonSet({ daemonSet, events: evs, nodes: nodes.items, pods: all, podAnswer: answer, now: now() });
    }
    case 'job':
      return jobAnswer(client, await client.resource<Job>('jobs', ns).get(req.name), now);
    case 'cronjob': {
      const cronJob = await client.resource<CronJob>('cronjobs', ns).get(req.name);
      const [evs, jobs] = await Promise.all([events('CronJob', cronJob.metadata?.uid), client.resource<Job>('jobs', ns).list()]);
      const job = lastJob(cronJob, jobs.items);
      const answer = job ? await jobAnswer(client, job, now) : undefined;
      return explainCronJob({ cronJob, events: evs, jobAnswer: answer, now: now() });
    }
    case 'service': {
      const service = await client.resource<Service>('services', ns).get(req.name);
      const [evs, all, slices] = await Promise.all([
        events('Service', service.metadata?.uid),
        pods(),
        client.resource<EndpointSlice>('endpointslices', ns).list({ labelSelector: `kubernetes.io/service-name=${req.name}` }),
      ]);
      // Only the slices its own controller keeps for this incarnation (or made by hand, without an owner).
      const mine = slices.items.filter((s) => !s.metadata?.ownerReferences?.length || ownedBy(service.metadata?.uid, [s]).length > 0);
      const answer = await maybePodAnswer(client, servicePodToExplain(service, all), now);
      return explainService({ service, events: evs, slices: mine, pods: all, podAnswer: answer, now: now() });
    }
    default:
      throw new WhyUsageError(`cannot explain ${req.kind}`);
  }
}

/** A Job's answer, with its pod's (the CronJob answer reuses it for its last Job). */
async function jobAnswer(client: Client, job: Job, now: () => number): Promise<Answer> {
  const ns = job.metadata?.namespace ?? 'default';
  const [evs, pods] = await Promise.all([
    eventsAbout(client, ns, 'Job', job.metadata?.name ?? '', job.metadata?.uid),
    client.resource<Pod>('pods', ns).list({ labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}` }),
  ]);
  const answer = await maybePodAnswer(client, jobPodToExplain(job, pods.items), now);
  return explainJob({ job, events: evs, podAnswer: answer, now: now() });
}

export class WhyUsageError extends Error {
  override name = 'WhyUsageError';
}

function render(a: Answer): string[] {
  return [a.sentence, '', 'Evidence:', ...a.evidence.map((l) => `  ${l}`)];
}
