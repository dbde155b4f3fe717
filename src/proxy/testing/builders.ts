/**
 * Builders of Services and EndpointSlices for the proxy's tests and benchmark (as upstream's
 * makeTestService / makeTestEndpointSlice): only the fields the proxy reads, spelled as the API spells them.
 */
import type { Endpoint, EndpointSlice, Service, ServicePort, ServiceSpec } from '../../api/index.ts';

export function makeService(name: string, spec: Partial<ServiceSpec> & { clusterIP: string; ports: ServicePort[] }, lbIPs: string[] = [], namespace = 'default'): Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { namespace, name },
    spec: { type: 'ClusterIP', ...spec },
    status: lbIPs.length > 0 ? { loadBalancer: { ingress: lbIPs.map((ip) => ({ ip })) } } : {},
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function makeSlice(
  service: string,
  endpoints: EndpointSpec[],
  ports: { name?: string; port: number; protocol?: string }[],
  options: { name?: string; namespace?: string; addressType?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      namespace: options.namespace ?? 'default',
      name: options.name ?? `${service}-abcde`,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: endpoints.map((e): Endpoint => ({
      addresses: [e.ip],
      conditions: {
        ready: e.ready ?? true,
        ...(e.serving !== undefined ? { serving: e.serving } : { serving: e.ready ?? true }),
        terminating: e.terminating ?? false,
      },
      ...(e.node ? { nodeName: e.node } : {}),
    })),
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  } as EndpointSlice;
}
