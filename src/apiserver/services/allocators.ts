/**
 * The cluster's two allocators, built from the server's flags: service IPs from `--service-cidr` (the first
 * address for `default/kubernetes`, `.10` for cluster DNS, both reserved from dynamic picks) and node ports from
 * `--service-node-port-range`. Their errors are worded as upstream's ipallocator and portallocator word them.
 */
import type { Store } from '../../storage/index.ts';
import { AllocationError, StoreAllocator } from './allocator.ts';
import { ipAt, ipOffset, parsePortRange, parseServiceCidr, staticBand, type IPRange, type PortRange } from './range.ts';

export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';
/** Where allocations live in the Store, beside (not under) the API objects. */
export const SERVICE_IP_PREFIX = '/kubeling/allocations/service-ips/';
export const NODE_PORT_PREFIX = '/kubeling/allocations/node-ports/';

/** The offset of the DNS Service's address (the `.10` of the CIDR). */
const DNS_OFFSET = 10;

export interface ServiceAllocatorsConfig {
  store: Store;
  serviceCidr?: string;
  nodePortRange?: string;
  now?: () => number;
  random?: () => number;
}

export class ServiceAllocators {
  readonly cidr: IPRange;
  readonly portRange: PortRange;
  readonly ips: StoreAllocator;
  readonly ports: StoreAllocator;

  constructor(config: ServiceAllocatorsConfig) {
    const cidr = parseServiceCidr(config.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    const ports = parsePortRange(config.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
    this.cidr = cidr;
    this.portRange = ports;
    this.ips = new StoreAllocator({
      store: config.store, prefix: SERVICE_IP_PREFIX, first: 1, last: cidr.size - 2,
      staticEnd: staticBand(cidr.size - 2, 16, 256), reserved: [1, DNS_OFFSET],
      name: (off) => ipAt(cidr, off), offset: (ip) => ipOffset(cidr, ip),
      notInRange: (ip) => `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${cidr.cidr}`,
      now: config.now, random: config.random,
    });
    this.ports = new StoreAllocator({
      store: config.store, prefix: NODE_PORT_PREFIX, first: 0, last: ports.size - 1,
      staticEnd: ports.size > 16 ? staticBand(ports.size, 32, 128) - 1 : -1,
      name: (off) => String(ports.base + off),
      offset: (p) => (/^\d+$/.test(p) && Number(p) >= ports.base && Number(p) < ports.base + ports.size ? Number(p) - ports.base : undefined),
      notInRange: () => `provided port is not in the valid range. The range of valid ports is ${ports.text}`,
      now: config.now, random: config.random,
    });
  }

  /** The `default/kubernetes` Service's address: the CIDR's first. */
  get kubernetesIP(): string {
    return ipAt(this.cidr, 1);
  }

  /** The cluster DNS Service's address: the CIDR's `.10`. */
  get dnsIP(): string {
    return ipAt(this.cidr, DNS_OFFSET);
  }
}

/** The message a failed IP allocation carries: `failed to allocate IP X: <why>`. */
export function ipAllocationMessage(ip: string, err: AllocationError): string {
  const why = err.code === 'Allocated' ? 'provided IP is already allocated' : err.message;
  return `failed to allocate IP ${ip}: ${why}`;
}

/** The message a failed node port allocation carries. */
export function portAllocationMessage(err: AllocationError): string {
  return err.code === 'Allocated' ? 'provided port is already allocated' : err.message;
}
