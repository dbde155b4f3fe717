/**
 * The rule generator: from the Service ports this node proxies (service-ports.ts) to the text of one nftables
 * transaction (`nft -f -`) that makes a table of this node's own hold exactly those rules. Pure: no I/O, the
 * same input gives the same text. Its shape follows kube-proxy's nftables mode (pkg/proxy/nftables):
 *
 *   nat-prerouting / nat-output (dstnat) ─▶ services ─▶ vmap @service-ips        (ClusterIP, external, LB IPs)
 *                                                    ─▶ fib daddr type local: vmap @service-nodeports
 *        service-…  (all usable endpoints)   ─▶ affinity sets, then numgen random mod N ─▶ endpoint-…
 *        local-…    (this node's endpoints, traffic policy Local)
 *        external-… (node ports, external and LB IPs: masquerade unless externalTrafficPolicy Local)
 *        endpoint-… ─▶ hairpin mark, affinity update, dnat to the pod
 *   nat-postrouting (srcnat) ─▶ masquerading: masquerade what mark-for-masquerade marked (0x4000)
 *   filter-input/forward/output ─▶ @no-endpoint-services / @no-endpoint-nodeports ─▶ reject (or drop when
 *        the only endpoints are on other nodes and the policy is Local); cluster-ips-check rejects unserved
 *        ports of a cluster IP. Unlike upstream it does not drop the rest of the service CIDR: kubeling
 *        clusters share hosts (tests, laptops, `kubeling run`), and another one's pods may live in that range.
 *
 * A full sync's transaction declares the table, flushes it (its rules, not its sets: the affinity sets keep
 * their clients), flushes and refills the maps, declares everything, then deletes chains and sets that are no
 * longer wanted. Being one transaction, the kernel swaps the rule set atomically; established connections
 * keep their conntrack entries (NAT is decided on a connection's first packet), so a re-sync drops nothing.
 * Between full syncs, partialTransaction() changes only what differs from the last applied rule set.
 */
import { createHash } from 'node:crypto';
import { usableEndpoints, type ProxyEndpoint, type ServicePortInfo } from './service-ports.ts';

/** kube-proxy's masquerade mark (`--masquerade-bit` 14). */
export const MASQUERADE_MARK = '0x4000';

export interface RuleConfig {
  /** This node's table (tableName(nodeName)). */
  table: string;
  /** Pod addresses (`--cluster-cidr`): traffic from elsewhere to a cluster IP is masqueraded. */
  clusterCidr: string;
  /** Service addresses (`--service-cidr`); must not overlap the pods' (see cidrsOverlap). */
  serviceCidr: string;
  /** Said in the table's comment. */
  nodeName: string;
}

/** What a generated rule set declares, so the applier can delete what a later one no longer has. */
export interface RuleSet {
  table: string;
  /** The transaction without deletions of stale objects (see transaction()). */
  text: string;
  /** Every chain the text declares. */
  chains: string[];
  /** Every set (affinity) the text declares; maps are fixed and never deleted. */
  sets: string[];
  /** The per-Service chains with their rules, the affinity sets with their specs, and the elements of each
   * map and of `cluster-ips`: what partialTransaction() compares. */
  serviceChains: Map<string, string[]>;
  affinitySets: Map<string, string>;
  elements: Map<string, string[]>;
}

/** What is in the kernel's table now (chains and sets by name), as read back or remembered. */
export interface TableContent {
  chains: Set<string>;
  sets: Set<string>;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Hashes already computed: every sync names the same chains again (about four per endpoint), and hashing
 * was most of a sync's generation time with 1,000 Services. Dropped whole when it grows past its bound.
 */
const hashes = new Map<string, string>();
const HASH_CACHE_MAX = 200_000;

/** First 8 base32 characters of the SHA-256 of `s` (upstream's chain-name hash). */
export function shortHash(s: string): string {
  let h = hashes.get(s);
  if (h === undefined) {
    if (hashes.size >= HASH_CACHE_MAX) hashes.clear();
    h = sha256Base32(s);
    hashes.set(s, h);
  }
  return h;
}

function sha256Base32(s: string): string {
  const bytes = createHash('sha256').update(s).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 8) break;
  }
  return out;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const bits = Number(m[5]);
  const base = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  return bits <= 32 ? { base, bits } : undefined;
}

/** Whether two IPv4 CIDRs share an address (false when either does not parse). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const bits = Math.min(x.bits, y.bits);
  const size = 2 ** (32 - bits);
  return Math.floor(x.base / size) === Math.floor(y.base / size);
}

/**
 * The table of one node: several kubeling nodes may share a host, so each has its own. Test servers on one
 * host all name their node after the host; their pod CIDRs (and bridges) differ, so with `podCidr` the name
 * tells them apart. A restarted node keeps both, and so its table.
 */
export function tableName(nodeName: string, podCidr?: string): string {
  return `kubeling-${shortHash(podCidr ? `${nodeName}/${podCidr}` : nodeName).toLowerCase()}`;
}

const MAPS: { name: string; type: string; comment: string }[] = [
  { name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service : verdict', comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' },
  { name: 'service-nodeports', type: 'inet_proto . inet_service : verdict', comment: 'NodePort traffic' },
  { name: 'no-endpoint-services', type: 'ipv4_addr . inet_proto . inet_service : verdict', comment: 'vmap to drop or reject packets to services with no endpoints' },
  { name: 'no-endpoint-nodeports', type: 'inet_proto . inet_service : verdict', comment: 'vmap to drop or reject packets to service nodeports with no endpoints' },
];

/** The fixed chains: [name, base chain spec or '', rules]. */
function fixedChains(): [string, string, string[]][] {
  return [
    ['nat-prerouting', 'type nat hook prerouting priority -100 ;', ['jump services']],
    ['nat-output', 'type nat hook output priority -100 ;', ['jump services']],
    ['nat-postrouting', 'type nat hook postrouting priority 100 ;', ['jump masquerading']],
    ['filter-input', 'type filter hook input priority -110 ;', ['ct state new jump nodeport-endpoints-check', 'ct state new jump service-endpoints-check']],
    ['filter-forward', 'type filter hook forward priority -110 ;', ['ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check']],
    ['filter-output', 'type filter hook output priority -110 ;', ['ct state new jump service-endpoints-check']],
    ['filter-output-post-dnat', 'type filter hook output priority -90 ;', ['ct state new jump cluster-ips-check']],
    ['mark-for-masquerade', '', [`mark set mark or ${MASQUERADE_MARK}`]],
    ['masquerading', '', [`mark and ${MASQUERADE_MARK} == 0 return`, `mark set mark xor ${MASQUERADE_MARK}`, 'masquerade fully-random']],
    ['services', '', [
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    ]],
    ['service-endpoints-check', '', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']],
    ['nodeport-endpoints-check', '', ['fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports']],
    ['cluster-ips-check', '', ['ip daddr @cluster-ips reject']],
    ['reject-chain', '', ['meta l4proto tcp reject with tcp reset', 'reject']],
  ];
}

const proto = (p: ServicePortInfo) => p.protocol.toLowerCase();

function portBase(p: ServicePortInfo): string {
  const id = `${p.namespace}/${p.name}/${proto(p)}/${p.portName}`;
  return `${shortHash(id)}-${id}`;
}

function endpointBase(p: ServicePortInfo, e: ProxyEndpoint): string {
  const id = `${p.namespace}/${p.name}/${proto(p)}/${p.portName}__${e.ip}/${e.port}`;
  return `${shortHash(id)}-${id}`;
}

interface Builder {
  chains: Map<string, string[]>;
  sets: Map<string, string>;
  elements: Map<string, string[]>;
  clusterIPs: Set<string>;
}

function addChain(b: Builder, name: string, rules: string[]): void {
  b.chains.set(name, rules);
}

function addElement(b: Builder, map: string, element: string): void {
  b.elements.get(map)!.push(element);
}

/** A chain spreading connections over `eps` (their endpoint chains), after the affinity sets. */
function policyChain(b: Builder, p: ServicePortInfo, eps: ProxyEndpoint[], config: RuleConfig): string[] {
  const rules = [
    `ip daddr ${p.clusterIP} ${proto(p)} dport ${p.port} ip saddr != ${config.clusterCidr} jump mark-for-masquerade`,
  ];
  const targets = eps.map((e) => `endpoint-${endpointBase(p, e)}`);
  if (p.affinityTimeoutSeconds !== undefined) {
    for (const e of eps) rules.push(`ip saddr @affinity-${endpointBase(p, e)} goto endpoint-${endpointBase(p, e)}`);
  }
  if (targets.length === 1) rules.push(`goto ${targets[0]}`);
  else rules.push(`numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(' , ')} }`);
  for (const e of eps) endpointChain(b, p, e);
  return rules;
}

function endpointChain(b: Builder, p: ServicePortInfo, e: ProxyEndpoint): void {
  const base = endpointBase(p, e);
  const name = `endpoint-${base}`;
  if (b.chains.has(name)) return;
  const rules = [`ip saddr ${e.ip} jump mark-for-masquerade`];
  if (p.affinityTimeoutSeconds !== undefined) {
    const set = `affinity-${base}`;
    b.sets.set(set, `type ipv4_addr ; flags dynamic,timeout ; timeout ${p.affinityTimeoutSeconds}s ;`);
    rules.push(`update @${set} { ip saddr }`);
  }
  rules.push(`meta l4proto ${proto(p)} dnat to ${e.ip}:${e.port}`);
  addChain(b, name, rules);
}

function servicePort(b: Builder, p: ServicePortInfo, config: RuleConfig): void {
  const base = portBase(p);
  const key = (ip: string) => `${ip} . ${proto(p)} . ${p.port}`;
  const clusterEps = usableEndpoints(p.endpoints, false);
  const localEps = usableEndpoints(p.endpoints, true);
  const hasEndpoints = clusterEps.length > 0;
  // No endpoint at all: reject (the client learns at once). Endpoints only on other nodes under a Local
  // policy: drop, as upstream (the client may retry elsewhere).
  const noEndpointVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';
  const clusterChain = `service-${base}`;
  const localChain = `local-${base}`;
  const hasExternal = p.nodePort !== undefined || p.externalIPs.length > 0;
  // The cluster chain serves internal traffic (unless Local) and external traffic (also under Local: from
  // the node itself).
  const usesCluster = hasEndpoints && (!p.internalLocal || hasExternal);
  if (usesCluster) addChain(b, clusterChain, policyChain(b, p, clusterEps, config));
  if ((p.internalLocal || p.externalLocal) && localEps.length > 0) addChain(b, localChain, policyChain(b, p, localEps, config));

  b.clusterIPs.add(p.clusterIP);
  const internalEps = p.internalLocal ? localEps : clusterEps;
  if (internalEps.length > 0) addElement(b, 'service-ips', `${key(p.clusterIP)} : goto ${p.internalLocal ? localChain : clusterChain}`);
  else addElement(b, 'no-endpoint-services', `${key(p.clusterIP)} : ${noEndpointVerdict}`);

  if (!hasExternal) return;
  const externalEps = p.externalLocal ? localEps : clusterEps;
  if (externalEps.length === 0) {
    if (p.nodePort !== undefined) addElement(b, 'no-endpoint-nodeports', `${proto(p)} . ${p.nodePort} : ${noEndpointVerdict}`);
    for (const ip of p.externalIPs) addElement(b, 'no-endpoint-services', `${key(ip)} : ${noEndpointVerdict}`);
    return;
  }
  const externalChain = `external-${base}`;
  // Policy Local keeps the client's address (no masquerade) and uses only this node's endpoints; traffic
  // from the node itself is treated as internal (upstream's short-circuit), so it is masqueraded and may go
  // to any endpoint.
  addChain(b, externalChain, p.externalLocal
    ? ['fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${clusterChain}`, `goto ${localChain}`]
    : ['jump mark-for-masquerade', `goto ${clusterChain}`]);
  if (p.nodePort !== undefined) addElement(b, 'service-nodeports', `${proto(p)} . ${p.nodePort} : goto ${externalChain}`);
  for (const ip of p.externalIPs) addElement(b, 'service-ips', `${key(ip)} : goto ${externalChain}`);
}

/** The rule set for `ports` (sorted as servicePorts() sorts them, so the text is stable). */
export function generateRules(ports: ServicePortInfo[], config: RuleConfig): RuleSet {
  const b: Builder = { chains: new Map(), sets: new Map(), elements: new Map(MAPS.map((m) => [m.name, []])), clusterIPs: new Set() };
  for (const p of ports) servicePort(b, p, config);

  const t = `ip ${config.table}`;
  const lines: string[] = [
    `add table ${t} { comment "kubeling service proxy for node ${config.nodeName.replace(/"/g, '')}" ; }`,
    `flush table ${t}`,
  ];
  for (const m of MAPS) {
    lines.push(`add map ${t} ${m.name} { type ${m.type} ; comment "${m.comment}" ; }`, `flush map ${t} ${m.name}`);
  }
  lines.push(`add set ${t} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`, `flush set ${t} cluster-ips`);
  for (const [name, spec] of b.sets) lines.push(`add set ${t} ${name} { ${spec} }`);
  const chains: string[] = [];
  for (const [name, spec] of fixedChains()) {
    lines.push(spec ? `add chain ${t} ${name} { ${spec} }` : `add chain ${t} ${name}`);
    chains.push(name);
  }
  // Declare every service chain before any rule, since rules and vmap elements name chains declared later.
  for (const name of b.chains.keys()) {
    lines.push(`add chain ${t} ${name}`);
    chains.push(name);
  }
  for (const [name, , rules] of fixedChains()) for (const r of rules) lines.push(`add rule ${t} ${name} ${r}`);
  for (const [name, rules] of b.chains) for (const r of rules) lines.push(`add rule ${t} ${name} ${r}`);
  b.elements.set('cluster-ips', [...b.clusterIPs]);
  for (const name of ['cluster-ips', ...MAPS.map((m) => m.name)]) {
    const elements = b.elements.get(name)!;
    if (elements.length > 0) lines.push(`add element ${t} ${name} { ${elements.join(' , ')} }`);
  }
  return {
    table: config.table, text: lines.join('\n') + '\n', chains, sets: [...b.sets.keys()],
    serviceChains: b.chains, affinitySets: b.sets, elements: b.elements,
  };
}

/** An element's key: what precedes ` : verdict` in a map element (the whole element in a set). */
function elementKey(element: string): string {
  const i = element.indexOf(' : ');
  return i < 0 ? element : element.slice(0, i);
}

/**
 * The transaction that turns the table from `prev` (applied last, by this process) into `next`, touching only
 * what differs: new chains and sets are declared, chains whose rules changed are flushed and refilled, map
 * elements that went or changed are deleted and the new ones added, then chains and sets no longer wanted
 * are deleted (nothing refers to them by then). Upstream's partial sync: an endpoint change rewrites one
 * Service's chains instead of the whole table. Empty when nothing differs. Base chains and fixed chains
 * depend only on the config, which does not change while a process runs.
 */
export function partialTransaction(prev: RuleSet, next: RuleSet): string {
  const t = `ip ${next.table}`;
  const lines: string[] = [];
  for (const [name, spec] of next.affinitySets) if (!prev.affinitySets.has(name)) lines.push(`add set ${t} ${name} { ${spec} }`);
  const changed: string[] = [];
  for (const [name, rules] of next.serviceChains) {
    const before = prev.serviceChains.get(name);
    if (!before) lines.push(`add chain ${t} ${name}`);
    if (!before || before.length !== rules.length || before.some((r, i) => r !== rules[i])) changed.push(name);
  }
  for (const name of changed) {
    if (prev.serviceChains.has(name)) lines.push(`flush chain ${t} ${name}`);
    for (const r of next.serviceChains.get(name)!) lines.push(`add rule ${t} ${name} ${r}`);
  }
  for (const [map, elements] of next.elements) {
    const want = new Map(elements.map((e) => [elementKey(e), e]));
    const had = new Map((prev.elements.get(map) ?? []).map((e) => [elementKey(e), e]));
    const gone = [...had].filter(([k, e]) => want.get(k) !== e).map(([k]) => k);
    const added = [...want].filter(([k, e]) => had.get(k) !== e).map(([, e]) => e);
    if (gone.length > 0) lines.push(`delete element ${t} ${map} { ${gone.join(' , ')} }`);
    if (added.length > 0) lines.push(`add element ${t} ${map} { ${added.join(' , ')} }`);
  }
  // Emptied first: a chain may not be deleted while another (also going) still jumps to it.
  const removed = [...prev.serviceChains.keys()].filter((name) => !next.serviceChains.has(name));
  for (const name of removed) lines.push(`flush chain ${t} ${name}`);
  for (const name of removed) lines.push(`delete chain ${t} ${name}`);
  for (const name of prev.affinitySets.keys()) if (!next.affinitySets.has(name)) lines.push(`delete set ${t} ${name}`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/**
 * The full transaction: the rule set, then deletions of what `current` holds that it no longer declares
 * (after the flushes, nothing refers to them any more). `current` undefined: a fresh table, nothing stale.
 */
export function transaction(rules: RuleSet, current?: TableContent): string {
  const t = `ip ${rules.table}`;
  const chains = new Set(rules.chains);
  const sets = new Set(rules.sets);
  const stale: string[] = [];
  for (const c of [...(current?.chains ?? [])].sort()) if (!chains.has(c)) stale.push(`delete chain ${t} ${c}`);
  for (const s of [...(current?.sets ?? [])].sort()) if (!sets.has(s) && s.startsWith('affinity-')) stale.push(`delete set ${t} ${s}`);
  return rules.text + (stale.length > 0 ? stale.join('\n') + '\n' : '');
}

/** The transaction that removes a node's table (`nft -f -` fails on it when the table is absent). */
export function deleteTable(table: string): string {
  return `delete table ip ${table}\n`;
}
