/**
 * Answers for the cluster domain, as CoreDNS's `kubernetes` plugin gives them with the Corefile that
 * kubeadm and k3s ship (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough
 * in-addr.arpa ip6.arpa; ttl 30 }`):
 *
 *   <svc>.<ns>.svc.<zone>              A/AAAA: the ClusterIPs; headless: the endpoints' addresses
 *   <host>.<svc>.<ns>.svc.<zone>       A/AAAA: the endpoint whose hostname (or dashed IP) is <host>
 *   _<port>._<proto>.<svc>.<ns>.svc    SRV: one per matching port (headless: per endpoint), targets above
 *   ExternalName Services              CNAME to the external name, plus its addresses (chased in the zone,
 *                                      or asked upstream through `upstream`)
 *   <a-b-c-d>.<ns>.pod.<zone>          A: the address in the name ("pods insecure": no pod lookup)
 *   dns-version.<zone> TXT, <zone> SOA/NS, ns.dns.<zone> A
 *   <reversed ip>.in-addr.arpa PTR     a Service's or endpoint's name; otherwise forwarded (fallthrough)
 *
 * A name that exists with no record of the asked type is NODATA (NOERROR, empty answer), a name that does
 * not exist NXDOMAIN, both with the zone's SOA in the authority section. The structure follows CoreDNS's
 * (parseRequest -> Records -> findServices/findPods -> the A/AAAA/SRV/... builders of backend_lookup.go) so
 * its corner cases come out the same: a headless Service without ready endpoints is NXDOMAIN, TXT of an
 * existing name is NODATA, SOA below the apex is NODATA, AXFR is REFUSED. Names are matched without
 * regard to case; answers carry the question's spelling.
 *
 * Pure apart from `upstream` (how to ask the node's resolvers about an ExternalName's target).
 */
import { isIP } from 'node:net';
import type { Answer as RR, RecordType, SrvAnswer } from 'dns-packet';
import type { Service } from '../api/types.ts';
import { clusterIPs, endpointHostname, isHeadless, type ClusterIndex } from './records.ts';

/** CoreDNS's DNSSchemaVersion (the Kubernetes DNS specification it implements). */
export const DNS_SCHEMA_VERSION = '1.1.0';

export interface LookupConfig {
  /** The cluster domain without a trailing dot, lowercase (`cluster.local`). */
  zone: string;
  /** TTL of answers and the SOA's minimum (CoreDNS's `ttl`, 30 in kubeadm's and k3s's Corefile). */
  ttl: number;
  /** The cluster DNS Service's IPs: what `ns.dns.<zone>` and the zone's NS answer. */
  nameserverIPs: string[];
  /** SOA serial (CoreDNS: the Unix time of the last change seen by its informers). */
  serial: number;
  /** False until the informers have listed: name errors become SERVFAIL, as in CoreDNS. */
  synced: boolean;
}

export interface Question {
  name: string;
  type: RecordType;
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';

export interface Reply {
  rcode: Rcode;
  authoritative: boolean;
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
}

/** Asks the node's resolvers (for an ExternalName's target); undefined when they fail. */
export type Upstream = (name: string, type: RecordType) => Promise<{ answers: RR[] } | undefined>;

/** What the cluster zone says, or `forward` for a name it does not own (or lets fall through). */
export type LookupResult = Reply | 'forward';

/** One record source, CoreDNS's msg.Service: an address or a name, a port, and the name it lives at. */
interface Rec {
  host: string;
  port: number;
  /** The record's own name (SRV targets, PTR/NS owners), e.g. `web.default.svc.cluster.local`. */
  domain: string;
  ttl: number;
  text?: string;
}

type NameError = 'NoItems' | 'NsNotExposed' | 'InvalidRequest';

class LookupError {
  readonly kind: NameError;
  constructor(kind: NameError) {
    this.kind = kind;
  }
}

interface Parsed {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: string;
}

const MAX_CNAME_CHAIN = 10;

function lower(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function isSubdomain(zone: string, name: string): boolean {
  const n = lower(name);
  return n === zone || n.endsWith(`.${zone}`);
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/** CoreDNS's parseRequest on the lowercased name; throws InvalidRequest for names outside the schema. */
function parseRequest(name: string, zone: string): Parsed {
  const r: Parsed = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const base = name === zone ? '' : name.slice(0, name.length - zone.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  r.podOrSvc = segs[last]!;
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') throw new LookupError('InvalidRequest');
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else throw new LookupError('InvalidRequest');
  return r;
}

function match(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function matchPortAndProtocol(aPort: string, bPort: string, aProto: string, bProto: string): boolean {
  return (aPort === '' || match(aPort, bPort)) && (aProto === '' || match(aProto, bProto));
}

/** Lowercase, dotless form of an IP written in a pod name (`1-2-3-4`, or dashed IPv6). */
function podNameToIP(podname: string): string {
  const dashes = podname.split('-').length - 1;
  return dashes === 3 && !podname.includes('--') ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
}

/** The address in a reverse name (`4.3.2.1.in-addr.arpa` -> `1.2.3.4`, nibbles for ip6.arpa), or ''. */
export function addressFromReverse(name: string): string {
  const n = lower(name);
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    const ip = parts.join('.');
    return parts.length === 4 && isIP(ip) === 4 ? ip : '';
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.').reverse();
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return '';
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return canonicalIPv6(groups.join(':'));
  }
  return '';
}

/** RFC 5952 text of an IPv6 address (what the API stores), via URL's canonicalization. */
function canonicalIPv6(ip: string): string {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return '';
  }
}

export class ClusterLookup {
  readonly #index: ClusterIndex;
  readonly #cfg: LookupConfig;
  readonly #upstream: Upstream;

  constructor(index: ClusterIndex, cfg: LookupConfig, upstream: Upstream) {
    this.#index = index;
    this.#cfg = cfg;
    this.#upstream = upstream;
  }

  /** Answers a question: the cluster zone's reply, or `forward` when the name belongs upstream. */
  async lookup(q: Question): Promise<LookupResult> {
    const qname = q.name.replace(/\.$/, '');
    const name = lower(qname);
    const { zone } = this.#cfg;
    if (isSubdomain(zone, name)) return this.#zoneReply(qname, q.type, qname.slice(qname.length - zone.length));
    if (q.type === 'PTR' && (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa'))) {
      const ip = addressFromReverse(name);
      const names = ip ? this.#reverse(ip) : [];
      if (names.length === 0) return 'forward';
      return this.#reply('NOERROR', names.map((target) => ({ type: 'PTR', name: qname, ttl: this.#cfg.ttl, class: 'IN', data: target })), []);
    }
    return 'forward';
  }

  /** The handler (ServeDNS) for a name in the cluster zone; `zone` keeps the question's spelling. */
  async #zoneReply(qname: string, type: RecordType, zone: string): Promise<Reply> {
    let records: RR[] = [];
    let extra: RR[] = [];
    try {
      switch (type) {
        case 'A':
        case 'AAAA':
          records = await this.#address(qname, type, zone, []);
          break;
        case 'TXT':
          records = this.#services(qname, 'TXT', zone).map((s) => ({ type: 'TXT', name: qname, ttl: s.ttl, class: 'IN', data: s.text ?? '' }));
          break;
        case 'CNAME': {
          const first = this.#services(qname, 'CNAME', zone)[0];
          if (first && isIP(first.host) === 0) records = [{ type: 'CNAME', name: qname, ttl: first.ttl, class: 'IN', data: first.host }];
          break;
        }
        case 'PTR':
          // In the cluster zone there is no address to reverse: only whether the name exists matters.
          this.#records(lower(qname));
          break;
        case 'MX':
          this.#services(qname, 'MX', zone);
          break;
        case 'SRV':
          [records, extra] = await this.#srv(qname, zone);
          break;
        case 'SOA':
          if (lower(qname) === this.#cfg.zone) records = [this.#soa(zone)];
          break;
        case 'AXFR':
        case 'IXFR':
          return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
        case 'NS':
          if (lower(qname) === this.#cfg.zone) {
            [records, extra] = this.#ns(qname, zone);
            break;
          }
          await this.#address(qname, 'A', zone, []);
          break;
        default:
          // Other types: NXDOMAIN or NODATA, depending on whether the name has an A record's worth of data.
          await this.#address(qname, 'A', zone, []);
      }
    } catch (err) {
      if (!(err instanceof LookupError)) throw err;
      return this.#negative(this.#cfg.synced ? 'NXDOMAIN' : 'SERVFAIL', zone);
    }
    if (records.length === 0) return this.#negative('NOERROR', zone);
    return this.#reply('NOERROR', records, extra);
  }

  #reply(rcode: Rcode, answers: RR[], additionals: RR[]): Reply {
    return { rcode, authoritative: true, answers, authorities: [], additionals };
  }

  #negative(rcode: Rcode, zone: string): Reply {
    return { rcode, authoritative: true, answers: [], authorities: [this.#soa(zone)], additionals: [] };
  }

  #soa(zone: string): RR {
    const ttl = Math.min(this.#cfg.ttl, 300);
    return {
      type: 'SOA', name: zone, ttl, class: 'IN',
      data: {
        mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: this.#cfg.serial,
        refresh: 7200, retry: 1800, expire: 86400, minimum: this.#cfg.ttl,
      },
    };
  }

  #ns(qname: string, zone: string): [RR[], RR[]] {
    const nsName = `ns.dns.${zone}`;
    const extra: RR[] = [];
    for (const ip of this.#cfg.nameserverIPs) {
      const family = isIP(ip);
      if (family) extra.push({ type: family === 4 ? 'A' : 'AAAA', name: nsName, ttl: this.#cfg.ttl, class: 'IN', data: ip });
    }
    return [extra.length ? [{ type: 'NS', name: qname, ttl: this.#cfg.ttl, class: 'IN', data: nsName }] : [], extra];
  }

  /** CoreDNS's Kubernetes.Services: the record sources for a name and query type. */
  #services(qname: string, type: RecordType, zone: string): Rec[] {
    const name = lower(qname);
    if (type === 'TXT') {
      const base = name === this.#cfg.zone ? '' : name.slice(0, name.length - this.#cfg.zone.length - 1);
      if (base === 'dns-version') return [{ host: '', port: 0, domain: qname, ttl: 28800, text: DNS_SCHEMA_VERSION }];
      let found: Rec[] = [];
      try {
        found = this.#records(name, zone);
      } catch (err) {
        if (!(err instanceof LookupError)) throw err;
      }
      if (found.length > 0) return [];
      throw new LookupError('NoItems');
    }
    if (name === `ns.dns.${this.#cfg.zone}`) {
      const family = type === 'A' ? 4 : type === 'AAAA' ? 6 : 0;
      return this.#cfg.nameserverIPs.filter((ip) => isIP(ip) === family).map((ip) => ({ host: ip, port: 0, domain: qname, ttl: this.#cfg.ttl }));
    }
    const recs = this.#records(name, zone);
    // SRV for external names is not implemented in CoreDNS: such records are left out.
    return type === 'SRV' ? recs.filter((r) => isIP(r.host) !== 0) : recs;
  }

  /** CoreDNS's Kubernetes.Records on a lowercased name. */
  #records(name: string, zone = this.#cfg.zone): Rec[] {
    const r = parseRequest(name, this.#cfg.zone);
    if (r.podOrSvc === '') return [];
    if (!this.#index.namespaceExists(r.namespace)) throw new LookupError('NsNotExposed');
    return r.podOrSvc === 'pod' ? this.#findPods(r, zone) : this.#findServices(r, zone);
  }

  #findPods(r: Parsed, zone: string): Rec[] {
    if (r.service === '') return [];
    const ip = podNameToIP(r.service);
    if (isIP(ip) === 0) throw new LookupError('NoItems');
    return [{ host: ip, port: 0, domain: `${r.service}.${r.namespace}.pod.${zone}`, ttl: this.#cfg.ttl }];
  }

  #findServices(r: Parsed, zone: string): Rec[] {
    if (r.service === '') return [];
    const svc = this.#index.service(r.namespace, r.service);
    if (!svc) throw new LookupError('NoItems');
    const ns = svc.metadata!.namespace!;
    const svcName = svc.metadata!.name!;
    const ttl = this.#cfg.ttl;
    const out: Rec[] = [];
    let found = false;
    if (svc.spec?.type === 'ExternalName') {
      if (r.endpoint !== '' || r.port !== '' || r.protocol !== '') throw new LookupError('NoItems');
      const target = (svc.spec.externalName ?? '').replace(/\.$/, '');
      if (target === '' || isIP(target) !== 0) throw new LookupError('NoItems');
      return [{ host: target, port: 0, domain: `${svcName}.${ns}.svc.${zone}`, ttl }];
    }
    if (isHeadless(svc) || r.endpoint !== '') {
      for (const addr of this.#index.endpoints(ns, svcName)) {
        const host = endpointHostname(addr);
        if (r.endpoint !== '' && !match(r.endpoint, host)) continue;
        for (const p of addr.ports) {
          if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
          found = true;
          out.push({ host: addr.ip, port: p.port, domain: `${host}.${svcName}.${ns}.svc.${zone}`, ttl });
        }
      }
    } else {
      for (const p of svc.spec?.ports ?? []) {
        if (!matchPortAndProtocol(r.port, p.name ?? '', r.protocol, p.protocol ?? 'TCP')) continue;
        found = true;
        for (const ip of clusterIPs(svc)) out.push({ host: ip, port: p.port, domain: `${svcName}.${ns}.svc.${zone}`, ttl });
      }
    }
    if (!found) throw new LookupError('NoItems');
    return out;
  }

  /** CoreDNS's A and AAAA builders: addresses, CNAMEs chased in the zone or asked upstream. */
  async #address(qname: string, type: 'A' | 'AAAA', zone: string, previous: RR[]): Promise<RR[]> {
    const services = this.#services(qname, type, zone);
    const records: RR[] = [];
    const seen = new Set<string>();
    for (const s of services) {
      const family = isIP(s.host);
      if (family === 0) {
        if (lower(s.host) === lower(qname)) continue;
        const cname: RR = { type: 'CNAME', name: qname, ttl: s.ttl, class: 'IN', data: s.host };
        if (previous.length > MAX_CNAME_CHAIN) continue;
        if (previous.some((p) => p.type === 'CNAME' && lower(p.name) === lower(qname) && lower(String(p.data)) === lower(s.host))) continue;
        if (isSubdomain(this.#cfg.zone, s.host)) {
          try {
            const next = await this.#address(s.host, type, zone, [...previous, cname]);
            if (next.length > 0) records.push(cname, ...next);
          } catch (err) {
            if (!(err instanceof LookupError)) throw err;
          }
          continue;
        }
        const up = await this.#upstream(s.host, type);
        if (!up) continue;
        records.push(cname, ...up.answers);
        continue;
      }
      if ((family === 4) !== (type === 'A') || seen.has(s.host)) continue;
      seen.add(s.host);
      records.push({ type, name: qname, ttl: s.ttl, class: 'IN', data: s.host });
    }
    return records;
  }

  /** CoreDNS's SRV builder: weights shared out per priority, targets' addresses in the additional section. */
  async #srv(qname: string, zone: string): Promise<[RR[], RR[]]> {
    const services = this.#services(qname, 'SRV', zone);
    const records: RR[] = [];
    const extra: RR[] = [];
    const dup = new Set<string>();
    // Every record has priority 0 and weight 100 here, so each gets floor(100 / n).
    const weight = Math.max(1, Math.floor((100 / (100 * services.length)) * 100));
    for (const s of services) {
      if (s.port === -1) continue;
      const family = isIP(s.host);
      const srv: SrvAnswer = { type: 'SRV', name: qname, ttl: s.ttl, class: 'IN', data: { priority: 0, weight, port: s.port, target: s.domain } };
      const srvKey = `${lower(s.domain)}|${s.port}|`;
      if (!dup.has(srvKey)) {
        dup.add(srvKey);
        records.push(srv);
      }
      const addrKey = `${lower(s.domain)}|0|${s.host}`;
      if (!dup.has(addrKey)) {
        dup.add(addrKey);
        extra.push({ type: family === 4 ? 'A' : 'AAAA', name: s.domain, ttl: s.ttl, class: 'IN', data: s.host });
      }
    }
    return [records, extra];
  }

  /** PTR targets for an address: the Service with that cluster IP, else the endpoints with it. */
  #reverse(ip: string): string[] {
    const zone = this.#cfg.zone;
    const svc: Service | undefined = this.#index.serviceForIP(ip);
    if (svc) return [`${svc.metadata!.name}.${svc.metadata!.namespace}.svc.${zone}`];
    const names = this.#index
      .endpointsForIP(ip)
      .map(({ service, addr }) => `${endpointHostname(addr)}.${service.metadata!.name}.${service.metadata!.namespace}.svc.${zone}`);
    return [...new Set(names)];
  }
}
