/**
 * The two ranges Services draw from, parsed and checked once: the service CIDR (`--service-cidr`, IPv4) and the
 * NodePort range (`--service-node-port-range`). Pure: offsets in, addresses out. Like upstream's allocators,
 * each range has a low "static" band that dynamic allocation uses only when the rest is full, so addresses
 * and ports users pick by hand (the DNS Service's `.10`) rarely collide with random ones.
 */

export interface IPRange {
  /** The CIDR as given, e.g. `10.43.0.0/16`. */
  readonly cidr: string;
  /** The network address as a 32-bit number. */
  readonly base: number;
  /** Addresses in the CIDR, network and broadcast included. */
  readonly size: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const texts = ip.split('.');
  if (texts.length !== 4 || texts.some((t) => !/^(0|[1-9]\d{0,2})$/.test(t))) return undefined;
  const parts = texts.map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses an IPv4 CIDR with a prefix of at most /28 (room for the kubernetes and DNS addresses). */
export function parseServiceCidr(cidr: string): IPRange {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  const ip = m ? ipv4ToNumber(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(bits >= 1 && bits <= 28)) {
    throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}: want an IPv4 CIDR between /1 and /28 (e.g. 10.43.0.0/16)`);
  }
  const size = 2 ** (32 - bits);
  const base = Math.floor(ip / size) * size;
  return { cidr: `${numberToIPv4(base)}/${bits}`, base, size };
}

/** The range's offset of an address, or undefined when it is outside or is the network or broadcast address. */
export function ipOffset(range: IPRange, ip: string): number | undefined {
  const n = ipv4ToNumber(ip);
  if (n === undefined) return undefined;
  const off = n - range.base;
  return off >= 1 && off <= range.size - 2 ? off : undefined;
}

/** The `n`th address of the range: 1 is the `kubernetes` Service's, 10 the DNS Service's. */
export function ipAt(range: IPRange, offset: number): string {
  return numberToIPv4(range.base + offset);
}

/** How many low offsets are kept for static picks: upstream's calculateRangeOffset (min 16, size/16, max 256). */
export function staticBand(size: number, step: number, max: number): number {
  return Math.min(Math.max(16, Math.floor(size / step)), max);
}

export interface PortRange {
  readonly base: number;
  readonly size: number;
  /** `30000-32767`, as the flag reads. */
  readonly text: string;
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(lo >= 1 && hi <= 65535 && lo <= hi)) throw new Error(`invalid port range ${JSON.stringify(text)}: want LOW-HIGH within 1-65535 (e.g. 30000-32767)`);
  return { base: lo, size: hi - lo + 1, text: `${lo}-${hi}` };
}
