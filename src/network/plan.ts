/**
 * The pod network's routes as data (pure): from the peers (peers.ts) and what the kernel holds now, the `ip`
 * and `bridge` commands that make the second into the first. Nothing here runs a command; the manager
 * (pod-network.ts) reads the kernel, plans, and applies the commands in order.
 *
 *   host-gw   per peer: `ip route replace <podCIDR> via <peer IP> proto kubeling` (nodes on one layer-2 link)
 *   vxlan     per peer, on the `kubeling.vxlan` device (flannel's vxlan backend, VNI 1, UDP 8472):
 *               neighbour  <peer podCIDR's .0> → peer's VTEP MAC            (no ARP over the overlay)
 *               fdb        peer's VTEP MAC → dst <peer IP>                   (where to send the UDP)
 *               route      <podCIDR> via <.0> dev kubeling.vxlan onlink      (into the overlay)
 *
 * Every route kubeling makes carries its own routing protocol number (`proto 75`), so the routes of nodes
 * that left are found again, also by the next process after a restart, and no other route is ever touched.
 * Removals come first (a peer whose podCIDR moved must not leave an old route behind), then additions; the
 * forwarding entries (fdb, neighbour) go in before the route that uses them.
 */
import { networkAddress, type Backend, type Peer } from './peers.ts';

/** The routing protocol number on kubeling's routes (rtnetlink protocols 0-255; flannel leaves its own unset). */
export const ROUTE_PROTO = '75';
export const VXLAN_DEVICE = 'kubeling.vxlan';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
export const VXLAN_MTU = 1450;

/** One of kubeling's routes now in the kernel (`ip -j route show proto 75`). */
export interface ActualRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

export interface ActualNeighbour {
  dst: string;
  lladdr?: string;
}

export interface ActualFdb {
  mac: string;
  dst?: string;
}

/** What the kernel holds: kubeling's routes, and the vxlan device's neighbours and fdb entries (if it exists). */
export interface ActualState {
  routes: ActualRoute[];
  neighbours: ActualNeighbour[];
  fdb: ActualFdb[];
}

export interface Command {
  tool: 'ip' | 'bridge';
  args: string[];
}

function desiredRoute(backend: Backend, p: Peer): Required<ActualRoute> {
  return backend === 'host-gw'
    ? { dst: p.podCidr, gateway: p.ip, dev: '' }
    : { dst: p.podCidr, gateway: networkAddress(p.podCidr), dev: VXLAN_DEVICE };
}

function routeMatches(want: Required<ActualRoute>, have: ActualRoute): boolean {
  return have.gateway === want.gateway && (want.dev === '' ? have.dev !== VXLAN_DEVICE : have.dev === want.dev);
}

/** The commands that turn `actual` into the routes (and vxlan entries) `peers` want. Empty when in sync. */
export function planRoutes(backend: Backend, peers: readonly Peer[], actual: ActualState): Command[] {
  const removals: Command[] = [];
  const additions: Command[] = [];
  const wanted = new Map(peers.map((p) => [p.podCidr, desiredRoute(backend, p)]));
  for (const r of actual.routes) {
    if (!wanted.has(r.dst)) removals.push({ tool: 'ip', args: ['route', 'del', r.dst, 'proto', ROUTE_PROTO] });
  }
  if (backend === 'vxlan') {
    const neighbours = new Map(peers.map((p) => [networkAddress(p.podCidr), p.vtepMac ?? '']));
    for (const n of actual.neighbours) {
      if (!neighbours.has(n.dst)) removals.push({ tool: 'ip', args: ['neigh', 'del', n.dst, 'dev', VXLAN_DEVICE] });
    }
    const fdbKeys = new Set(peers.map((p) => `${p.vtepMac}/${p.ip}`));
    for (const f of actual.fdb) {
      if (f.dst !== undefined && !fdbKeys.has(`${f.mac}/${f.dst}`)) {
        removals.push({ tool: 'bridge', args: ['fdb', 'del', f.mac, 'dev', VXLAN_DEVICE, 'dst', f.dst, 'self'] });
      }
    }
    for (const p of peers) {
      const mac = p.vtepMac ?? '';
      if (!actual.fdb.some((f) => f.mac === mac && f.dst === p.ip)) {
        additions.push({ tool: 'bridge', args: ['fdb', 'replace', mac, 'dev', VXLAN_DEVICE, 'dst', p.ip, 'self', 'permanent'] });
      }
      const gw = networkAddress(p.podCidr);
      if (!actual.neighbours.some((n) => n.dst === gw && n.lladdr === mac)) {
        additions.push({ tool: 'ip', args: ['neigh', 'replace', gw, 'lladdr', mac, 'dev', VXLAN_DEVICE, 'nud', 'permanent'] });
      }
    }
  }
  for (const want of wanted.values()) {
    const have = actual.routes.find((r) => r.dst === want.dst);
    if (have && routeMatches(want, have)) continue;
    const via = want.dev === '' ? ['via', want.gateway] : ['via', want.gateway, 'dev', want.dev, 'onlink'];
    additions.push({ tool: 'ip', args: ['route', 'replace', want.dst, ...via, 'proto', ROUTE_PROTO] });
  }
  return [...removals, ...additions];
}

/** `ip -j route show proto 75` → routes. */
export function parseRoutes(json: string): ActualRoute[] {
  const rows = parseJson(json) as { dst?: string; gateway?: string; dev?: string }[];
  return rows.filter((r) => typeof r.dst === 'string').map((r) => ({
    dst: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`,
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(r.dev ? { dev: r.dev } : {}),
  }));
}

/** `ip -j neigh show dev kubeling.vxlan` → neighbours (IPv4 only). */
export function parseNeighbours(json: string): ActualNeighbour[] {
  const rows = parseJson(json) as { dst?: string; lladdr?: string }[];
  return rows.filter((r) => typeof r.dst === 'string' && r.dst.includes('.')).map((r) => ({ dst: r.dst!, ...(r.lladdr ? { lladdr: r.lladdr.toLowerCase() } : {}) }));
}

/** `bridge -j fdb show dev kubeling.vxlan` → entries with a remote (the device's own MAC entries have none). */
export function parseFdb(json: string): ActualFdb[] {
  const rows = parseJson(json) as { mac?: string; dst?: string }[];
  return rows.filter((r) => typeof r.mac === 'string' && typeof r.dst === 'string').map((r) => ({ mac: r.mac!.toLowerCase(), dst: r.dst! }));
}

function parseJson(text: string): unknown[] {
  const t = text.trim();
  if (t === '') return [];
  const v = JSON.parse(t) as unknown;
  return Array.isArray(v) ? v : [];
}
