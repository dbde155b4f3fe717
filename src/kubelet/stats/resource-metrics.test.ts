import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goFloat, renderResourceMetrics } from './resource-metrics.ts';
import type { Summary } from './summary.ts';

test('numbers as Go writes them with strconv g, shortest', () => {
  assert.equal(goFloat(0), '0');
  assert.equal(goFloat(1), '1');
  assert.equal(goFloat(123456), '123456');
  assert.equal(goFloat(1234567), '1.234567e+06');
  assert.equal(goFloat(12345678), '1.2345678e+07');
  assert.equal(goFloat(1767225600), '1.7672256e+09');
  assert.equal(goFloat(0.5), '0.5');
  assert.equal(goFloat(0.0001), '0.0001');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goFloat(2.345678912), '2.345678912');
});

test('the Summary as upstream /metrics/resource writes it: sorted families and samples, labels, timestamps', () => {
  const t = '2026-01-01T00:00:10Z';
  const ms = Date.parse(t);
  const summary: Summary = {
    node: { nodeName: 'n1', cpu: { time: t, usageCoreNanoSeconds: 104e9 }, memory: { time: t, workingSetBytes: 7000 } },
    pods: [
      {
        podRef: { name: 'web', namespace: 'prod', uid: 'u2' },
        containers: [{ name: 'nginx', cpu: { time: t, usageCoreNanoSeconds: 1.5e9 }, memory: { time: t, workingSetBytes: 12345678 } }],
        cpu: { time: t, usageCoreNanoSeconds: 2e9 },
        memory: { time: t, workingSetBytes: 12345678 },
      },
      {
        podRef: { name: 'p', namespace: 'default', uid: 'u1' },
        containers: [{ name: 'c', startTime: '2026-01-01T00:00:00Z', cpu: { time: t, usageCoreNanoSeconds: 5e8 }, memory: { time: t, workingSetBytes: 600 } }],
        cpu: { time: t, usageCoreNanoSeconds: 3e9 },
        memory: { time: t, workingSetBytes: 700 },
      },
    ],
  };
  assert.equal(
    renderResourceMetrics(summary),
    `# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="c",namespace="default",pod="p"} 0.5 ${ms}
container_cpu_usage_seconds_total{container="nginx",namespace="prod",pod="web"} 1.5 ${ms}
# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="c",namespace="default",pod="p"} 600 ${ms}
container_memory_working_set_bytes{container="nginx",namespace="prod",pod="web"} 1.2345678e+07 ${ms}
# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds
# TYPE container_start_time_seconds gauge
container_start_time_seconds{container="c",namespace="default",pod="p"} 1.7672256e+09
# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total 104 ${ms}
# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 7000 ${ms}
# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds
# TYPE pod_cpu_usage_seconds_total counter
pod_cpu_usage_seconds_total{namespace="default",pod="p"} 3 ${ms}
pod_cpu_usage_seconds_total{namespace="prod",pod="web"} 2 ${ms}
# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes
# TYPE pod_memory_working_set_bytes gauge
pod_memory_working_set_bytes{namespace="default",pod="p"} 700 ${ms}
pod_memory_working_set_bytes{namespace="prod",pod="web"} 1.2345678e+07 ${ms}
# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 0
`,
  );
});

test('no Summary: only resource_scrape_error 1', () => {
  assert.equal(
    renderResourceMetrics(undefined),
    `# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
# TYPE resource_scrape_error gauge
resource_scrape_error 1
`,
  );
});
