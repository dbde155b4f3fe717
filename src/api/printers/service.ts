/**
 * Table printers of Services, Endpoints and EndpointSlices: the columns and cell text of upstream's
 * printService, printEndpoints and printEndpointSlice (pkg/printers/internalversion/printers.go), so
 * `kubectl get svc,ep,endpointslices [-o wide]` reads as against Kubernetes.
 */
import type { EndpointSlice, Endpoints, KubeObject, Service, ServicePort, TableColumnDefinition } from '../types.ts';

export interface ServicePrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number, wide: boolean): unknown[];
}

type Col = (name: string, description: string, opts?: { priority?: number; format?: string }) => TableColumnDefinition;

/** `80:30080/TCP,443/TCP`. */
export function servicePortsText(ports: readonly ServicePort[] | undefined): string {
  const text = (ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  return text || '<none>';
}

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
function formatLabels(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${m![k]}`).join(',') : '<none>';
}

function loadBalancerText(svc: Service, wide: boolean): string {
  const r = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean).join(',');
  return !wide && r.length > 16 ? `${r.slice(0, 13)}...` : r;
}

/** getServiceExternalIP. */
export function serviceExternalIP(svc: Service, wide: boolean): string {
  const external = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP': case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerText(svc, wide);
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** formatEndpoints: up to three `ip:port` pairs, then `+ N more...`. */
export function endpointsText(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (s: string) => {
    if (list.length === max) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if (!ss.ports?.length) {
      count += addrs.length;
      for (const a of addrs) add(a.ip);
      continue;
    }
    for (const port of ss.ports) {
      count += addrs.length;
      for (const a of addrs) add(a.ip.includes(':') ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
    }
  }
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret || '<none>';
}

function listWithMore(items: string[]): string {
  const max = 3;
  const ret = items.slice(0, max).join(',');
  if (items.length > max) return `${ret} + ${items.length - max} more...`;
  return ret || '<unset>';
}

export function endpointSlicePortsText(slice: EndpointSlice): string {
  return listWithMore((slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name !== undefined ? p.name : '*')));
}

export function endpointSliceEndpointsText(slice: EndpointSlice): string {
  return listWithMore((slice.endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

export function servicePrinters(col: Col, NAME: TableColumnDefinition, AGE: TableColumnDefinition, age: (obj: KubeObject, now: number) => string): Record<string, ServicePrinter> {
  const service: ServicePrinter = {
    columns: [
      NAME,
      col('Type', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { priority: 1 }),
    ],
    cells(obj, now, wide) {
      const svc = obj as unknown as Service;
      const cells: unknown[] = [
        svc.metadata?.name ?? '', svc.spec?.type ?? '', svc.spec?.clusterIPs?.[0] ?? '<none>', serviceExternalIP(svc, wide),
        servicePortsText(svc.spec?.ports), age(obj, now),
      ];
      if (wide) cells.push(formatLabels(svc.spec?.selector));
      return cells;
    },
  };
  const endpoints: ServicePrinter = {
    columns: [NAME, col('Endpoints', 'Endpoints of this service'), AGE],
    cells: (obj, now) => [obj.metadata?.name ?? '', endpointsText(obj as unknown as Endpoints), age(obj, now)],
  };
  const endpointSlices: ServicePrinter = {
    columns: [
      NAME,
      col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.'),
      col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
      AGE,
    ],
    cells(obj, now) {
      const s = obj as unknown as EndpointSlice;
      return [s.metadata?.name ?? '', s.addressType ?? '', endpointSlicePortsText(s), endpointSliceEndpointsText(s), age(obj, now)];
    },
  };
  return { '/services': service, '/endpoints': endpoints, 'discovery.k8s.io/endpointslices': endpointSlices };
}
