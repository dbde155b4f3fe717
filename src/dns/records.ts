/**
 * The cluster's DNS data, indexed for lookups: Services by `ns/name`, their endpoints from EndpointSlices
 * (grouped by the `kubernetes.io/service-name` label), the namespaces that exist, and the reverse indexes
 * (ClusterIP -> Service, endpoint IP -> endpoints) that PTR answers need. Pure: built from plain objects
 * (the informers' caches, or a test's snapshot), no I/O.
 *
 * Endpoints follow CoreDNS's view of a slice (plugin/kubernetes/object/endpoint.go): an endpoint counts when
 * its `ready` condition is not false (the EndpointSlice controller already sets it true for every pod of a
 * Service with `publishNotReadyAddresses`; we honour the Service's flag here too, so slices written by other
 * managers behave the same), every address of it is one address, and a slice without ports gives its
 * addresses one port of -1 (a headless Service without ports still answers A records, never SRV).
 */
import { isIP } from 'node:net';
import type { EndpointSlice, Service } from '../api/types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface EndpointPortRecord {
  name: string;
  port: number;
  protocol: string;
}

/** One address of one endpoint, with the ports of its slice. */
export interface EndpointAddressRecord {
  ip: string;
  hostname?: string;
  ports: EndpointPortRecord[];
}

export interface ClusterSnapshot {
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** Names of the namespaces that exist (CoreDNS answers NXDOMAIN inside one that does not). */
  namespaces: Iterable<string>;
}

/** `ns/name`, the index key of Services and their endpoints. */
function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** A Service's cluster IPs (spec.clusterIPs, else spec.clusterIP), without `None` and empty values. */
export function clusterIPs(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => isIP(ip) !== 0);
}

/** The label an endpoint answers to: its hostname, else its IP with dashes (CoreDNS's endpointHostname). */
export function endpointHostname(addr: EndpointAddressRecord): string {
  if (addr.hostname) return addr.hostname;
  if (addr.ip.includes('.')) return addr.ip.replaceAll('.', '-');
  const dashed = addr.ip.replaceAll(':', '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

export class ClusterIndex {
  readonly #services = new Map<string, Service>();
  readonly #endpoints = new Map<string, EndpointAddressRecord[]>();
  readonly #namespaces: Set<string>;
  readonly #serviceByIP = new Map<string, Service>();
  readonly #endpointsByIP = new Map<string, { service: Service; addr: EndpointAddressRecord }[]>();

  constructor(snapshot: ClusterSnapshot) {
    this.#namespaces = new Set(snapshot.namespaces);
    // Services sorted by namespace and name, so that the reverse index's "first Service" is stable.
    const services = [...snapshot.services].sort((a, b) =>
      key(a.metadata?.namespace ?? '', a.metadata?.name ?? '').localeCompare(key(b.metadata?.namespace ?? '', b.metadata?.name ?? '')),
    );
    for (const svc of services) {
      const k = key(svc.metadata?.namespace ?? '', svc.metadata?.name ?? '');
      this.#services.set(k, svc);
      for (const ip of clusterIPs(svc)) if (!this.#serviceByIP.has(ip)) this.#serviceByIP.set(ip, svc);
    }
    const slices = [...snapshot.endpointSlices].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    for (const slice of slices) {
      const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svcName || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) continue;
      const k = key(slice.metadata?.namespace ?? '', svcName);
      const svc = this.#services.get(k);
      const publishNotReady = svc?.spec?.publishNotReadyAddresses === true;
      const ports: EndpointPortRecord[] = slice.ports?.length
        ? slice.ports.map((p) => ({ name: p.name ?? '', port: p.port ?? -1, protocol: p.protocol ?? 'TCP' }))
        : [{ name: '', port: -1, protocol: '' }];
      const list = this.#endpoints.get(k) ?? [];
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false && !publishNotReady) continue;
        for (const ip of ep.addresses ?? []) {
          const addr: EndpointAddressRecord = { ip, ports, ...(ep.hostname ? { hostname: ep.hostname } : {}) };
          list.push(addr);
          if (svc) {
            const byIP = this.#endpointsByIP.get(ip) ?? [];
            byIP.push({ service: svc, addr });
            this.#endpointsByIP.set(ip, byIP);
          }
        }
      }
      this.#endpoints.set(k, list);
    }
  }

  namespaceExists(namespace: string): boolean {
    return this.#namespaces.has(namespace);
  }

  /** The Service `namespace/name` (names in the index are lowercase, as DNS labels of objects are). */
  service(namespace: string, name: string): Service | undefined {
    return this.#services.get(key(namespace, name));
  }

  /** The ready (or published) endpoint addresses of a Service. */
  endpoints(namespace: string, name: string): EndpointAddressRecord[] {
    return this.#endpoints.get(key(namespace, name)) ?? [];
  }

  /** The Service whose cluster IP this is. */
  serviceForIP(ip: string): Service | undefined {
    return this.#serviceByIP.get(ip);
  }

  /** The endpoints (with their Service) that have this address. */
  endpointsForIP(ip: string): { service: Service; addr: EndpointAddressRecord }[] {
    return this.#endpointsByIP.get(ip) ?? [];
  }
}
