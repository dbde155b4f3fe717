/**
 * The HPA's resource metrics client (metricsclient.resourceMetricsClient): lists PodMetrics of
 * `metrics.k8s.io/v1beta1` for a namespace and selector through the API server (which serves that API
 * itself) and sums each pod's containers' usage of one resource, in milli-units. A pod with a container
 * missing the resource is left out, as upstream does.
 */
import { parseQuantity } from '../../api/index.ts';
import type { Client } from '../../client/index.ts';
import type { PodMetric } from './replica-calculator.ts';

interface PodMetricsList {
  items?: { metadata?: { name?: string }; timestamp?: string; window?: string; containers?: { name: string; usage?: Record<string, string> }[] }[];
}

/** A Go duration as metrics-server writes it (`10s`, `1m0.5s`, `250ms`), in ms. */
export function parseGoDuration(text: string | undefined): number {
  if (!text) return 0;
  let ms = 0;
  for (const m of text.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) {
    const v = Number(m[1]);
    ms += m[2] === 'h' ? v * 3_600_000 : m[2] === 'm' ? v * 60_000 : m[2] === 's' ? v * 1000 : m[2] === 'ms' ? v : v / 1e6;
  }
  return ms;
}

export class ResourceMetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceMetricsError';
  }
}

export async function getResourceMetric(client: Client, resource: string, namespace: string, selector: string, signal?: AbortSignal): Promise<Map<string, PodMetric>> {
  let list: PodMetricsList;
  try {
    list = await client.request<PodMetricsList>({
      method: 'GET', path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`, query: { labelSelector: selector || undefined }, signal,
    });
  } catch (err) {
    throw new ResourceMetricsError(`unable to fetch metrics from resource metrics API: ${err instanceof Error ? err.message : String(err)}`);
  }
  const items = list.items ?? [];
  if (items.length === 0) throw new ResourceMetricsError('no metrics returned from resource metrics API');
  const out = new Map<string, PodMetric>();
  for (const item of items) {
    let sum = 0;
    let complete = (item.containers ?? []).length > 0;
    for (const c of item.containers ?? []) {
      const usage = c.usage?.[resource];
      if (usage === undefined) {
        complete = false;
        break;
      }
      sum += parseQuantity(usage).milliValue();
    }
    if (!complete) continue;
    out.set(item.metadata?.name ?? '', { value: sum, timestampMs: Date.parse(item.timestamp ?? '') || 0, windowMs: parseGoDuration(item.window) });
  }
  return out;
}
