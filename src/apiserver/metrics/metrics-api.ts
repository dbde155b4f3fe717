/**
 * `metrics.k8s.io/v1beta1`, served by the API server itself (what metrics-server serves through aggregation):
 * `nodes` (NodeMetrics) and `pods` (PodMetrics, namespaced or across namespaces), get and list with label
 * selectors, read only. Figures come from the kubelets' summaries (kubelet-summary.ts): CPU is the kubelet's
 * `usageNanoCores`, memory the working set; an object whose figures are not there yet (no CPU rate before the
 * second sample, kubelet unreachable) is left out of lists and NotFound on get, as metrics-server does.
 * Discovery for the group is `metricsGroupDiscovery` and friends, merged into /apis by the server.
 */
import type { ServerResponse } from 'node:http';
import type { Node, Pod } from '../../api/index.ts';
import { labelSelectorMatches, parseLabelSelector } from '../../api/selectors/index.ts';
import { sendJson } from '../http.ts';
import { badRequest, methodNotAllowed, notFound } from '../status.ts';
import { formatBytes, formatDuration, formatNanoCores } from './quantity.ts';
import type { Scrape, SummaryScraper } from './kubelet-summary.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
const VERBS = ['get', 'list'];

export function metricsResourceList(): unknown {
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: API_VERSION,
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: VERBS },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: VERBS },
    ],
  };
}

export function metricsApiGroup(): { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } } {
  const v = { groupVersion: API_VERSION, version: METRICS_VERSION };
  return { name: METRICS_GROUP, versions: [v], preferredVersion: v };
}

/** The group in aggregated discovery (apidiscovery v2/v2beta1). */
export function metricsGroupDiscovery(): unknown {
  const resource = (resource: string, kind: string, scope: 'Cluster' | 'Namespaced') => ({
    resource, responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind }, scope, singularResource: '', verbs: VERBS,
  });
  return {
    metadata: { name: METRICS_GROUP, creationTimestamp: null },
    versions: [{ version: METRICS_VERSION, freshness: 'Current', resources: [resource('nodes', 'NodeMetrics', 'Cluster'), resource('pods', 'PodMetrics', 'Namespaced')] }],
  };
}

export interface MetricsRequest {
  method: string;
  /** The request's verb (get, list, watch, ...). */
  verb: string;
  resource: string;
  namespace: string;
  name: string;
  subresource: string;
  query: URLSearchParams;
}

export interface MetricsDeps {
  nodes: () => Node[];
  pods: () => Pod[];
  scraper: SummaryScraper;
}

function meta(obj: Node | Pod, time: string): Record<string, unknown> {
  return {
    name: obj.metadata?.name,
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    creationTimestamp: time,
    ...(obj.metadata?.labels ? { labels: obj.metadata.labels } : {}),
  };
}

function selector(q: URLSearchParams): (labels: Record<string, string> | undefined) => boolean {
  const text = q.get('labelSelector') ?? '';
  if (!text) return () => true;
  let parsed;
  try {
    parsed = parseLabelSelector(text);
  } catch (err) {
    throw badRequest(`unable to parse requirement: ${(err as Error).message}`);
  }
  return (labels) => labelSelectorMatches(parsed, labels);
}

function nodeMetrics(node: Node, s: Scrape, now: string): unknown | undefined {
  const cpu = s.summary.node.cpu;
  const mem = s.summary.node.memory;
  if (cpu?.usageNanoCores === undefined || mem?.workingSetBytes === undefined) return undefined;
  return {
    kind: 'NodeMetrics', apiVersion: API_VERSION, metadata: meta(node, now), timestamp: cpu.time, window: formatDuration(s.windowMs),
    usage: { cpu: formatNanoCores(cpu.usageNanoCores), memory: formatBytes(mem.workingSetBytes) },
  };
}

function podMetrics(pod: Pod, s: Scrape, now: string): unknown | undefined {
  const stats = s.summary.pods.find((p) => p.podRef.uid === pod.metadata?.uid);
  if (!stats || stats.containers.length === 0) return undefined;
  const containers = [];
  let timestamp = '';
  for (const c of stats.containers) {
    if (c.cpu?.usageNanoCores === undefined || c.memory?.workingSetBytes === undefined) return undefined;
    timestamp ||= c.cpu.time;
    containers.push({ name: c.name, usage: { cpu: formatNanoCores(c.cpu.usageNanoCores), memory: formatBytes(c.memory.workingSetBytes) } });
  }
  return { kind: 'PodMetrics', apiVersion: API_VERSION, metadata: meta(pod, now), timestamp, window: formatDuration(s.windowMs), containers };
}

export async function handleMetrics(r: MetricsRequest, res: ServerResponse, deps: MetricsDeps, nowIso: string): Promise<void> {
  if (r.method !== 'GET' || r.subresource || (r.resource !== 'nodes' && r.resource !== 'pods') || (r.resource === 'nodes' && r.namespace)) {
    throw methodNotAllowed(r.method, { group: METRICS_GROUP, resource: r.resource });
  }
  if (r.verb === 'watch') throw methodNotAllowed('watch', { group: METRICS_GROUP, resource: r.resource });
  const matches = selector(r.query);
  const nodes = deps.nodes();
  const scrapes = new Map<string, Scrape | undefined>();
  const scrapeOf = async (nodeName: string | undefined): Promise<Scrape | undefined> => {
    if (!nodeName) return undefined;
    if (!scrapes.has(nodeName)) {
      const node = nodes.find((n) => n.metadata?.name === nodeName);
      scrapes.set(nodeName, node ? await deps.scraper.scrape(node).catch(() => undefined) : undefined);
    }
    return scrapes.get(nodeName);
  };
  if (r.resource === 'nodes') {
    const candidates = nodes.filter((n) => (r.name ? n.metadata?.name === r.name : matches(n.metadata?.labels)));
    const items = [];
    for (const n of candidates) {
      const s = await scrapeOf(n.metadata?.name);
      const m = s && nodeMetrics(n, s, nowIso);
      if (m) items.push(m);
    }
    if (r.name) {
      if (!items[0]) throw notFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, r.name);
      return sendJson(res, 200, items[0]);
    }
    return sendJson(res, 200, { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: {}, items });
  }
  const candidates = deps.pods().filter((p) =>
    (!r.namespace || p.metadata?.namespace === r.namespace) &&
    (r.name ? p.metadata?.name === r.name : matches(p.metadata?.labels)) &&
    p.status?.phase === 'Running');
  const items = [];
  for (const p of candidates) {
    const s = await scrapeOf(p.spec?.nodeName);
    const m = s && podMetrics(p, s, nowIso);
    if (m) items.push(m);
  }
  if (r.name) {
    if (!items[0]) throw notFound({ group: METRICS_GROUP, resource: 'podmetrics' }, r.name);
    return sendJson(res, 200, items[0]);
  }
  return sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items });
}
