/**
 * `kubeling why`: fetches what the cluster knows about one object (the object, its events, its node, the
 * nodes and pods a Pending pod competes for, a Deployment's ReplicaSets and pods) and prints the answer
 * the explain-* modules build: the sentence first, the evidence beneath, or the pod's timeline.
 */
import type { Deployment, Event, Node, Pod, ReplicaSet } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import { isNotFound } from '../../client/index.ts';
import type { Answer } from './answer.ts';
import { explainDeployment, podToExplain } from './explain-deployment.ts';
import { explainNode } from './explain-node.ts';
import { explainPod } from './explain-pod.ts';
import { buildTimeline, formatTimeline } from './timeline.ts';

export type WhyKind = 'pod' | 'deployment' | 'node';

export interface WhyRequest {
  kind: WhyKind;
  name: string;
  namespace: string;
  timeline: boolean;
}

const KINDS: Record<string, WhyKind> = {
  pod: 'pod', pods: 'pod', po: 'pod',
  deployment: 'deployment', deployments: 'deployment', deploy: 'deployment', 'deployment.apps': 'deployment', 'deployments.apps': 'deployment',
  node: 'node', nodes: 'node', no: 'node',
};

/** `pod/x`, `deploy/x`, `node x`...: the kind and name, or an error message. */
export function parseTarget(words: readonly string[]): { kind: WhyKind; name: string } | string {
  const [first, second, ...rest] = words;
  if (!first) return 'which object? (want pod/NAME, deployment/NAME or node/NAME)';
  const [kindWord, name] = first.includes('/') ? [first.slice(0, first.indexOf('/')), first.slice(first.indexOf('/') + 1)] : [first, second];
  const extra = first.includes('/') ? [second, ...rest].filter((w) => w !== undefined) : rest;
  const kind = KINDS[kindWord!.toLowerCase()];
  if (!kind) return `cannot explain ${JSON.stringify(kindWord)} (want pod, deployment or node)`;
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
    const events = await eventsAbout(client, req.namespace, 'Pod', req.name, pod.metadata?.uid);
    return [`pod/${req.name} timeline:`, ...formatTimeline(pod, buildTimeline(pod, events)).map((l) => `  ${l}`)];
  }
  return render(await explain(client, req, now));
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
  const deployment = await client.resource<Deployment>('deployments', req.namespace).get(req.name);
  const [events, replicaSets, pods] = await Promise.all([
    eventsAbout(client, req.namespace, 'Deployment', req.name, deployment.metadata?.uid),
    client.resource<ReplicaSet>('replicasets', req.namespace).list(),
    client.resource<Pod>('pods', req.namespace).list(),
  ]);
  const pod = podToExplain(deployment, replicaSets.items, pods.items);
  const answer = pod ? await podAnswer(client, pod, now) : undefined;
  return explainDeployment({ deployment, events, podAnswer: answer, now: now() });
}

export class WhyUsageError extends Error {
  override name = 'WhyUsageError';
}

function render(a: Answer): string[] {
  return [a.sentence, '', 'Evidence:', ...a.evidence.map((l) => `  ${l}`)];
}
