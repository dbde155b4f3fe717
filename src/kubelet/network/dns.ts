/**
 * A pod's resolver settings, as upstream's kubelet DNS configurer (pkg/kubelet/network/dns) forms them: the
 * runtime DnsConfig the sandbox is made with, from the pod's `dnsPolicy` and `dnsConfig`, the kubelet's
 * `clusterDNS`/`clusterDomain` and the node's resolv.conf.
 *
 *   dnsPolicy                         base
 *   ClusterFirst (not hostNetwork),   nameserver <clusterDNS…>, search <ns>.svc.<domain> svc.<domain> <domain>
 *   ClusterFirstWithHostNet             + the node's search domains, options ndots:5
 *                                      (no clusterDNS configured: MissingClusterDNS, then as Default)
 *   Default, ClusterFirst+hostNetwork the node's resolv.conf (nameservers, search, options)
 *   None                              nothing
 *   then pod.spec.dnsConfig on top: nameservers and searches appended without duplicates, options merged by
 *   name (the pod's win); then cut to 3 nameservers and 32 search domains / 2048 characters, with a
 *   DNSConfigForming warning naming what was applied.
 *
 * `formPodDns` is pure: it returns the config and the events to record; `DnsConfigurer` reads the node's
 * resolv.conf and records them.
 */
import { readFileSync } from 'node:fs';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodDNSConfigOption } from 'kubernetes-models/v1/PodDNSConfigOption';
import type { DnsConfig } from '../../runtime/runtime.ts';

/** Upstream's validation limits (apis/core/validation), which the kubelet also enforces on the merged result. */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** A search domain longer than a DNS subdomain makes some resolvers (glibc 2.28) abort; such are dropped. */
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DEFAULT_DNS_OPTIONS = ['ndots:5'];

export interface DnsSettings {
  /** The cluster DNS servers (KubeletConfiguration.clusterDNS); empty: none configured. */
  clusterDNS: string[];
  /** KubeletConfiguration.clusterDomain; empty: no cluster search domains. */
  clusterDomain: string;
  /**
   * The node's resolv.conf text, or undefined when the kubelet's resolvConf is "" (upstream: then host-DNS
   * pods get the local resolver, 127.0.0.1 or ::1 per node IP, and search ".").
   */
  hostResolvConf: string | undefined;
  /** The node's IPs (only used when hostResolvConf is undefined). */
  nodeIPs?: string[];
}

export interface DnsEvent {
  /** Which object the event is about. */
  on: 'pod' | 'node';
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  message: string;
}

/** The nameservers, search domains and options of a resolv.conf, as upstream's parseResolvConf reads it. */
export function parseResolvConf(text: string): DnsConfig {
  const servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields.length >= 2) servers.push(fields[1]!);
    // The last search line wins; a trailing dot is dropped so a domain counts once.
    if (fields[0] === 'search') searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') options = appendOptions(options, fields.slice(1));
  }
  return { servers, searches, options };
}

/** The pod's DnsConfig and the events forming it produced. */
export function formPodDns(pod: IPod, s: DnsSettings): { config: DnsConfig; events: DnsEvent[] } {
  const events: DnsEvent[] = [];
  let config: DnsConfig = s.hostResolvConf === undefined ? empty() : parseResolvConf(s.hostResolvConf);
  let type = podDnsType(pod);
  if (type === 'none') config = empty();
  if (type === 'cluster') {
    if (s.clusterDNS.length > 0) {
      // The cluster DNS server is the only nameserver: it forwards what it does not answer itself.
      config = {
        servers: [...s.clusterDNS],
        searches: clusterSearches(config.searches, pod, s.clusterDomain),
        options: [...DEFAULT_DNS_OPTIONS],
      };
    } else {
      const message =
        'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. ' +
        'Falling back to "Default" policy.';
      events.push({ on: 'node', reason: 'MissingClusterDNS', message });
      events.push({ on: 'pod', reason: 'MissingClusterDNS', message: `pod: "${formatPod(pod)}". ${message}` });
      type = 'host';
    }
  }
  if (type === 'host' && s.hostResolvConf === undefined) {
    const servers = (s.nodeIPs ?? []).map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
    config = { servers: servers.length > 0 ? servers : ['127.0.0.1'], searches: ['.'], options: config.options };
  }
  const own = pod.spec?.dnsConfig;
  if (own) {
    config = {
      servers: omitDuplicates([...config.servers, ...(own.nameservers ?? [])]),
      searches: omitDuplicates([...config.searches, ...(own.searches ?? [])]),
      options: mergeOptions(config.options, own.options ?? []),
    };
  }
  return { config: fitLimits(config, events), events };
}

type PodDnsType = 'cluster' | 'host' | 'none';

function podDnsType(pod: IPod): PodDnsType {
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'Default':
      return 'host';
    default:
      // ClusterFirst (and anything the API should have refused): host-network pods fall back to Default.
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
  }
}

function clusterSearches(hostSearches: string[], pod: IPod, domain: string): string[] {
  if (!domain) return hostSearches;
  const ns = pod.metadata?.namespace ?? 'default';
  return omitDuplicates([`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...hostSearches]);
}

function fitLimits(config: DnsConfig, events: DnsEvent[]): DnsConfig {
  let servers = config.servers;
  if (servers.length > MAX_DNS_NAMESERVERS) {
    servers = servers.slice(0, MAX_DNS_NAMESERVERS);
    events.push({
      on: 'pod',
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(' ')}`,
    });
  }
  let exceeded = false;
  let searches = config.searches;
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const short = searches.filter((d) => d.length <= DNS1123_SUBDOMAIN_MAX_LENGTH);
  if (short.length !== searches.length) exceeded = true;
  searches = short;
  // Too long a line: drop domains from the end until it fits.
  while (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    searches = searches.slice(0, -1);
    exceeded = true;
  }
  if (exceeded) {
    events.push({
      on: 'pod',
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`,
    });
  }
  return { servers, searches, options: config.options };
}

/** resolv.conf options lines: a later option replaces an earlier one of the same name (`ndots:2` → `ndots:5`). */
function appendOptions(options: string[], added: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...options, ...added]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

/** The pod's dnsConfig options over the base ones, by name; in order of first appearance. */
function mergeOptions(base: string[], own: IPodDNSConfigOption[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(':');
    if (i === -1) byName.set(o, '');
    else byName.set(o.slice(0, i), o.slice(i + 1));
  }
  for (const o of own) byName.set(o.name ?? '', o.value ?? '');
  return [...byName].map(([name, value]) => (value ? `${name}:${value}` : name));
}

function omitDuplicates(list: string[]): string[] {
  return [...new Set(list)];
}

function empty(): DnsConfig {
  return { servers: [], searches: [], options: [] };
}

/** format.Pod: `name_namespace(uid)`. */
function formatPod(pod: IPod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

export interface DnsConfigurerOptions {
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's resolv.conf (KubeletConfiguration.resolvConf, default /etc/resolv.conf); "" for none. */
  resolvConf?: string;
  nodeIPs?: () => string[];
  /** Records one event about the pod, or about the node when `on` is 'node'. */
  record: (pod: IPod, event: DnsEvent) => void;
}

/**
 * The kubelet's DNS configurer: `getPodDns(pod)` is called when a pod's sandbox is made. It re-reads the
 * node's resolv.conf each time (the file may change under a running node, as it does with DHCP).
 */
export class DnsConfigurer {
  readonly #o: DnsConfigurerOptions;

  constructor(options: DnsConfigurerOptions) {
    this.#o = options;
  }

  getPodDns(pod: IPod): DnsConfig {
    const file = this.#o.resolvConf ?? '/etc/resolv.conf';
    let hostResolvConf: string | undefined;
    if (file !== '') {
      try {
        hostResolvConf = readFileSync(file, 'utf8');
      } catch {
        hostResolvConf = '';
      }
    }
    const { config, events } = formPodDns(pod, {
      clusterDNS: this.#o.clusterDNS,
      clusterDomain: this.#o.clusterDomain,
      hostResolvConf,
      nodeIPs: this.#o.nodeIPs?.(),
    });
    for (const e of events) this.#o.record(pod, e);
    return config;
  }
}
