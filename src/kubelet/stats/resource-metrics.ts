/**
 * The kubelet's `/metrics/resource` (upstream pkg/kubelet/metrics/collectors/resource_metrics.go): the
 * Summary's CPU and memory figures in Prometheus text format, with upstream's names, help texts (the stability
 * level in brackets, as component-base writes it), labels and sample timestamps (the time of the figure, in
 * ms; container_start_time_seconds has none). Families come sorted by name and labels within a sample by name,
 * as client_golang renders them; a family without samples is left out. Values are printed as Go's
 * strconv 'g' (shortest) does: 1.2e+07, not 12000000. `scrape_error` (deprecated in 1.29) is hidden in 1.32,
 * so only `resource_scrape_error` is written. Swap figures are not in kubeling's Summary, so the swap families
 * never have samples.
 */
import type { Summary } from './summary.ts';

export const RESOURCE_METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels: Record<string, string>; value: number; atMs?: number }[];
}

/** A number as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  // Shortest 'g' switches to the exponent form outside [1e-4, 1e6); JS's own switch is at 1e-7 and 1e21.
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function renderResourceMetrics(summary: Summary | undefined): string {
  const families: Record<string, Family> = {
    container_cpu_usage_seconds_total: { help: '[STABLE] Cumulative cpu time consumed by the container in core-seconds', type: 'counter', samples: [] },
    container_memory_working_set_bytes: { help: '[STABLE] Current working set of the container in bytes', type: 'gauge', samples: [] },
    container_start_time_seconds: { help: '[STABLE] Start time of the container since unix epoch in seconds', type: 'gauge', samples: [] },
    node_cpu_usage_seconds_total: { help: '[STABLE] Cumulative cpu time consumed by the node in core-seconds', type: 'counter', samples: [] },
    node_memory_working_set_bytes: { help: '[STABLE] Current working set of the node in bytes', type: 'gauge', samples: [] },
    pod_cpu_usage_seconds_total: { help: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', type: 'counter', samples: [] },
    pod_memory_working_set_bytes: { help: '[STABLE] Current working set of the pod in bytes', type: 'gauge', samples: [] },
    resource_scrape_error: { help: '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', type: 'gauge', samples: [] },
  };
  const add = (name: string, labels: Record<string, string>, value: number | undefined, time?: string) => {
    if (value === undefined) return;
    families[name]!.samples.push({ labels, value, ...(time ? { atMs: Date.parse(time) } : {}) });
  };
  families.resource_scrape_error!.samples.push({ labels: {}, value: summary ? 0 : 1 });
  if (summary) {
    const n = summary.node;
    add('node_cpu_usage_seconds_total', {}, n.cpu?.usageCoreNanoSeconds !== undefined ? n.cpu.usageCoreNanoSeconds / 1e9 : undefined, n.cpu?.time);
    add('node_memory_working_set_bytes', {}, n.memory?.workingSetBytes, n.memory?.time);
    for (const p of summary.pods) {
      const pod = { namespace: p.podRef.namespace, pod: p.podRef.name };
      for (const c of p.containers) {
        const labels = { container: c.name, ...pod };
        const started = c.startTime ? Date.parse(c.startTime) : NaN;
        if (started > 0) add('container_start_time_seconds', labels, started / 1000);
        add('container_cpu_usage_seconds_total', labels, c.cpu?.usageCoreNanoSeconds !== undefined ? c.cpu.usageCoreNanoSeconds / 1e9 : undefined, c.cpu?.time);
        add('container_memory_working_set_bytes', labels, c.memory?.workingSetBytes, c.memory?.time);
      }
      add('pod_cpu_usage_seconds_total', pod, p.cpu?.usageCoreNanoSeconds !== undefined ? p.cpu.usageCoreNanoSeconds / 1e9 : undefined, p.cpu?.time);
      add('pod_memory_working_set_bytes', pod, p.memory?.workingSetBytes, p.memory?.time);
    }
  }
  const lines: string[] = [];
  for (const name of Object.keys(families).sort()) {
    const f = families[name]!;
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
    // Samples ordered by their label values in label-name order, as client_golang normalizes a family.
    const rows = f.samples.map((s) => {
      const keys = Object.keys(s.labels).sort();
      return {
        order: keys.map((k) => s.labels[k]!).join('\u0000'),
        text: `${name}${keys.length ? `{${keys.map((k) => `${k}="${escapeLabel(s.labels[k]!)}"`).join(',')}}` : ''} ${goFloat(s.value)}${s.atMs !== undefined ? ` ${s.atMs}` : ''}`,
      };
    });
    rows.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const r of rows) lines.push(r.text);
  }
  return `${lines.join('\n')}\n`;
}
