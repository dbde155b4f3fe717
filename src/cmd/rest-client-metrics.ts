/**
 * client-go's `rest_client_requests_total{code,host,method}` for kubeling's client: a requestObserver (see
 * src/client/transport.ts) that counts into a Prometheus registry. The server's components count into the
 * process registry (the API server's /metrics); a node's (kubelet, proxy, DNS, pod network) into the
 * kubelet's (its /metrics), as each upstream binary counts its own.
 */
import { Counter, type Registry } from 'prom-client';
import type { ClientConfig } from '../client/index.ts';

const NAME = 'rest_client_requests_total';

export function restClientMetrics(registry: Registry): NonNullable<ClientConfig['requestObserver']> {
  const counter = (registry.getSingleMetric(NAME) as Counter<'code' | 'host' | 'method'> | undefined) ?? new Counter({
    name: NAME,
    help: 'Number of HTTP requests, partitioned by status code, method, and host.',
    labelNames: ['code', 'host', 'method'],
    registers: [registry],
  });
  return (r) => counter.inc({ code: r.code, host: r.host, method: r.method });
}
